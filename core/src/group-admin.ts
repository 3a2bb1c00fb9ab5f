/**
 * The Groups view of `host.instance`: create, rename and remove groups, and read what
 * an operator needs to see of one (its sessions and its grant rules by origin).
 */
import type { InstanceApi, SessionInfo } from "@arizuko/sdk";
import { errors } from "./errors.js";
import type { GrantsService } from "./grants/service.js";
import type { GroupService } from "./groups/groups.js";
import type { Db } from "./store/db.js";

export function groupAdmin(db: Db, groups: GroupService, grants: GrantsService): InstanceApi["groups"] {
  const sessions = db.prepare(
    `SELECT chat, topic, session_id AS sessionId, last_seq AS lastSeq, updated_at AS updatedAt
     FROM sessions WHERE group_folder = ? ORDER BY updated_at DESC`,
  );

  const existing = (folder: string) => {
    if (!groups.exists(folder)) throw errors.groupNotFound(folder);
    return folder;
  };

  return {
    create: (folder, name) => groups.add(folder, name),
    rename: (folder, name) => groups.rename(folder, name),
    remove: (folder) => groups.remove(folder),
    sessions: (folder) => sessions.all(existing(folder)) as SessionInfo[],
    grants: (folder) => grants.rules(existing(folder)),
    setOverrides: (folder, rules) => grants.setOverrides(existing(folder), rules),
  };
}
