/**
 * Statistics and purging: memkind_update_cached_stats, memkind_get_stat (reference section
 * 1.2) and memkind_purge (our extension, upstream issue #873). As upstream, memkind_get_stat
 * reads a snapshot that memkind_update_cached_stats refreshes (jemalloc's "epoch").
 */
import type { Arena } from "../heap/arena.js";
import { PAGE } from "../heap/size-classes.js";
import { MEMKIND_ERROR_INVALID, MEMKIND_SUCCESS } from "../kinds/errors.js";
import { heap } from "../kinds/heap.js";
import { type Kind, kindOfArena } from "../kinds/kind.js";
import type { Out } from "./c.js";

/** One arena's figures, in bytes. */
export interface ArenaStats {
  /** Usable bytes of live allocations. */
  readonly allocated: number;
  /** Pages of slabs and large runs. */
  readonly active: number;
  /** Active plus dirty pages: an upper bound of what the arena keeps resident. */
  readonly resident: number;
  /** Chunks mapped. */
  readonly mapped: number;
  /** Mapped but purged (clean) pages: address space kept, no memory. */
  readonly retained: number;
  /** Free pages not purged yet. */
  readonly dirty: number;
}

export function arenaStats(arena: Arena): ArenaStats {
  const dirty = arena.dirty.pages * PAGE;
  const active = arena.activePages * PAGE;
  return {
    allocated: arena.allocated,
    active,
    resident: active + dirty,
    mapped: arena.mapped,
    retained: arena.clean.pages * PAGE,
    dirty,
  };
}

/**
 * Live statistics (TypeScript API, no refresh needed): of one kind's arenas in this worker,
 * or of every arena with `kind` null. `metadata` is the heap's own typed arrays (whole heap).
 */
export function stats(kind: Kind | null = null): ArenaStats & { readonly metadata: number } {
  const total = { allocated: 0, active: 0, resident: 0, mapped: 0, retained: 0, dirty: 0 };
  for (const arena of heap.allArenas()) {
    if (kind !== null && kindOfArena[arena.id] !== kind) continue;
    const figures = arenaStats(arena);
    for (const key of Object.keys(total) as (keyof ArenaStats)[]) total[key] += figures[key];
  }
  return { ...total, metadata: heap.metadataBytes };
}

/** Statistics per kind and for the whole heap, as of the last refresh. */
let snapshot = new Map<Kind | null, [resident: number, active: number, allocated: number]>();

/** memkind_update_cached_stats: refreshes the figures memkind_get_stat reports. */
export function memkind_update_cached_stats(): number {
  const next = new Map<Kind | null, [number, number, number]>();
  const total: [number, number, number] = [heap.metadataBytes, 0, 0];
  for (const arena of heap.allArenas()) {
    const kind = kindOfArena[arena.id] ?? null;
    const stats = arenaStats(arena);
    const entry = next.get(kind) ?? [0, 0, 0];
    entry[0] += stats.resident;
    entry[1] += stats.active;
    entry[2] += stats.allocated;
    next.set(kind, entry);
    total[0] += stats.resident;
    total[1] += stats.active;
    total[2] += stats.allocated;
  }
  next.set(null, total);
  snapshot = next;
  return MEMKIND_SUCCESS;
}

/**
 * memkind_get_stat: MEMKIND_STAT_TYPE_RESIDENT (0), _ACTIVE (1) or _ALLOCATED (2) of `kind`,
 * or of the whole heap for NULL (its resident figure includes the heap's metadata).
 */
export function memkind_get_stat(kind: Kind | null, stat: number, value: Out<number>): number {
  if (!Number.isInteger(stat) || stat < 0 || stat > 2) return MEMKIND_ERROR_INVALID;
  value.value = snapshot.get(kind ?? null)?.[stat] ?? 0;
  return MEMKIND_SUCCESS;
}

/** memkind_purge (extension): gives every dirty page of `kind` (NULL: all kinds) back now. */
export function memkind_purge(kind: Kind | null): number {
  if (kind === null || kind === undefined) heap.purgeAll();
  else if (kind.arena) kind.arena.purgeAll();
  return MEMKIND_SUCCESS;
}

/** memkind_set_bg_threads: purge on a timer that does not keep the process alive. */
export function memkind_set_bg_threads(state: boolean): number {
  if (typeof state !== "boolean") return MEMKIND_ERROR_INVALID;
  heap.setBackgroundPurge(state);
  return MEMKIND_SUCCESS;
}
