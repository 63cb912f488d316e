/**
 * An arena: the pages of one kind for one worker, carved into slabs of small regions and
 * runs of large allocations, with a thread cache in front of the small classes.
 *
 *   malloc(small) ─► tcache stack ──(empty)──► bin: head slab's free bitmap ──(none)──► new slab
 *   malloc(large) ─► a run from the page runs (page-runs.ts: free runs, or a new chunk)
 *   free(small)   ─► tcache stack ──(full)───► flush half back to their slabs
 *   free(large)   ─► back to the page runs: a dirty run, purged after the decay time
 *
 * Invariants (checked by `check()`, the page runs' included):
 * - the runs of a chunk (slabs, large allocations, free runs) tile it exactly;
 * - no two free runs of the same state are neighbours (a freed run absorbs its dirty
 *   neighbours and its clean ones up to page-runs.ts CLEAN_ABSORB_MAX pages; a purged run
 *   absorbs its clean neighbours);
 * - every page of a slab or large run maps to its extent in the page map, and both end pages
 *   of a free run map to it;
 * - a slab is in its bin's list iff it has a free region; its free and live bitmaps are
 *   disjoint; live + free + cached regions = all regions;
 * - a large run is its class's pages, plus one pad page when it is coloured: then its
 *   allocation starts colourOf(run start) bytes in (COLOURED_MIN); free runs and slabs have
 *   colour 0;
 * - `largeAllocated` is the sum of usable sizes of live large runs, `activePages` the pages
 *   of slabs and large runs. (Small allocations are not counted on the fast path: `allocated`
 *   counts live bits when statistics are asked for.)
 */
import type { PageProvider } from "../providers/provider.js";
import type { ChunkTable } from "./chunks.js";
import {
  type ExtentTable,
  FREE_CLEAN,
  FREE_DIRTY,
  BITMAP_WORDS as IMPORTED_BITMAP_WORDS,
  SLAB as IMPORTED_SLAB,
  LARGE,
} from "./extents.js";
import type { FreeRuns } from "./free-runs.js";
import type { PageMap } from "./page-map.js";
import { type HeapSpace, PageRuns, type RunOptions } from "./page-runs.js";
import {
  CLASS_SIZES,
  PAGE as IMPORTED_PAGE,
  SMALL_CLASSES,
  slabPages,
  slabRegions,
} from "./size-classes.js";

// Local copies of imported constants: V8 reads an imported binding with a load and a hole
// check on every use; these hot paths use module-local constants instead.
const BITMAP_WORDS = IMPORTED_BITMAP_WORDS;
const SLAB = IMPORTED_SLAB;
const PAGE = IMPORTED_PAGE;

/**
 * Cache colouring of large allocations (jemalloc's cache-oblivious large allocations): a run
 * of at least COLOURED_MIN bytes gets one page more than its class, and its allocation starts
 * at a multiple of 64 B in that first page, picked by hashing the run's address. Blocks that
 * all started at page boundaries would put their first lines, and every line at the same
 * offset in them, in the same 1/64 of the cache sets. The pad page costs address space; it
 * is resident only if the allocation's last page reaches into it. Below 256 KiB that page
 * would be more than 1/64 of the run, so smaller runs start at their first page.
 *
 * The colour depends on the address only, so a run carved again at the same place puts its
 * allocation where the last one was (its lines may still be cached), and a run of a given
 * address always looks the same to a test.
 */
export const COLOURED_MIN = 256 * 1024;
/** The colour of a run starting at `addr`: 64 B * (top 6 bits of a Fibonacci hash of its page). */
export function colourOf(addr: number): number {
  // Math.imul takes the page number modulo 2^32: exact for any address below 2^53.
  return (Math.imul(addr / PAGE, 0x9e3779b1) >>> 26) << 6;
}

/** Small classes up to 4096 bytes go through the thread cache (memkind: lg_tcache_max 12). */
export const TCACHE_CLASSES = CLASS_SIZES.indexOf(4096) + 1;
/**
 * Cache stacks per arena in the heap's cache arrays: a power of two above TCACHE_CLASSES, so
 * that a stack index is (arena id << TCACHE_STACK_SHIFT) | (class + 1), one OR on the hot
 * path. Index 0 of each arena's 32 is never a class's: stack 0 serves as NO_STACK, whose
 * count is kept at TCACHE_SLOTS (always full), so a free of an uncached class takes the
 * full-cache branch with no test of its own.
 */
export const TCACHE_STACK_SHIFT = 5;
export const NO_STACK = 0;
/** The cache stack of `cls` in arena `arenaId`, or NO_STACK for a class the cache does not hold. */
export function cacheStack(arenaId: number, cls: number): number {
  return cls < TCACHE_CLASSES ? (arenaId << TCACHE_STACK_SHIFT) | (cls + 1) : NO_STACK;
}
/** Regions a cache stack holds per class; a miss fills half, a full stack flushes half. */
export const TCACHE_SLOTS = 64;
/**
 * A region reference in the cache, laid out so that it is also the address of the region's
 * live bit (extent bitmaps: ExtentTable.bitmaps, 2 * BITMAP_WORDS words per extent, the live
 * map in the second half):
 *
 *   bit  31..10      9     8..0
 *        extent id   1     region         ref >>> 5  = id * 32 + 16 + (region >> 5): live word
 *                                         ref & 31   = region & 31: the bit in it
 *
 * Bit 9 is the live map's offset (BITMAP_WORDS = 16 words = 1 << 9 bits). Extent ids stay
 * below 2^22 (the shift may make the int32 negative: read ids with >>>).
 */
export const REF_SHIFT = 10;
export const REGION_MASK = 511;
const REF_LIVE_MAP = BITMAP_WORDS << 5;
/** The reference of region `region` of slab extent `id` (see REF_SHIFT). */
export function regionRef(id: number, region: number): number {
  return (id << REF_SHIFT) | REF_LIVE_MAP | region;
}
/** The bitmap word that holds the live bit of a reference (the bit: 1 << (ref & 31)). */
export function liveWord(ref: number): number {
  return ref >>> 5;
}

const SLAB_PAGES = Int32Array.from({ length: SMALL_CLASSES }, (_, cls) => slabPages(cls));
const SLAB_REGIONS = Int32Array.from({ length: SMALL_CLASSES }, (_, cls) => slabRegions(cls));
const SIZES = Float64Array.from(CLASS_SIZES.slice(0, SMALL_CLASSES));

/** Set bits of a 32-bit word. */
function popcount(word: number): number {
  let bits = word - ((word >>> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return (((bits + (bits >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * An arena's thread cache: its slice of the heap-wide cache arrays, which the heap's malloc
 * and free fast paths index directly by arena id.
 *   count[cls]                    regions cached for class cls
 *   ptr[cls * TCACHE_SLOTS + i]   their pointers (a stack: i < count[cls])
 *   ref[cls * TCACHE_SLOTS + i]   their region references
 */
export interface CacheViews {
  readonly count: Int32Array;
  readonly ptr: Float64Array;
  readonly ref: Int32Array;
  /** Per class: a copy of the pointer on top of its stack (don't care when the stack is empty). */
  readonly top: Float64Array;
}

/** An arena's purging options (decay time, MEMKIND_HOG_MEMORY): its page runs'. */
export type ArenaOptions = RunOptions;

/** One size class's row of Arena.classStats. */
export interface ClassStatsRow {
  cls: number;
  size: number;
  slabs: number;
  regions: number;
  live: number;
  cached: number;
  large: number;
}

/** A heap invariant does not hold. */
export class HeapCorruption extends Error {
  override readonly name = "HeapCorruption";
}

export class Arena {
  // ── thread cache: per class a stack of (pointer, region reference) ──────────────────
  readonly cacheCount: Int32Array;
  readonly cachePtr: Float64Array;
  readonly cacheRef: Int32Array;
  /** cacheTop[cls] = cachePtr[cls * TCACHE_SLOTS + count - 1] whenever count > 0 (`syncTop`). */
  readonly cacheTop: Float64Array;

  // ── bins: per small class the head of a list of slabs with free regions ─────────────
  private readonly binHead = new Int32Array(SMALL_CLASSES).fill(-1);

  /** Where slabs and large runs get their pages (page-runs.ts). */
  readonly runs: PageRuns;

  /** Usable bytes of live large allocations. */
  largeAllocated = 0;
  /** Pages in slabs and large runs. */
  activePages = 0;
  private readonly extents: ExtentTable;
  private readonly pageMap: PageMap;
  private readonly chunks: ChunkTable;

  constructor(
    readonly id: number,
    space: HeapSpace,
    cache: CacheViews,
    readonly provider: PageProvider,
    readonly options: ArenaOptions,
  ) {
    this.cacheCount = cache.count;
    this.cachePtr = cache.ptr;
    this.cacheRef = cache.ref;
    this.cacheTop = cache.top;
    this.cacheCount.fill(0); // a reused arena id starts with an empty cache
    this.extents = space.extents;
    this.pageMap = space.pageMap;
    this.chunks = space.chunks;
    this.runs = new PageRuns(id, space, provider, options);
  }

  /** The free runs that may be resident (PageRuns.dirty). */
  get dirty(): FreeRuns {
    return this.runs.dirty;
  }
  /** The purged or untouched free runs (PageRuns.clean). */
  get clean(): FreeRuns {
    return this.runs.clean;
  }
  /** Bytes of chunks mapped for this arena. */
  get mapped(): number {
    return this.runs.mapped;
  }
  /** The error that made the last allocation fail, for messages. */
  get lastError(): unknown {
    return this.runs.lastError;
  }
  /** Whether the run of the last allocLarge is known to read as zeros (calloc skips zeroing). */
  get lastRunZeroed(): boolean {
    return this.runs.lastRunZeroed;
  }

  // ── small allocations ───────────────────────────────────────────────────────────────

  /**
   * A region of small class `cls` for the user (live bit set), from the cache or the bin;
   * 0 when no memory can be had. Hot path: a cache hit is four typed-array operations.
   */
  allocSmall(cls: number): number {
    if (cls >= TCACHE_CLASSES) return this.allocSmallUncached(cls);
    const n = (this.cacheCount[cls] as number) - 1;
    if (n < 0) return this.refillAndAlloc(cls);
    this.cacheCount[cls] = n;
    const slot = cls * TCACHE_SLOTS + n;
    const ref = this.cacheRef[slot] as number;
    const live = liveWord(ref);
    const bitmaps = this.extents.bitmaps;
    bitmaps[live] = (bitmaps[live] as number) | (1 << (ref & 31));
    this.syncTop(cls);
    return this.cachePtr[slot] as number;
  }

  /** Restores the cacheTop invariant of `cls` after its stack changed. */
  private syncTop(cls: number): void {
    const n = this.cacheCount[cls] as number;
    this.cacheTop[cls] = n > 0 ? (this.cachePtr[cls * TCACHE_SLOTS + n - 1] as number) : 0;
  }

  /** The cache miss of allocSmall, out of line so that the hit stays small enough to inline. */
  private refillAndAlloc(cls: number): number {
    return this.fillCache(cls) === 0 ? 0 : this.allocSmall(cls);
  }

  /**
   * Frees region `region` of slab `id` whose live bit the caller has checked and cleared,
   * into the thread cache (its hot path: three typed-array writes).
   */
  freeSmall(id: number, region: number, cls: number, ptr: number): void {
    if (cls < TCACHE_CLASSES) {
      let n = this.cacheCount[cls] as number;
      if (n === TCACHE_SLOTS) n = this.flushCache(cls, TCACHE_SLOTS / 2);
      const slot = cls * TCACHE_SLOTS + n;
      this.cachePtr[slot] = ptr;
      this.cacheTop[cls] = ptr;
      this.cacheRef[slot] = regionRef(id, region);
      this.cacheCount[cls] = n + 1;
      return;
    }
    this.returnRegion(id, region, cls);
  }

  /** Frees a region (live bit already cleared) straight into its slab, bypassing the cache. */
  freeSmallUncached(id: number, region: number, cls: number): void {
    this.returnRegion(id, region, cls);
  }

  /** Takes a region of class `cls` from the bin without the cache (live bit set). */
  allocSmallUncached(cls: number): number {
    const ptr = this.takeRegion(cls);
    if (ptr === 0) return 0;
    const live = liveWord(this.lastRef);
    this.extents.bitmaps[live] =
      (this.extents.bitmaps[live] as number) | (1 << (this.lastRef & 31));
    return ptr;
  }

  /** True if the slab holding a region is worth emptying (defrag): not full, not the bin's head. */
  worthMoving(id: number, cls: number): boolean {
    return (this.extents.nfree[id] as number) > 0 && this.binHead[cls] !== id;
  }

  /** Returns every cached region to its slab (before a purge, a check or a destroy). */
  flushAllCaches(): void {
    for (let cls = 0; cls < TCACHE_CLASSES; cls++)
      this.flushCache(cls, this.cacheCount[cls] as number);
  }

  /** The region reference of the last takeRegion (regionRef). */
  private lastRef = 0;

  /** Moves up to half a stack of regions from the bin into the cache; returns the count. */
  private fillCache(cls: number): number {
    let n = 0;
    const base = cls * TCACHE_SLOTS;
    while (n < TCACHE_SLOTS / 2) {
      const ptr = this.takeRegion(cls);
      if (ptr === 0) break;
      this.cachePtr[base + n] = ptr;
      this.cacheRef[base + n] = this.lastRef;
      n++;
    }
    this.cacheCount[cls] = n;
    this.syncTop(cls);
    return n;
  }

  /** Returns the `count` oldest cached regions of `cls` to their slabs; returns what is left. */
  private flushCache(cls: number, count: number): number {
    const base = cls * TCACHE_SLOTS;
    const n = this.cacheCount[cls] as number;
    for (let i = 0; i < count; i++) {
      const ref = this.cacheRef[base + i] as number;
      this.returnRegion(ref >>> REF_SHIFT, ref & REGION_MASK, cls);
    }
    this.cachePtr.copyWithin(base, base + count, base + n);
    this.cacheRef.copyWithin(base, base + count, base + n);
    this.cacheCount[cls] = n - count;
    this.syncTop(cls);
    return n - count;
  }

  /** A free region of `cls` from the bin's head slab (a new slab if none); 0 on failure. */
  private takeRegion(cls: number): number {
    let id = this.binHead[cls] as number;
    if (id < 0) {
      id = this.newSlab(cls);
      if (id < 0) return 0;
    }
    const bitmaps = this.extents.bitmaps;
    const base = id * 2 * BITMAP_WORDS;
    let word = 0;
    let bits = bitmaps[base] as number;
    while (bits === 0) bits = bitmaps[base + ++word] as number;
    const lowest = bits & -bits;
    const region = word * 32 + (31 - Math.clz32(lowest));
    bitmaps[base + word] = bits & ~lowest;
    const nfree = (this.extents.nfree[id] as number) - 1;
    this.extents.nfree[id] = nfree;
    if (nfree === 0) this.unlinkSlab(id, cls);
    this.lastRef = regionRef(id, region);
    return (this.extents.addr[id] as number) + region * (SIZES[cls] as number);
  }

  /** Puts a region back into its slab's free bitmap; an empty slab's pages are released. */
  private returnRegion(id: number, region: number, cls: number): void {
    const word = id * 2 * BITMAP_WORDS + (region >> 5);
    this.extents.bitmaps[word] = (this.extents.bitmaps[word] as number) | (1 << (region & 31));
    const nfree = (this.extents.nfree[id] as number) + 1;
    this.extents.nfree[id] = nfree;
    if (nfree === 1) this.linkSlab(id, cls);
    if (nfree === SLAB_REGIONS[cls]) {
      // Keep the bin's last slab, so that one malloc/free pair does not map and unmap a slab.
      if (this.binHead[cls] === id && (this.extents.next[id] as number) < 0) return;
      this.unlinkSlab(id, cls);
      this.releaseSlab(id);
    }
  }

  /** Gives an empty slab's pages back to the page runs (unlinked from its bin already). */
  private releaseSlab(id: number): void {
    const e = this.extents;
    this.pageMap.clearSlab(e.addr[id] as number, e.pages[id] as number);
    this.activePages -= e.pages[id] as number;
    this.runs.release(id);
  }

  private newSlab(cls: number): number {
    const pages = SLAB_PAGES[cls] as number;
    const id = this.runs.take(pages, PAGE);
    if (id < 0) return -1;
    const e = this.extents;
    e.state[id] = SLAB;
    e.cls[id] = cls;
    const regions = SLAB_REGIONS[cls] as number;
    e.nfree[id] = regions;
    const base = id * 2 * BITMAP_WORDS;
    e.bitmaps.fill(0, base, base + 2 * BITMAP_WORDS);
    for (let word = 0; word * 32 < regions; word++) {
      const inWord = Math.min(32, regions - word * 32);
      e.bitmaps[base + word] = inWord === 32 ? -1 : (1 << inWord) - 1;
    }
    this.pageMap.set(e.addr[id] as number, pages, id);
    const stack = cacheStack(this.id, cls);
    this.pageMap.setSlab(e.addr[id] as number, pages, cls, stack);
    this.activePages += pages;
    this.linkSlab(id, cls);
    return id;
  }

  private linkSlab(id: number, cls: number): void {
    const head = this.binHead[cls] as number;
    this.extents.next[id] = head;
    this.extents.prev[id] = -1;
    if (head >= 0) this.extents.prev[head] = id;
    this.binHead[cls] = id;
  }

  private unlinkSlab(id: number, cls: number): void {
    const next = this.extents.next[id] as number;
    const prev = this.extents.prev[id] as number;
    if (next >= 0) this.extents.prev[next] = prev;
    if (prev >= 0) this.extents.next[prev] = next;
    else this.binHead[cls] = next;
    this.extents.next[id] = -1;
    this.extents.prev[id] = -1;
  }

  // ── large allocations ───────────────────────────────────────────────────────────────

  /**
   * A large run of `usable` bytes (a page multiple) aligned to `alignment` (a power of two
   * >= PAGE). Returns the extent id, or -1. `lastRunZeroed` then tells whether it reads as zeros.
   * With `colour` (the caller's alignment allows one) and a provider whose pages cost nothing
   * until touched, a run of COLOURED_MIN bytes or more has one page more, and its allocation
   * starts at its cache colour (`colourOf` its address, extents.colour); otherwise at the
   * run's start. (A capped provider, a PMEM kind's max_size or a fixed buffer, would lose
   * capacity to pad pages: its runs are not coloured.)
   */
  allocLarge(usable: number, alignment: number, cls: number, colour: boolean): number {
    const coloured = colour && usable >= COLOURED_MIN && this.provider.growChunks === true;
    const pages = usable / PAGE + (coloured ? 1 : 0);
    const id = this.runs.take(pages, alignment);
    if (id < 0) return -1;
    const e = this.extents;
    e.state[id] = LARGE;
    e.cls[id] = cls;
    e.usable[id] = usable;
    if (coloured) e.colour[id] = colourOf(e.addr[id] as number);
    this.pageMap.set(e.addr[id] as number, pages, id);
    this.activePages += pages;
    this.largeAllocated += usable;
    return id;
  }

  /** Frees a large run. */
  freeLarge(id: number): void {
    this.largeAllocated -= this.extents.usable[id] as number;
    this.activePages -= this.extents.pages[id] as number;
    this.runs.release(id);
  }

  /**
   * Resizes a large run in place to `usable` bytes if it can: shrinking always can, growing
   * if the run that follows is free and long enough. Returns true on success.
   */
  resizeLarge(id: number, usable: number, cls: number): boolean {
    const e = this.extents;
    const pages = e.pages[id] as number;
    // A coloured run keeps its colour and its pad page (the one page beyond its usable size).
    const wanted = (usable + pages * PAGE - (e.usable[id] as number)) / PAGE;
    const start = e.addr[id] as number;
    if (wanted < pages) {
      if (!e.hasRoom(1)) return false;
      const tail = e.create(
        start + wanted * PAGE,
        pages - wanted,
        LARGE,
        this.id,
        e.chunk[id] as number,
      );
      this.pageMap.set(start + wanted * PAGE, pages - wanted, tail);
      e.pages[id] = wanted;
      this.activePages -= pages - wanted;
      this.runs.release(tail);
    } else if (wanted > pages) {
      if (!this.runs.growInPlace(id, wanted - pages)) return false;
      this.activePages += wanted - pages;
    }
    this.largeAllocated += usable - (e.usable[id] as number);
    e.usable[id] = usable;
    e.cls[id] = cls;
    return true;
  }

  // ── purging ─────────────────────────────────────────────────────────────────────────

  /** Purges dirty runs older than the decay time (PageRuns.decay). */
  decay(now = performance.now()): void {
    this.runs.decay(now);
  }

  /** Purges every dirty run now (after flushing the thread cache). Returns bytes purged. */
  purgeAll(): number {
    if (this.options.hog) return 0;
    this.flushAllCaches();
    this.releaseEmptySlabs();
    return this.runs.purgeDirty();
  }

  /** Releases the empty slab each bin keeps (returnRegion keeps one to avoid thrashing). */
  private releaseEmptySlabs(): void {
    for (let cls = 0; cls < SMALL_CLASSES; cls++) {
      const id = this.binHead[cls] as number;
      if (id >= 0 && this.extents.nfree[id] === SLAB_REGIONS[cls]) {
        this.unlinkSlab(id, cls);
        this.releaseSlab(id);
      }
    }
  }

  // ── statistics ──────────────────────────────────────────────────────────────────────

  /**
   * Per size class: slabs and live regions of the small classes, live runs of the large ones
   * (classes with nothing are left out). Cost O(extents): for statistics printing.
   */
  classStats(): ClassStatsRow[] {
    const e = this.extents;
    const rows = new Map<number, ClassStatsRow>();
    const row = (cls: number) => {
      let r = rows.get(cls);
      if (!r) {
        r = {
          cls,
          size: CLASS_SIZES[cls] as number,
          slabs: 0,
          regions: 0,
          live: 0,
          cached: 0,
          large: 0,
        };
        rows.set(cls, r);
      }
      return r;
    };
    for (const id of e.ids()) {
      if (e.arena[id] !== this.id) continue;
      const cls = e.cls[id] as number;
      if (e.state[id] === SLAB) {
        const r = row(cls);
        r.slabs++;
        r.regions += SLAB_REGIONS[cls] as number;
        r.live += this.liveRegions(id);
      } else if (e.state[id] === LARGE) {
        row(cls).large++;
      }
    }
    for (let cls = 0; cls < TCACHE_CLASSES; cls++) {
      if ((this.cacheCount[cls] as number) > 0) row(cls).cached = this.cacheCount[cls] as number;
    }
    return [...rows.values()].sort((a, b) => a.cls - b.cls);
  }

  /**
   * Usable bytes of live allocations: large runs as counted, small regions by counting live
   * bits. Cost O(extents of the heap): for statistics, not for hot paths.
   */
  get allocated(): number {
    const e = this.extents;
    let small = 0;
    for (let id = 0; id < e.idLimit; id++) {
      if (e.state[id] === SLAB && e.arena[id] === this.id)
        small += this.liveRegions(id) * (SIZES[e.cls[id] as number] as number);
    }
    return small + this.largeAllocated;
  }

  /** Live regions of slab `id`: the set bits of its live map. */
  private liveRegions(id: number): number {
    const bitmaps = this.extents.bitmaps;
    const base = id * 2 * BITMAP_WORDS + BITMAP_WORDS;
    let live = 0;
    for (let word = 0; word < BITMAP_WORDS; word++)
      live += popcount(bitmaps[base + word] as number);
    return live;
  }

  // ── checking ────────────────────────────────────────────────────────────────────────

  /** Verifies every invariant of this arena; throws HeapCorruption naming the first broken one. */
  check(): void {
    const e = this.extents;
    const fail = (what: string): never => {
      throw new HeapCorruption(`arena ${this.id}: ${what}`);
    };
    const cached = new Map<number, number>();
    for (let cls = 0; cls < TCACHE_CLASSES; cls++) {
      for (let i = 0; i < (this.cacheCount[cls] as number); i++) {
        const ref = this.cacheRef[cls * TCACHE_SLOTS + i] as number;
        if (cached.has(ref)) fail(`region ${ref} is cached twice`);
        cached.set(ref, cls);
        const region = ref & REGION_MASK;
        const id = ref >>> REF_SHIFT;
        if (e.state[id] !== SLAB || e.cls[id] !== cls)
          fail(`cached region ${ref} is not in a slab of class ${cls}`);
        if (
          this.cachePtr[cls * TCACHE_SLOTS + i] !==
          (e.addr[id] as number) + region * (SIZES[cls] as number)
        ) {
          fail(`cached pointer of region ${ref} is wrong`);
        }
      }
      const n = this.cacheCount[cls] as number;
      if (n > 0 && this.cacheTop[cls] !== this.cachePtr[cls * TCACHE_SLOTS + n - 1])
        fail(`the top copy of class ${cls}'s cache stack is not its top`);
    }
    // Pages of a live large run lent to a nested chunk (a fixed kind over this memory) map to
    // the nested chunk's extents; the chunk keeps the run's entries, which must be this run.
    const lent = [...this.chunks.all()].filter(([, chunk]) => chunk.shadowed !== undefined);
    const lentFrom = (page: number, id: number) =>
      lent.some(
        ([, c]) =>
          c.addr <= page &&
          page < c.addr + c.length &&
          (c.shadowed as Int32Array)[(page - c.addr) / PAGE] === id + 1,
      );
    const byChunk = new Map<number, number[]>();
    let largeAllocated = 0;
    let activePages = 0;
    let dirtyPages = 0;
    let cleanPages = 0;
    const listed = new Set<number>();
    for (let cls = 0; cls < SMALL_CLASSES; cls++) {
      for (
        let id = this.binHead[cls] as number, prev = -1;
        id >= 0;
        prev = id, id = e.next[id] as number
      ) {
        if (e.prev[id] !== prev) fail(`bin ${cls} list is broken at slab ${id}`);
        if (e.cls[id] !== cls || e.state[id] !== SLAB)
          fail(`bin ${cls} lists extent ${id} of another class`);
        listed.add(id);
      }
    }
    for (const id of e.ids()) {
      if (e.arena[id] !== this.id) continue;
      const addr = e.addr[id] as number;
      const pages = e.pages[id] as number;
      const state = e.state[id] as number;
      if (addr % PAGE !== 0 || pages <= 0) fail(`extent ${id} at ${addr} has ${pages} pages`);
      if (state !== LARGE && e.colour[id] !== 0) fail(`extent ${id} is not large but coloured`);
      const list = byChunk.get(e.chunk[id] as number) ?? [];
      list.push(id);
      byChunk.set(e.chunk[id] as number, list);
      if (state === SLAB) {
        const cls = e.cls[id] as number;
        const regions = SLAB_REGIONS[cls] as number;
        const base = id * 2 * BITMAP_WORDS;
        let free = 0;
        for (let region = 0; region < BITMAP_WORDS * 32; region++) {
          const mask = 1 << (region & 31);
          const isFree = ((e.bitmaps[base + (region >> 5)] as number) & mask) !== 0;
          const isLive = ((e.bitmaps[base + BITMAP_WORDS + (region >> 5)] as number) & mask) !== 0;
          if ((isFree || isLive) && region >= regions)
            fail(`slab ${id} has bits beyond its ${regions} regions`);
          if (isFree && isLive) fail(`slab ${id} region ${region} is both free and live`);
          const isCached = cached.has(regionRef(id, region));
          if (isCached && (isFree || isLive))
            fail(`slab ${id} region ${region} is cached but free or live`);
          if (region < regions && !isFree && !isLive && !isCached)
            fail(`slab ${id} region ${region} is lost`);
          if (isFree) free++;
        }
        if (free !== e.nfree[id])
          fail(`slab ${id} counts ${e.nfree[id]} free regions, its bitmap ${free}`);
        if (free > 0 !== listed.has(id))
          fail(`slab ${id} with ${free} free regions is ${listed.has(id) ? "" : "not "}in its bin`);
        activePages += pages;
        for (let page = 0; page < pages; page++) {
          if (this.pageMap.lookup(addr + page * PAGE) !== id)
            fail(`page ${page} of slab ${id} is not mapped to it`);
        }
      } else if (state === LARGE) {
        largeAllocated += e.usable[id] as number;
        activePages += pages;
        const pad = pages - (e.usable[id] as number) / PAGE;
        const colour = e.colour[id] as number;
        if (pad < 0) fail(`large ${id} is shorter than its usable size`);
        if (pad > 1 || colour % 64 !== 0 || (pad === 0 ? colour !== 0 : colour !== colourOf(addr)))
          fail(`large ${id} has ${pad} pad pages and colour ${colour}`);
        for (let page = 0; page < pages; page++) {
          const at = addr + page * PAGE;
          if (this.pageMap.lookup(at) !== id && !lentFrom(at, id))
            fail(`page ${page} of large ${id} is not mapped to it`);
        }
      } else if (state === FREE_DIRTY || state === FREE_CLEAN) {
        if (state === FREE_DIRTY) dirtyPages += pages;
        else cleanPages += pages;
        if (
          this.pageMap.lookup(addr) !== id ||
          this.pageMap.lookup(addr + (pages - 1) * PAGE) !== id
        ) {
          fail(`free run ${id} ends are not mapped to it`);
        }
      } else {
        fail(`extent ${id} has unknown state ${state}`);
      }
    }
    for (const [chunkId, ids] of byChunk) {
      const chunk = this.chunks.get(chunkId);
      ids.sort((a, b) => (e.addr[a] as number) - (e.addr[b] as number));
      let at = chunk.addr;
      let previousState = -1;
      for (const id of ids) {
        if (e.addr[id] !== at) fail(`chunk ${chunkId} has a gap or overlap at ${at}`);
        const state = e.state[id] as number;
        const free = state === FREE_DIRTY || state === FREE_CLEAN;
        if (free && state === previousState) fail(`free runs at ${at} are not coalesced`);
        previousState = state;
        at += (e.pages[id] as number) * PAGE;
      }
      if (at !== chunk.addr + chunk.length) fail(`chunk ${chunkId} is not covered to its end`);
    }
    if (dirtyPages !== this.dirty.pages)
      fail(`dirty index holds ${this.dirty.pages} pages, runs ${dirtyPages}`);
    if (cleanPages !== this.clean.pages)
      fail(`clean index holds ${this.clean.pages} pages, runs ${cleanPages}`);
    if (largeAllocated !== this.largeAllocated) {
      fail(`large allocated is ${this.largeAllocated}, live large runs sum to ${largeAllocated}`);
    }
    if (activePages !== this.activePages)
      fail(`active pages are ${this.activePages}, runs sum to ${activePages}`);
    let mapped = 0;
    for (const [, chunk] of this.chunks.all()) if (chunk.arena === this.id) mapped += chunk.length;
    if (mapped !== this.mapped) fail(`mapped is ${this.mapped}, chunks sum to ${mapped}`);
  }
}
