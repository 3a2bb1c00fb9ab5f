/**
 * Retention ages per group: the top-level `retention` ages, changed for a group and its
 * subtree by the longest `retention.groups` key naming it or an ancestor.
 */
import { inSubtree } from "@arizuko/sdk";
import type { RetentionAges, RetentionConfig } from "../config/schema.js";

export const DAY_MS = 86_400_000;

export type RetentionKind = keyof RetentionAges;

export const RETENTION_KINDS: RetentionKind[] = ["messagesDays", "mediaDays", "runLogsDays"];

export class RetentionPolicy {
  /** Keys longest first, so the first one that applies is the most specific. */
  private readonly keys: string[];

  constructor(private readonly config: RetentionConfig) {
    this.keys = Object.keys(config.groups).sort((a, b) => b.length - a.length);
  }

  /** Returns the age in days for a group's data of one kind; 0 keeps it forever. A null group (unrouted rows) gets the top-level age. */
  days(kind: RetentionKind, folder: string | null): number {
    if (folder !== null) {
      for (const key of this.keys) {
        const value = this.config.groups[key]![kind];
        if (value !== undefined && inSubtree(key, folder)) return value;
      }
    }
    return this.config[kind];
  }

  /**
   * Returns the time before which a group's data of one kind is past its age, or null
   * when it is kept forever. Data exactly at the age is kept: only times below the cutoff go.
   */
  cutoff(kind: RetentionKind, folder: string | null, now: number): number | null {
    const days = this.days(kind, folder);
    return days === 0 ? null : now - days * DAY_MS;
  }

  /** Returns the latest cutoff of a kind over every group, or null when every group keeps it forever: rows newer than this are never candidates. */
  latestCutoff(kind: RetentionKind, now: number): number | null {
    const ages = [this.config[kind], ...Object.values(this.config.groups).map((entry) => entry[kind])].filter((days): days is number => days !== undefined && days > 0);
    return ages.length === 0 ? null : now - Math.min(...ages) * DAY_MS;
  }
}
