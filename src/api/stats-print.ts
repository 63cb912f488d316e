/**
 * memkind_stats_print (reference section 1.2): the heap's statistics as text in the spirit
 * of jemalloc's malloc_stats_print, or as JSON with MEMKIND_STAT_PRINT_JSON_FORMAT. The omit
 * flags drop sections as jemalloc's option characters do (g m d a b l x e); a bit outside
 * 0x1FF is MEMKIND_ERROR_INVALID. A null writer prints to stderr.
 */
import type { Arena } from "../heap/arena.js";
import { SLOT_SIZE } from "../heap/page-map.js";
import { PAGE } from "../heap/size-classes.js";
import { MEMKIND_ERROR_INVALID, MEMKIND_SUCCESS } from "../kinds/errors.js";
import { heap } from "../kinds/heap.js";
import { kindOfArena } from "../kinds/kind.js";
import { VERSION } from "../version.js";
import { arenaStats } from "./stats.js";

export const MEMKIND_STAT_PRINT_ALL = 0;
export const MEMKIND_STAT_PRINT_JSON_FORMAT = 1 << 0;
export const MEMKIND_STAT_PRINT_OMIT_GENERAL = 1 << 1;
export const MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA = 1 << 2;
export const MEMKIND_STAT_PRINT_OMIT_DESTROYED_MERGED_ARENA = 1 << 3;
export const MEMKIND_STAT_PRINT_OMIT_PER_ARENA = 1 << 4;
export const MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_BINS = 1 << 5;
export const MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_LARGE = 1 << 6;
export const MEMKIND_STAT_PRINT_OMIT_MUTEX = 1 << 7;
export const MEMKIND_STAT_PRINT_OMIT_EXTENT = 1 << 8;
const VALID = 0x1ff;

interface ArenaReport {
  readonly index: number;
  readonly kind: string;
  readonly provider: string;
  readonly decayMs: number;
  readonly stats: ReturnType<typeof arenaStats>;
  readonly bins?: { size: number; slabs: number; regions: number; live: number; cached: number }[];
  readonly large?: { size: number; allocations: number }[];
  readonly extents?: {
    dirtyRuns: number;
    dirtyPages: number;
    cleanRuns: number;
    cleanPages: number;
  };
}

function arenaReport(arena: Arena, opts: number): ArenaReport {
  const classes = arena.classStats();
  return {
    index: arena.id,
    kind: kindOfArena[arena.id]?.name ?? "(none)",
    provider: arena.provider.description,
    decayMs: arena.options.decayMs,
    stats: arenaStats(arena),
    ...(opts & MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_BINS
      ? {}
      : {
          bins: classes
            .filter((c) => c.slabs > 0)
            .map(({ size, slabs, regions, live, cached }) => ({
              size,
              slabs,
              regions,
              live,
              cached,
            })),
        }),
    ...(opts & MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_LARGE
      ? {}
      : {
          large: classes
            .filter((c) => c.large > 0)
            .map(({ size, large }) => ({ size, allocations: large })),
        }),
    ...(opts & MEMKIND_STAT_PRINT_OMIT_EXTENT
      ? {}
      : {
          extents: {
            dirtyRuns: arena.dirty.count,
            dirtyPages: arena.dirty.pages,
            cleanRuns: arena.clean.count,
            cleanPages: arena.clean.pages,
          },
        }),
  };
}

function merged(arenas: readonly ArenaReport[]): ReturnType<typeof arenaStats> {
  const total = { allocated: 0, active: 0, resident: 0, mapped: 0, retained: 0, dirty: 0 };
  for (const arena of arenas) {
    for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += arena.stats[key];
  }
  return total;
}

function general() {
  return {
    version: VERSION,
    api: "memkind 1.14.0",
    pageSize: PAGE,
    chunkSlot: SLOT_SIZE,
    backgroundPurge: heap.backgroundPurge,
    metadata: heap.metadataBytes,
  };
}

function asText(opts: number, arenas: readonly ArenaReport[]): string {
  const lines = ["___ Begin memkind statistics ___"];
  if (!(opts & MEMKIND_STAT_PRINT_OMIT_GENERAL)) {
    const g = general();
    lines.push(`Version: "${g.version}" (${g.api} API)`, "General:");
    lines.push(
      `  page size: ${g.pageSize}, chunk slot: ${g.chunkSlot}, background purge: ${g.backgroundPurge}`,
    );
    lines.push(`  metadata: ${g.metadata}`);
  }
  const figures = (s: ReturnType<typeof arenaStats>) =>
    `allocated: ${s.allocated}, active: ${s.active}, resident: ${s.resident}, mapped: ${s.mapped}, retained: ${s.retained}, dirty: ${s.dirty}`;
  if (!(opts & MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA))
    lines.push(`Merged arenas stats: ${figures(merged(arenas))}`);
  if (!(opts & MEMKIND_STAT_PRINT_OMIT_PER_ARENA)) {
    for (const arena of arenas) {
      lines.push(
        `arenas[${arena.index}] (${arena.kind}, ${arena.provider}, decay ${arena.decayMs} ms):`,
      );
      lines.push(`  ${figures(arena.stats)}`);
      if (arena.bins) {
        lines.push("  bins:           size     slabs   regions      live    cached");
        for (const b of arena.bins) {
          lines.push(
            `  ${[b.size, b.slabs, b.regions, b.live, b.cached].map((v) => String(v).padStart(10)).join("")}`,
          );
        }
      }
      if (arena.large) {
        lines.push("  large:          size  allocations");
        for (const l of arena.large)
          lines.push(`  ${String(l.size).padStart(14)}${String(l.allocations).padStart(13)}`);
      }
      if (arena.extents) {
        const x = arena.extents;
        lines.push(
          `  extents: dirty ${x.dirtyRuns} runs / ${x.dirtyPages} pages, clean ${x.cleanRuns} runs / ${x.cleanPages} pages`,
        );
      }
    }
  }
  lines.push("___ End memkind statistics ___");
  return `${lines.join("\n")}\n`;
}

function asJson(opts: number, arenas: readonly ArenaReport[]): string {
  const report = {
    memkind: {
      ...(opts & MEMKIND_STAT_PRINT_OMIT_GENERAL ? {} : { general: general() }),
      ...(opts & MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA ? {} : { merged: merged(arenas) }),
      ...(opts & MEMKIND_STAT_PRINT_OMIT_PER_ARENA ? {} : { arenas }),
    },
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** memkind_stats_print(write_cb, opts): MEMKIND_SUCCESS, or MEMKIND_ERROR_INVALID for unknown bits. */
export function memkind_stats_print(
  writeCb: ((text: string) => void) | null,
  opts: number,
): number {
  if (!Number.isInteger(opts) || opts < 0 || (opts & ~VALID) !== 0) return MEMKIND_ERROR_INVALID;
  const arenas = heap.allArenas().map((arena) => arenaReport(arena, opts));
  const text = opts & MEMKIND_STAT_PRINT_JSON_FORMAT ? asJson(opts, arenas) : asText(opts, arenas);
  if (writeCb) writeCb(text);
  else process.stderr.write(text);
  return MEMKIND_SUCCESS;
}
