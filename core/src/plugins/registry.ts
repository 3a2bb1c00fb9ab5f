/**
 * Name registries: commands, tools, HTTP paths, CLI commands, panels, sign-in
 * providers, services and JID prefixes are each claimed by one owner. A second
 * claimant is refused naming both; when both owners are the core or first-party
 * plugins the refusal is fatal, because that is a bug in arizuko itself.
 */
import type { Disposer } from "@arizuko/sdk";
import { ArizukoError } from "@arizuko/sdk";
import { errors } from "../errors.js";

/** The owner of a registration: the kernel or a plugin. */
export interface Owner {
  name: string;
  /** The kernel and `@arizuko/*` packages. */
  firstParty: boolean;
}

export const CORE_OWNER: Owner = { name: "core", firstParty: true };

/** Thrown for collisions between first-party owners: start-up must stop. */
export class FatalCollision extends ArizukoError {
  constructor(cause: ArizukoError) {
    super("ARZ_ERR_FATAL_COLLISION", `${cause.message} (both are part of arizuko: this is a bug, report it)`, { cause });
  }
}

export interface Entry<T> {
  owner: Owner;
  value: T;
}

export class NameRegistry<T> {
  private readonly entries = new Map<string, Entry<T>>();

  /** @param kind what the names are, for messages: `command`, `HTTP route`, … */
  constructor(private readonly kind: string) {}

  /** Claims `name`; throws ARZ_ERR_NAME_COLLISION (the claimant fails) or FatalCollision. */
  claim(name: string, owner: Owner, value: T): Disposer {
    const existing = this.entries.get(name);
    if (existing) {
      const holder = existing.owner;
      const error = errors.nameCollision(this.kind, name, holder.name, owner.name);
      if (holder.firstParty && owner.firstParty) throw new FatalCollision(error);
      throw error;
    }

    const entry = { owner, value };
    this.entries.set(name, entry);
    return () => {
      if (this.entries.get(name) === entry) this.entries.delete(name);
    };
  }

  get(name: string): Entry<T> | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  entriesList(): Array<[string, Entry<T>]> {
    return [...this.entries.entries()];
  }

  values(): T[] {
    return [...this.entries.values()].map((entry) => entry.value);
  }
}
