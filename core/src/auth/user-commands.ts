/**
 * `arizuko user …`: add, list, remove users, give a new password, change a role. New
 * passwords are generated and shown once, so none passes through a shell's history.
 */
import { randomBytes } from "node:crypto";
import { ArizukoError, formatTable as table, type CliCommand } from "@arizuko/sdk";
import type { Role } from "./access-tokens.js";
import { hashPassword } from "./passwords.js";
import type { GroupService } from "../groups/groups.js";
import type { AuthService } from "./service.js";
import { USERNAME_PATTERN, type User } from "./users.js";

const usage = (message: string) => new ArizukoError("ARZ_ERR_USER", message, { statusCode: 400 });

/**
 * Returns a password of 24 characters from 18 random bytes, well above the minimum
 * length. It starts with a letter or digit, so pasted into a command it never reads as an option.
 */
function generatePassword(): string {
  for (;;) {
    const password = randomBytes(18).toString("base64url");
    if (/^[A-Za-z0-9]/.test(password)) return password;
  }
}

function existing(auth: AuthService, username: string): User {
  const user = auth.users.byName(username);
  if (!user) throw usage(`no user ${username}; see \`arizuko user list\``);
  return user;
}

export function userCommand(auth: AuthService, groups: Pick<GroupService, "exists">): CliCommand {
  const nameArgument = { name: "username", description: "letters, digits and ._- (case does not matter when signing in)" };

  return {
    name: "user",
    description: "manage the users who sign in (web chat, HTTP API, admin routes)",
    subcommands: [
      {
        name: "add",
        description: "add a user with a generated password, shown once",
        arguments: [nameArgument],
        options: [{ flags: "--operator", description: "make the user an operator (admin API, dashboard)", default: false }],
        async run({ args, options }) {
          const username = args[0] as string;
          if (!USERNAME_PATTERN.test(username)) throw usage(`invalid username ${JSON.stringify(username)}: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
          const taken = auth.users.byName(username);
          if (taken) throw usage(`the username ${username} is taken (by ${taken.username}; usernames ignore case)`);
          const password = generatePassword();
          const role: Role = options.operator === true ? "operator" : "user";
          auth.addUser(username, await hashPassword(password), role);
          return `user ${username} added as ${role}; password (shown once): ${password}`;
        },
      },
      {
        name: "list",
        description: "list users and their roles",
        run() {
          const users = auth.users.list();
          if (users.length === 0) return "no users yet; add one with `arizuko user add NAME`";
          const groupsOf = (user: User) => (user.role === "operator" ? "(all)" : auth.userGroups.ofUser(user.id).join(" ") || "(none)");
          return table([["USERNAME", "ROLE", "GROUPS", "CREATED"], ...users.map((user) => [user.username, user.role, groupsOf(user), new Date(user.createdAt).toISOString()])]);
        },
      },
      {
        name: "passwd",
        description: "give a user a new generated password, shown once",
        arguments: [nameArgument],
        async run({ args }) {
          const user = existing(auth, args[0] as string);
          const password = generatePassword();
          auth.users.setPassword(user.id, await hashPassword(password));
          // A person who knew the old password may have signed in with it.
          auth.refreshTokens.revokeUser(user.id);
          return `new password for ${user.username} (shown once): ${password}; their sign-ins have ended`;
        },
      },
      {
        name: "role",
        description: "make a user an operator or a plain user",
        arguments: [nameArgument, { name: "role", description: "operator or user" }],
        run({ args }) {
          const user = existing(auth, args[0] as string);
          const role = args[1] as string;
          if (role !== "operator" && role !== "user") throw usage(`unknown role ${JSON.stringify(role)}; use operator or user`);
          auth.users.setRole(user.id, role);
          return `${user.username} is now ${role === "operator" ? "an operator" : "a user"}`;
        },
      },
      {
        name: "invite",
        description: "make a one-time invitation link: its holder picks a username and password",
        options: [
          { flags: "--operator", description: "the new account is an operator", default: false },
          { flags: "--days <days>", description: "days the invitation stays valid", default: "7" },
        ],
        run({ options }) {
          const days = Number(options.days);
          if (!Number.isInteger(days) || days < 1 || days > 90) throw usage(`--days must be a whole number from 1 to 90, not ${String(options.days)}`);
          const role: Role = options.operator === true ? "operator" : "user";
          const { token, expiresAt } = auth.invitations.create(role, days);
          return [
            `invitation for a new ${role}, valid until ${new Date(expiresAt).toISOString()} (shown once):`,
            `  /auth/invitations/${token}`,
            `the holder posts { "username", "password" } to that path on this server (password of 12 or more characters)`,
          ].join("\n");
        },
      },
      {
        name: "join",
        description: "let a user use a group in the web chat (operators may use every group)",
        arguments: [nameArgument, { name: "folder", description: "a group folder, e.g. main or main/support" }],
        run({ args }) {
          const user = existing(auth, args[0] as string);
          const folder = args[1] as string;
          if (!groups.exists(folder)) throw usage(`no group ${folder}; see \`arizuko group list\``);
          if (!auth.userGroups.link(user.id, folder)) return `${user.username} may already use ${folder}; nothing to do`;
          const note = user.role === "operator" ? " (as an operator they may use every group anyway)" : "";
          return `${user.username} may now use ${folder}${note}`;
        },
      },
      {
        name: "leave",
        description: "stop a user from using a group; their chats with it stay stored but closed to them",
        arguments: [nameArgument, { name: "folder", description: "a group folder, e.g. main or main/support" }],
        run({ args }) {
          const user = existing(auth, args[0] as string);
          const folder = args[1] as string;
          if (!auth.userGroups.unlink(user.id, folder)) return `${user.username} was not linked to ${folder}; nothing to do`;
          return `${user.username} may no longer use ${folder}`;
        },
      },
      {
        name: "identities",
        description: "list the sign-in provider accounts linked to a user",
        arguments: [nameArgument],
        run({ args }) {
          const user = existing(auth, args[0] as string);
          const linked = auth.identities.ofUser(user.id);
          if (linked.length === 0) return `${user.username} has no linked provider accounts`;
          return table([["PROVIDER", "ACCOUNT ID", "NAME"], ...linked.map((identity) => [identity.provider, identity.subject, identity.name ?? ""])]);
        },
      },
      {
        name: "unlink",
        description: "unlink a user's account at a sign-in provider",
        arguments: [nameArgument, { name: "provider", description: "github, google, discord, telegram or a plugin's provider id" }],
        run({ args }) {
          const user = existing(auth, args[0] as string);
          const provider = args[1] as string;
          if (!auth.identities.unlink(provider, user.id)) return `${user.username} has no ${provider} account linked; nothing to do`;
          return `${user.username}'s ${provider} account is unlinked`;
        },
      },
      {
        name: "rm",
        description: "remove a user and end their sign-ins",
        arguments: [nameArgument],
        run({ args }) {
          const user = existing(auth, args[0] as string);
          auth.users.remove(user.id);
          return `user ${user.username} removed`;
        },
      },
    ],
  };
}
