/**
 * Agent groups: a folder under `<data>/groups/` made from templates/group/ plus a row in
 * the groups table. The folder holds the persona, memory, skills, received media and
 * harness sessions; `.arizuko/` inside it is host-only state, never mounted into agents.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GroupInfo, GroupsApi } from "@arizuko/sdk";
import { folderProblem, parentFolder } from "@arizuko/sdk";
import { groupTemplateDir } from "../assets.js";
import { errors } from "../errors.js";
import type { Store } from "../store/index.js";
import type { GroupRecord } from "../store/groups.js";

export const GROUPS_FOLDER = "groups";

/** The group every first run creates, reached by the seeded route `platform=web → main`. */
export const SEEDED_GROUP = "main";

/** Replaces `{{folder}}` and `{{name}}` in a copied template file. */
function fillPlaceholders(file: string, values: { folder: string; name: string }): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file, "utf8");
  const filled = text.replaceAll("{{folder}}", values.folder).replaceAll("{{name}}", values.name);
  if (filled !== text) writeFileSync(file, filled);
}

export class GroupService implements GroupsApi {
  readonly root: string;

  constructor(
    private readonly store: Store,
    dataDir: string,
  ) {
    this.root = join(dataDir, GROUPS_FOLDER);
  }

  path(folder: string): string {
    return join(this.root, ...folder.split("/"));
  }

  exists(folder: string): boolean {
    return this.store.groups.get(folder) !== null;
  }

  get(folder: string): GroupInfo | null {
    const record = this.store.groups.get(folder);
    return record ? this.info(record) : null;
  }

  list(): GroupInfo[] {
    return this.store.groups.list().map((record) => this.info(record));
  }

  records(): GroupRecord[] {
    return this.store.groups.list();
  }

  /**
   * Creates a group: copies the template into its folder (keeping files already there)
   * and records it. A nested group needs its parent.
   */
  add(folder: string, name?: string): GroupInfo {
    const problem = folderProblem(folder);
    if (problem) throw errors.groupInvalid(problem);
    if (this.exists(folder)) throw errors.groupExists(folder);
    const parent = parentFolder(folder);
    if (parent !== null && !this.exists(parent)) throw errors.groupParentMissing(folder, parent);

    const template = groupTemplateDir();
    if (!existsSync(template)) throw errors.templateMissing(template);
    const path = this.path(folder);
    mkdirSync(path, { recursive: true });
    cpSync(template, path, { recursive: true, force: false, errorOnExist: false });
    fillPlaceholders(join(path, "PERSONA.md"), { folder, name: name ?? folder });

    this.store.groups.add(folder, name ?? folder, Date.now());
    return this.get(folder)!;
  }

  private info(record: GroupRecord): GroupInfo {
    return {
      folder: record.folder,
      name: record.name,
      path: this.path(record.folder),
      paused: record.breaker === "open",
    };
  }
}
