/**
 * CLI commands that delete or export stored data: `arizuko chat purge`, and the
 * `export` and `erase` subcommands of `arizuko user`. `group rm --purge` lives with the
 * other group commands and uses the same `Erasure`.
 */
import { writeFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { ArizukoError, type CliCommand } from "@arizuko/sdk";
import { describeRemoved, plural, type Erasure } from "./erasure.js";

const personArgument = { name: "user", description: "a username, or a sender JID such as telegram:111 or web:v_abc" };

export function chatCommand(erasure: Erasure): CliCommand {
  return {
    name: "chat",
    description: "manage the stored data of a chat",
    subcommands: [
      {
        name: "purge",
        description: "delete every stored message, media file, run record and session of a chat; rejected while it has a run, queued messages or undelivered replies",
        arguments: [{ name: "chat", description: "chat JID as stored, e.g. telegram:600000001/-1001000000001 or web:local/c1 (see the dashboard's Activity page)" }],
        run: async ({ args }) => {
          const chat = args[0] as string;
          const removed = await erasure.purgeChat(chat);
          if (Object.values(removed).every((count) => count === 0)) return `chat ${chat} has no stored messages, runs or sessions; nothing to do (check the JID with /chatid in the chat)`;
          return `chat ${chat} purged: ${describeRemoved(removed)} removed`;
        },
      },
    ],
  };
}

/** Builds the `user export` and `user erase` subcommands. */
export function personSubcommands(erasure: Erasure, now: () => number = Date.now): CliCommand[] {
  return [
    {
      name: "export",
      description: "write everything stored about a person as JSON: account, identities, groups, and the messages they sent",
      arguments: [personArgument, { name: "file", description: "a new file to write (mode 0600); without it the JSON is printed", required: false }],
      run: ({ args }) => {
        const person = erasure.findPerson(args[0] as string);
        const data = erasure.exportPerson(person, now());
        const json = JSON.stringify(data, null, 2);
        const file = args[1] as string | undefined;
        if (file === undefined) return json;
        if (!isAbsolute(file)) throw new ArizukoError("ARZ_ERR_USAGE", `export file ${JSON.stringify(file)} must be an absolute path`, { statusCode: 400 });
        try {
          // `wx`: never overwrite, since an existing file may be another person's export.
          writeFileSync(file, json + "\n", { mode: 0o600, flag: "wx" });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new ArizukoError("ARZ_ERR_USAGE", `${file} exists already; give a new file name`, { statusCode: 409 });
          throw error;
        }
        const messages = (data.messages as unknown[]).length;
        return `exported ${person.user?.username ?? person.senders.join(", ")} to ${file} (${plural(messages, "message")})`;
      },
    },
    {
      name: "erase",
      description: "delete a person's account, identities, group links, pairing approvals, and the messages they sent with their media; agents' replies stay",
      arguments: [personArgument],
      run: async ({ args }) => {
        const person = erasure.findPerson(args[0] as string);
        const removed = await erasure.erasePerson(person);
        const personName = person.user?.username ?? person.senders.join(", ");
        const account = removed.account ? "the account, " : "";
        return `erased ${personName}: ${account}${plural(removed.messages, "message")}, ${plural(removed.media, "media file")}, ${plural(removed.admission, "pairing or approval row")} (senders ${person.senders.join(", ")})`;
      },
    },
  ];
}
