/**
 * The kind registry (reference/memkind.md sections 1.5 and 1.13): MEMKIND_MAX_KIND slots, the
 * 23 static kinds in slots 0..22, dynamic kinds (PMEM, fixed, user-defined) in the others.
 *
 *   slot:  0        1     ...  22                                  23    ...   511
 *          DEFAULT  HBW   ...  HIGHEST_BANDWIDTH_LOCAL_PREFERRED   pmem…  fixed…  (free)
 *
 * A kind's partition is its slot. Upstream gives a new kind `partition = number of kinds`,
 * so after a middle kind is destroyed two live kinds can share a partition (and memtier
 * counters); here a new kind takes the lowest free slot, so partitions stay unique.
 *
 * Each worker loads its own copy of this module, like its heap: registration is per worker.
 */

import {
  MEMKIND_ERROR_INVALID,
  MEMKIND_ERROR_OPERATION_FAILED,
  MEMKIND_ERROR_TOOMANY,
  MEMKIND_SUCCESS,
} from "./errors.js";
import { heap } from "./heap.js";
import { Kind, type KindDefinition, kindOfArena } from "./kind.js";
import { logError, report } from "./log.js";
import { STATIC_KINDS } from "./static-kinds.js";

/** Registry slots, static kinds included (memkind.h MEMKIND_MAX_KIND). */
export const MEMKIND_MAX_KIND = 512;
/** A kind's name must be shorter than this (MEMKIND_NAME_LENGTH_PRIV). */
export const MEMKIND_NAME_LENGTH = 64;

const slots: (Kind | undefined)[] = [...STATIC_KINDS];
const byName = new Map<string, Kind>(STATIC_KINDS.map((kind) => [kind.name, kind]));

export type Registration = { code: typeof MEMKIND_SUCCESS; kind: Kind } | { code: number };

/**
 * Registers a dynamic kind with upstream's rules (memkind_create): registry full ->
 * MEMKIND_ERROR_TOOMANY; a name of 64 characters or more, or one a live kind has ->
 * MEMKIND_ERROR_INVALID. Checks happen before anything is created.
 */
export function registerKind(definition: KindDefinition): Registration {
  const name = definition.name;
  if (name.length >= MEMKIND_NAME_LENGTH) {
    logError(`Kind name ${name} is too long (at most ${MEMKIND_NAME_LENGTH - 1} characters)`);
    return { code: MEMKIND_ERROR_INVALID };
  }
  if (byName.has(name)) {
    logError(`Kind with the name ${name} already exists`);
    return { code: MEMKIND_ERROR_INVALID };
  }
  let partition = slots.indexOf(undefined);
  if (partition < 0) partition = slots.length;
  if (partition >= MEMKIND_MAX_KIND) return { code: MEMKIND_ERROR_TOOMANY };
  const kind = new Kind(partition, definition);
  slots[partition] = kind;
  byName.set(name, kind);
  return { code: MEMKIND_SUCCESS, kind };
}

/** True for a kind that is registered now (static kinds always are). */
export function isRegistered(kind: Kind): boolean {
  return slots[kind.partition] === kind;
}

/** True for one of the 23 static kinds, which cannot be destroyed. */
export function isStaticKind(kind: Kind): boolean {
  return kind.partition < STATIC_KINDS.length && STATIC_KINDS[kind.partition] === kind;
}

/** The registered kind with this name (memkind_get_kind_by_name), or undefined. */
export function kindByName(name: string): Kind | undefined {
  return byName.get(name);
}

/** Registered kinds, static ones included. */
export function registeredKinds(): number {
  return slots.filter((kind) => kind !== undefined).length;
}

/**
 * Destroys a dynamic kind (memkind_destroy_kind): its arena's chunks are released (so its
 * pointers become foreign: free reports them, detect_kind gives NULL), then the kind's own
 * resources are finalized (a file closed, ...), then its slot and name are freed for reuse.
 * Static kinds and kinds not registered (destroyed already, or never) -> MEMKIND_ERROR_INVALID.
 */
export function destroyKind(kind: Kind): number {
  if (!(kind instanceof Kind) || isStaticKind(kind) || !isRegistered(kind))
    return MEMKIND_ERROR_INVALID;
  const arena = kind.arena;
  if (arena && heap.lendsMemory(arena)) {
    report(
      `memkind_destroy_kind(): kind ${kind.name} holds a fixed kind's memory (destroy that kind first)`,
    );
    return MEMKIND_ERROR_OPERATION_FAILED;
  }
  if (arena) {
    kindOfArena[arena.id] = undefined;
    heap.destroyArena(arena);
  }
  const code = kind.finalize();
  slots[kind.partition] = undefined;
  byName.delete(kind.name);
  return code;
}
