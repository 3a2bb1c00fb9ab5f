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

/** Trims a display name and checks its length. */
function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) throw errors.groupNameInvalid(`it must be 1 to 200 characters after trimming spaces, got ${trimmed.length}`);
  // One line, shown in tables and the tree: no line breaks, tabs or other control characters.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) throw errors.groupNameInvalid("it must be one line, without tabs or other control characters");
  return trimmed;
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
    const display = name === undefined ? folder : checkName(name);
    if (this.exists(folder)) throw errors.groupExists(folder);
    const parent = parentFolder(folder);
    if (parent !== null && !this.exists(parent)) throw errors.groupParentMissing(folder, parent);

    const template = groupTemplateDir();
    if (!existsSync(template)) throw errors.templateMissing(template);
    const path = this.path(folder);
    mkdirSync(path, { recursive: true });
    cpSync(template, path, { recursive: true, force: false, errorOnExist: false });
    fillPlaceholders(join(path, "PERSONA.md"), { folder, name: display });

    this.store.groups.add(folder, display, Date.now());
    return this.get(folder)!;
  }

  /** Changes the display name; the persona file keeps the name it was created with. */
  rename(folder: string, name: string): GroupInfo {
    const trimmed = checkName(name);
    if (!this.store.groups.rename(folder, trimmed)) throw errors.groupNotFound(folder);
    return this.get(folder)!;
  }

  /**
   * Forgets a group: its row, grant overrides and limits, sessions and user links. The
   * folder stays on disk, so adding the group again finds its persona and memory.
   * Refused while work would be stranded: child groups, a run in flight, queued messages.
   */
  remove(folder: string): { path: string } {
    if (!this.exists(folder)) throw errors.groupNotFound(folder);
    const children = this.records().filter((record) => parentFolder(record.folder) === folder);
    if (children.length > 0) throw errors.groupBusy(folder, `remove its child groups first (${children.map((child) => child.folder).join(", ")})`);
    const { runs, queued } = this.store.groups.busy(folder);
    if (runs > 0) throw errors.groupBusy(folder, "a run is in progress; stop it (/stop in the chat, or Stop on the dashboard's Status page) or wait for it to end");
    if (queued > 0) throw errors.groupBusy(folder, `${queued} message${queued === 1 ? " waits" : "s wait"} for its next run; try again when the queue is empty`);

    this.store.groups.remove(folder);
    return { path: this.path(folder) };
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
