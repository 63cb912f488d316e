// biome-ignore-all lint/suspicious/noDuplicateEnumValues: Hot is a table of named constants, equal values are coincidences
/**
 * The heap: every arena of every kind over one page map, so that any pointer is found in
 * O(1) whatever kind it came from. It knows nothing of NUMA or files: arenas get their pages
 * from the providers the kinds give them.
 *
 * Pointer checks on free (all O(1), out of band, so a corrupted allocation cannot fool them):
 *   page map has no extent         -> NOT_OWNED   (never the heap's)
 *   not at a region / run start    -> INTERIOR    (into the middle of an allocation)
 *   region or run not live         -> NOT_LIVE    (a double free, or never handed out)
 */
import type { AddressReservation, PageProvider } from "../providers/provider.js";
import {
  Arena,
  type ArenaOptions,
  cacheStack,
  HeapCorruption,
  liveWord,
  NO_STACK,
  REF_SHIFT,
  regionRef,
  TCACHE_CLASSES,
  TCACHE_SLOTS,
  TCACHE_STACK_SHIFT,
} from "./arena.js";
import { ChunkTable } from "./chunks.js";
import { BITMAP_WORDS, ExtentTable, LARGE, SLAB } from "./extents.js";
import {
  PageMap,
  SLAB_INFO_CLASS_SHIFT,
  SLAB_INFO_PAGE_BYTES,
  SLAB_INFO_PAGE_SHIFT,
  SLAB_INFO_STACK_SHIFT,
  slabInfo,
} from "./page-map.js";
import {
  alignedUsableSize,
  CLASS_LOOKUP,
  CLASS_SIZES,
  classSize,
  LOOKUP_MAX_SIZE,
  PAGE,
  SMALL_CLASSES,
  SMALL_MAX,
  sizeClass,
} from "./size-classes.js";

/**
 * The constants of the hot paths, as a const enum so that tsc writes them as literals: V8
 * folds a literal, but reads any module-level binding (imported or not) with a context load
 * on every use, which measurably slows malloc/free. Each member equals the constant named
 * beside it in its home module; `checkHotConstants` below fails loudly if one drifts.
 */
const enum Hot {
  Slab = 3, // extents.ts SLAB
  Large = 4, // extents.ts LARGE
  Page = 4096, // size-classes.ts PAGE
  BitmapWords = 16, // extents.ts BITMAP_WORDS
  TcacheStackShift = 5, // arena.ts TCACHE_STACK_SHIFT
  TcacheSlotShift = 6, // log2 of arena.ts TCACHE_SLOTS
  TcacheSlots = 64, // arena.ts TCACHE_SLOTS
  RefShift = 10, // arena.ts REF_SHIFT
  RefLiveMap = 512, // arena.ts regionRef's bit 9: BITMAP_WORDS << 5
  RefWordShift = 5, // arena.ts liveWord: ref >>> 5
  PerPage = 0.000244140625, // 1 / PAGE, exact
  LiveStride = 32, // 2 * BITMAP_WORDS: an extent's two bitmaps
  LiveShift = 5, // log2 of LiveStride
  InfoStackShift = 15, // page-map.ts SLAB_INFO_STACK_SHIFT
  InfoClassShift = 6, // page-map.ts SLAB_INFO_CLASS_SHIFT
  InfoClassMask = 63,
  InfoPageBytes = 28672, // page-map.ts SLAB_INFO_PAGE_BYTES: 7 << 12
  LookupMax = 4096, // size-classes.ts LOOKUP_MAX_SIZE: the cached sizes, all in the lookup table
}

/** The pointer statuses (OK, NOT_OWNED, INTERIOR, NOT_LIVE below) as literals. */
const enum Status {
  Ok = 0,
  NotOwned = 1,
  Interior = 2,
  NotLive = 3,
  Lent = 4,
}

function checkHotConstants(): void {
  const pairs: [number, number, string][] = [
    [Hot.Slab, SLAB, "SLAB"],
    [Hot.Large, LARGE, "LARGE"],
    [Hot.Page, PAGE, "PAGE"],
    [Hot.BitmapWords, BITMAP_WORDS, "BITMAP_WORDS"],
    [Hot.TcacheStackShift, TCACHE_STACK_SHIFT, "TCACHE_STACK_SHIFT"],
    [1 << Hot.TcacheSlotShift, TCACHE_SLOTS, "1 << TcacheSlotShift"],
    [+(TCACHE_CLASSES < 1 << TCACHE_STACK_SHIFT), 1, "TCACHE_CLASSES < 1 << TCACHE_STACK_SHIFT"],
    [cacheStack(0, 0), 1, "cacheStack(arena, class) = arena << TcacheStackShift | class + 1"],
    [Hot.TcacheSlots, TCACHE_SLOTS, "TCACHE_SLOTS"],
    [Hot.RefShift, REF_SHIFT, "REF_SHIFT"],
    [regionRef(3, 100), (3 << Hot.RefShift) | Hot.RefLiveMap | 100, "regionRef"],
    [liveWord(regionRef(3, 100)) << Hot.RefWordShift, regionRef(3, 100) & ~31, "liveWord"],
    [liveWord(regionRef(3, 100)), 3 * Hot.LiveStride + Hot.BitmapWords + (100 >> 5), "live word"],
    [Hot.PerPage, 1 / PAGE, "1 / PAGE"],
    [Hot.LiveStride, 2 * BITMAP_WORDS, "2 * BITMAP_WORDS"],
    [1 << Hot.LiveShift, 2 * BITMAP_WORDS, "1 << LiveShift"],
    [Hot.InfoStackShift, SLAB_INFO_STACK_SHIFT, "SLAB_INFO_STACK_SHIFT"],
    [Hot.InfoClassShift, SLAB_INFO_CLASS_SHIFT, "SLAB_INFO_CLASS_SHIFT"],
    [Hot.InfoPageBytes, SLAB_INFO_PAGE_BYTES, "SLAB_INFO_PAGE_BYTES"],
    [SLAB_INFO_PAGE_SHIFT, 12, "SLAB_INFO_PAGE_SHIFT (a page's byte offset)"],
    [Hot.InfoClassMask + 1, 2 ** (SLAB_INFO_PAGE_SHIFT - SLAB_INFO_CLASS_SHIFT), "class bits"],
    [Hot.LookupMax, LOOKUP_MAX_SIZE, "LOOKUP_MAX_SIZE"],
    [sizeClass(Hot.LookupMax), TCACHE_CLASSES - 1, "the class of LOOKUP_MAX_SIZE"],
    [Status.Ok, OK, "OK"],
    [Status.NotOwned, NOT_OWNED, "NOT_OWNED"],
    [Status.Interior, INTERIOR, "INTERIOR"],
    [Status.NotLive, NOT_LIVE, "NOT_LIVE"],
    [Status.Lent, LENT, "LENT"],
  ];
  for (const [hot, real, name] of pairs) {
    if (hot !== real)
      throw new Error(`heap.ts: Hot constant for ${name} is ${hot}, ${name} is ${real}`);
  }
}
/**
 * The page map's lookup (PageMap.lookup) on its hot path: a pointer in the heap's reserved
 * range is one load from the window's entries; anything else goes to PageMap.lookup out of
 * line (a call there boxes the pointer, but only memory outside the reservation takes it).
 * Extent id of the page holding `ptr`, or -1. A unit test checks it against PageMap.lookup.
 */
export function extentAt(
  entries: Int32Array,
  windowBase: number,
  windowLength: number,
  pageMap: PageMap,
  ptr: number,
): number {
  const offset = ptr - windowBase;
  // offset < 2^43, so offset / 4096 < 2^31: truncation is the floor
  return offset >= 0 && offset < windowLength
    ? (entries[(offset * Hot.PerPage) | 0] as number) - 1
    : pageMap.lookup(ptr);
}

export const OK = 0;
export const NOT_OWNED = 1;
export const INTERIOR = 2;
export const NOT_LIVE = 3;
/** A live large allocation that a fixed kind lives in: it cannot be freed or resized. */
export const LENT = 4;
export type PointerStatus =
  | typeof OK
  | typeof NOT_OWNED
  | typeof INTERIOR
  | typeof NOT_LIVE
  | typeof LENT;

/** Why a pointer with this status cannot be freed, as error messages put it after the pointer. */
export const POINTER_PROBLEM: Record<Exclude<PointerStatus, typeof OK>, string> = {
  [NOT_OWNED]: "was not allocated by memkind",
  [INTERIOR]: "points into the middle of an allocation",
  [NOT_LIVE]: "is not an allocated block (freed twice, or never allocated)",
  [LENT]: "holds a fixed kind's memory (destroy that kind first)",
};

checkHotConstants();

/**
 * Region index by an integer multiply and shift instead of a divide (Granlund-Montgomery):
 * for every offset below 2^15 (a slab has at most 8 pages),
 *
 *   floor(offset / size) = (offset * m) >>> s,  s = 15 + ceil(log2 size),  m = ceil(2^s / size)
 *
 * and m <= 2^16, so the product stays below 2^31 (exact in Math.imul). `region * size ===
 * offset` then tells a region start from an interior pointer. Indexed by class, 64 entries:
 * any value of the slab description's 6-bit class field is in range. Unit-tested against
 * division for every offset of every slab.
 */
const CLASS_TABLE_LENGTH = 64;
export const REGION_SIZE = new Int32Array(CLASS_TABLE_LENGTH);
export const REGION_MULTIPLIER = new Int32Array(CLASS_TABLE_LENGTH);
export const REGION_SHIFT = new Int32Array(CLASS_TABLE_LENGTH);
for (let cls = 0; cls < SMALL_CLASSES; cls++) {
  const size = CLASS_SIZES[cls] as number;
  const shift = 15 + Math.ceil(Math.log2(size));
  REGION_SIZE[cls] = size;
  REGION_SHIFT[cls] = shift;
  REGION_MULTIPLIER[cls] = Math.ceil(2 ** shift / size);
}
/** The region of small class `cls` at `offset` (< 2^15) bytes into its slab, rounded down. */
export function regionAt(offset: number, cls: number): number {
  return Math.imul(offset, REGION_MULTIPLIER[cls] as number) >>> (REGION_SHIFT[cls] as number);
}

/** Most arenas a heap holds at once (memkind: jemalloc's MALLOCX_ARENA_MAX, 0xffe). */
export const MAX_ARENAS = 4094;

export interface HeapOptions {
  /** Extents the heap can track (default 2^21). */
  readonly maxExtents?: number;
  /** 4 MiB slots of chunks registered at once (default 2^16: 256 GiB). */
  readonly maxSlots?: number;
  /** Arenas at once (default MAX_ARENAS). */
  readonly maxArenas?: number;
  /**
   * An address range reserved for the heap: chunks of providers that can map at an address
   * go there, and the page map covers it with one flat array (the fast lookup).
   */
  readonly reservation?: AddressReservation;
}

export class Heap {
  readonly extents: ExtentTable;
  readonly pageMap: PageMap;
  readonly chunks: ChunkTable;
  private readonly arenas: (Arena | undefined)[] = [];
  private readonly freeArenaIds: number[] = [];
  private readonly maxArenas: number;
  private timer: ReturnType<typeof setInterval> | undefined;

  // The hot paths read these readonly fields directly: the arrays are allocated once at
  // their full size (lazily zeroed pages), so each stays one object and one load away.
  private readonly entries: Int32Array;
  private readonly windowBase: number;
  private readonly windowLength: number;
  /** The window base's low 32 bits (as an int32), and the slab zone's length (PageMap). */
  private readonly windowBaseLow: number;
  private readonly slabZoneLength: number;
  private readonly windowSlabs: Int32Array;
  private readonly state: Uint8Array;
  private readonly addr: Float64Array;
  private readonly pages: Float64Array;
  private readonly cls: Int16Array;
  private readonly owner: Int32Array;
  private readonly bitmaps: Int32Array;
  /** Class of each request up to 4096 bytes, at 8-byte steps (size-classes.ts CLASS_LOOKUP). */
  private readonly classOf: Readonly<Int32Array>;
  /** Size, multiplier and shift of each small class (REGION_SIZE, regionAt). */
  private readonly regionSize: Int32Array;
  private readonly regionMultiplier: Int32Array;
  private readonly regionShift: Int32Array;
  /**
   * The thread caches of all arenas, indexed by stack = arena id << TCACHE_STACK_SHIFT |
   * class + 1 (cacheStack; stack 0 is NO_STACK, the others past TCACHE_CLASSES are unused):
   *   cacheCount[stack]                       regions cached on the stack
   *   cachePtr / cacheRef[stack * SLOTS + i]  their pointers and region references
   * Each arena works on its slice through subarray views (Arena.cacheCount, ...).
   */
  private readonly cacheCount: Int32Array;
  private readonly cachePtr: Float64Array;
  private readonly cacheRef: Int32Array;
  /**
   * Per stack: a copy of its top pointer (Arena.cacheTop). malloc reads the pointer from it,
   * at an address that does not depend on the count, so a malloc right after a free of the
   * same class does not wait for the count's round trip through memory.
   */
  private readonly cacheTop: Float64Array;

  constructor(options: HeapOptions = {}) {
    this.extents = new ExtentTable(options.maxExtents);
    const reservation = options.reservation;
    this.pageMap = new PageMap(options.maxSlots, reservation);
    this.chunks = new ChunkTable(this.pageMap, reservation);
    this.maxArenas = Math.min(options.maxArenas ?? MAX_ARENAS, MAX_ARENAS);
    this.entries = this.pageMap.entries;
    this.windowBase = this.pageMap.windowBase;
    this.windowLength = this.pageMap.windowLength;
    this.windowBaseLow = this.windowBase | 0;
    this.slabZoneLength = this.pageMap.slabZoneLength;
    this.windowSlabs = this.pageMap.windowSlabs;
    this.state = this.extents.state;
    this.addr = this.extents.addr;
    this.pages = this.extents.pages;
    this.cls = this.extents.cls;
    this.owner = this.extents.arena;
    this.bitmaps = this.extents.bitmaps;
    this.classOf = CLASS_LOOKUP;
    this.regionSize = REGION_SIZE;
    this.regionMultiplier = REGION_MULTIPLIER;
    this.regionShift = REGION_SHIFT;
    const stacks = this.maxArenas << TCACHE_STACK_SHIFT;
    this.cacheCount = new Int32Array(stacks);
    this.cachePtr = new Float64Array(stacks * TCACHE_SLOTS);
    this.cacheRef = new Int32Array(stacks * TCACHE_SLOTS);
    this.cacheTop = new Float64Array(stacks);
    this.cacheCount[NO_STACK] = TCACHE_SLOTS; // never a class's stack: always full
  }

  /** A new arena; RangeError when the heap already holds its maximum of arenas. */
  createArena(provider: PageProvider, options: ArenaOptions): Arena {
    const id = this.freeArenaIds.pop() ?? this.arenas.length;
    if (id >= this.maxArenas) throw new RangeError(`a heap holds at most ${this.maxArenas} arenas`);
    // The arena's views start at its stack of class 0 (cacheStack): view[cls] is its stack.
    const first = (id << TCACHE_STACK_SHIFT) + 1;
    const end = first + TCACHE_CLASSES;
    const cache = {
      count: this.cacheCount.subarray(first, end),
      ptr: this.cachePtr.subarray(first * TCACHE_SLOTS, end * TCACHE_SLOTS),
      ref: this.cacheRef.subarray(first * TCACHE_SLOTS, end * TCACHE_SLOTS),
      top: this.cacheTop.subarray(first, end),
    };
    const arena = new Arena(id, this, cache, provider, options);
    this.arenas[id] = arena;
    return arena;
  }

  /** Whether a chunk of another kind (a fixed kind) lies in a large run of `arena`. */
  lendsMemory(arena: Arena): boolean {
    for (const id of this.chunks.hostRuns()) if (this.extents.arena[id] === arena.id) return true;
    return false;
  }

  /** Unmaps every chunk of an arena; its pointers become foreign. */
  destroyArena(arena: Arena): void {
    for (const [chunkId, chunk] of [...this.chunks.all()]) {
      if (chunk.arena === arena.id) this.chunks.release(chunkId);
    }
    for (const id of [...this.extents.ids()])
      if (this.extents.arena[id] === arena.id) this.extents.remove(id);
    this.arenas[arena.id] = undefined;
    this.freeArenaIds.push(arena.id);
  }

  arena(id: number): Arena | undefined {
    return this.arenas[id];
  }

  /** Every live arena. */
  allArenas(): Arena[] {
    return this.arenas.filter((arena): arena is Arena => arena !== undefined);
  }

  // ── allocation ──────────────────────────────────────────────────────────────────────

  /**
   * A request of `size` bytes, an integer 1..4096 (checked by the caller), from arena
   * `arenaId`; 0 if no memory can be had. Hot path, a thread-cache hit: the class from the
   * lookup table, pop a pointer and its region reference, set the region's live bit. A miss
   * goes to the arena out of line. Its bytecode is kept small so that V8 inlines it (with
   * memkind_malloc) into the caller: an inlined call returns the pointer unboxed.
   */
  mallocSmall(arenaId: number, size: number): number {
    const cls = this.classOf[(size + 7) >> 3] as number;
    // `| 0` and `|` below: int32 arithmetic V8 emits without overflow checks. n < 64, so
    // `stack << 6 | n` is stack * 64 + n; ref >>> 9 < 2^22, so its live word is exact too.
    const stack = (arenaId << Hot.TcacheStackShift) | (cls + 1); // cacheStack
    const n = ((this.cacheCount[stack] as number) - 1) | 0;
    // `+`: the miss's result joins the hit's as a raw double; a call's result is a tagged
    // value, and joining it with the hit would box every pointer into a new heap number.
    if (n < 0) return +this.mallocMiss(arenaId, cls);
    this.cacheCount[stack] = n;
    const ptr = this.cacheTop[stack] as number;
    const top = (stack << Hot.TcacheSlotShift) | n;
    // The new top's copy. For n = 0 this reads the slot below the stack (the last of the
    // stack before, >= 0 as stack >= 1): don't care, the next malloc misses and refills.
    this.cacheTop[stack] = this.cachePtr[(top - 1) | 0] as number;
    const ref = this.cacheRef[top] as number;
    // A reference is the address of its live bit (arena.ts regionRef): word ref >>> 5, bit
    // ref & 31 (`1 << ref` masks the count to 5 bits itself).
    const live = ref >>> Hot.RefWordShift;
    this.bitmaps[live] = (this.bitmaps[live] as number) | (1 << ref);
    return ptr;
  }

  private mallocMiss(arenaId: number, cls: number): number {
    return (this.arenas[arenaId] as Arena).allocSmall(cls);
  }

  /** `size` bytes (1 <= size <= MAX_REQUEST, checked by the caller) from `arena`; 0 if none. */
  malloc(arena: Arena, size: number): number {
    if (size <= SMALL_MAX) return arena.allocSmall(sizeClass(size));
    const cls = sizeClass(size);
    return this.largeStart(arena.allocLarge(classSize(cls), PAGE, cls, true));
  }

  /** `size` bytes aligned to `alignment` (a power of two >= 8, checked by the caller); 0 if none. */
  memalign(arena: Arena, alignment: number, size: number): number {
    const usable = alignedUsableSize(size, alignment);
    if (usable <= SMALL_MAX) return arena.allocSmall(sizeClass(usable));
    const cls = sizeClass(usable);
    // A colour is a multiple of 64 B: alignments up to that allow one.
    const id = arena.allocLarge(usable, Math.max(PAGE, alignment), cls, alignment <= 64);
    return this.largeStart(id);
  }

  /** The allocation of large extent `id` (its run's start plus its colour), 0 for no extent. */
  private largeStart(id: number): number {
    return id < 0 ? 0 : (this.addr[id] as number) + (this.extents.colour[id] as number);
  }

  /** `size` zeroed bytes; skips zeroing large runs whose pages are fresh or purged. */
  calloc(arena: Arena, size: number): number {
    const ptr = this.malloc(arena, size);
    if (ptr === 0) return 0;
    if (size > SMALL_MAX && arena.lastRunZeroed) return ptr;
    this.bytes(ptr, this.usableSize(ptr)).fill(0);
    return ptr;
  }

  /**
   * Frees `ptr`; returns OK or why it is not a live allocation (the heap is then unchanged).
   * Hot path: a region of a slab in the heap's reserved window, pushed onto its cache stack.
   * Its page's slab description gives the class, the stack and the slab's start, so the only
   * extent data read is the live bit; the bytecode stays small enough for V8 to inline it
   * with memkind_free into the caller (a call that is not inlined boxes the pointer into a
   * heap number). Everything else (large runs, memory outside the window, pages in no slab,
   * full caches) goes out of line.
   */
  free(ptr: number): PointerStatus {
    const zoneOffset = ptr - this.windowBase;
    if (!(zoneOffset >= 0 && zoneOffset < this.slabZoneLength)) return this.freeElsewhere(ptr);
    // In the slab zone (< 4 GiB), the page index is the low 32 bits of the offset, shifted:
    // integer operations only (`ptr | 0` keeps the low 32 bits of an integer below 2^53).
    const low = ptr | 0;
    const index = (low - this.windowBaseLow) >>> 12;
    const info = this.windowSlabs[index] as number;
    if (info === 0) return this.freeElsewhere(ptr);
    const cls = (info >> Hot.InfoClassShift) & Hot.InfoClassMask;
    // Bytes from the slab's start: the byte in the page (low 12 bits), OR the pages before it.
    const offset = (low & (Hot.Page - 1)) | (info & Hot.InfoPageBytes);
    // regionAt inlined: a multiply and a shift; the product check rejects interior pointers.
    const region =
      Math.imul(offset, this.regionMultiplier[cls] as number) >>> (this.regionShift[cls] as number);
    if (Math.imul(region, this.regionSize[cls] as number) !== offset)
      return Status.Interior as PointerStatus;
    // `| 0` and `|`: int32 arithmetic without overflow checks (extent ids < 2^22, region < 512,
    // n < 64: each OR is the sum it replaces, as in mallocSmall).
    const id = ((this.entries[index] as number) - 1) | 0;
    const live = (id << Hot.LiveShift) | Hot.BitmapWords | (region >> 5);
    const bits = this.bitmaps[live] as number;
    const mask = 1 << region; // the count is taken mod 32: region & 31
    if ((bits & mask) === 0) return Status.NotLive as PointerStatus;
    this.bitmaps[live] = bits & ~mask;
    // A full stack, or NO_STACK (a class above 4 KiB, its count always full): the arena's path.
    const stack = info >>> Hot.InfoStackShift;
    const n = this.cacheCount[stack] as number;
    if (n === Hot.TcacheSlots) return this.freeMiss(id, region, ptr);
    const top = (stack << Hot.TcacheSlotShift) | n;
    this.cachePtr[top] = ptr;
    this.cacheTop[stack] = ptr;
    this.cacheRef[top] = (id << Hot.RefShift) | Hot.RefLiveMap | region; // regionRef
    this.cacheCount[stack] = n + 1;
    return Status.Ok as PointerStatus;
  }

  /**
   * The free path of everything but window slabs: the checks of `liveExtent` (page-map
   * lookup, stale entries, region start, live bit), then the arena frees the region or run.
   */
  private freeElsewhere(ptr: number): PointerStatus {
    const id = this.liveExtent(ptr);
    if (id < 0) return -id as PointerStatus;
    const arena = this.arenas[this.owner[id] as number] as Arena;
    if (this.state[id] === Hot.Large) {
      if (this.chunks.hostsChunk(id)) return Status.Lent as PointerStatus;
      arena.freeLarge(id);
      return Status.Ok as PointerStatus;
    }
    const cls = this.cls[id] as number;
    const region = regionAt(ptr - (this.addr[id] as number), cls);
    const live = id * Hot.LiveStride + Hot.BitmapWords + (region >> 5);
    this.bitmaps[live] = (this.bitmaps[live] as number) & ~(1 << (region & 31));
    arena.freeSmall(id, region, cls, ptr);
    return Status.Ok as PointerStatus;
  }

  /** A small region (live bit cleared) past a full cache or above 4 KiB: the arena's path. */
  private freeMiss(id: number, region: number, ptr: number): PointerStatus {
    const cls = this.cls[id] as number;
    (this.arenas[this.owner[id] as number] as Arena).freeSmall(id, region, cls, ptr);
    return Status.Ok as PointerStatus;
  }

  /**
   * The extent of the live allocation `ptr` starts, or minus why there is none (-NOT_OWNED,
   * -INTERIOR, -NOT_LIVE). Read-only; the same checks as `free`.
   */
  private liveExtent(ptr: number): number {
    const id = extentAt(this.entries, this.windowBase, this.windowLength, this.pageMap, ptr);
    if (id < 0) return -Status.NotOwned;
    const offset = ptr - (this.addr[id] as number);
    if (offset < 0 || offset >= (this.pages[id] as number) * Hot.Page) return -Status.NotLive;
    const state = this.state[id];
    if (state === Hot.Slab) {
      const cls = this.cls[id] as number;
      const region = regionAt(offset, cls);
      if (region * (REGION_SIZE[cls] as number) !== offset) return -Status.Interior;
      const bits = this.bitmaps[id * Hot.LiveStride + Hot.BitmapWords + (region >> 5)] as number;
      return (bits & (1 << (region & 31))) === 0 ? -Status.NotLive : id;
    }
    if (state === Hot.Large) return offset === this.extents.colour[id] ? id : -Status.Interior;
    return -Status.NotLive;
  }

  /** OK if `ptr` is a live allocation, else why not. Does not change anything. */
  status(ptr: number): PointerStatus {
    const id = this.liveExtent(ptr);
    return id >= 0 ? OK : (-id as PointerStatus);
  }

  /**
   * OK if `ptr` is a live allocation that may be freed or resized, else why not: `status`,
   * and LENT for a large one a fixed kind lives in.
   */
  releasable(ptr: number): PointerStatus {
    const id = this.liveExtent(ptr);
    if (id < 0) return -id as PointerStatus;
    return this.chunks.hostsChunk(id) ? LENT : OK;
  }

  /** The arena of a live allocation, or undefined (freed, interior or foreign). O(1). */
  arenaOf(ptr: number): Arena | undefined {
    const id = this.liveExtent(ptr);
    return id < 0 ? undefined : this.arenas[this.owner[id] as number];
  }

  /** The usable size of a live allocation (its class), or 0 if `ptr` is not one. */
  usableSize(ptr: number): number {
    const id = this.liveExtent(ptr);
    return id < 0 ? 0 : this.usableOf(id);
  }

  /**
   * Resizes a live allocation (checked by the caller) to `size` bytes, in place where the
   * class stays the same or a large run can shrink or grow; otherwise moves it into `arena`.
   * Returns the new pointer, or 0 with the old allocation untouched.
   */
  realloc(arena: Arena, ptr: number, size: number): number {
    const e = this.extents;
    const id = this.pageMap.lookup(ptr);
    const oldUsable = this.usableSize(ptr);
    const cls = sizeClass(size);
    if (e.cls[id] === cls) return ptr;
    if (e.state[id] === LARGE && size > SMALL_MAX) {
      const owner = this.arenas[e.arena[id] as number] as Arena;
      if (owner.resizeLarge(id, classSize(cls), cls)) return ptr;
    }
    const moved = this.malloc(arena, size);
    if (moved === 0) return 0;
    const length = Math.min(oldUsable, this.usableSize(moved));
    this.bytes(moved, length).set(this.bytes(ptr, length));
    this.free(ptr);
    return moved;
  }

  /**
   * Moves a small allocation out of a sparsely used slab (memkind_defrag_reallocate): returns
   * the new pointer, or 0 when moving is not worthwhile (large allocations, full slabs, the
   * bin's current slab) or no memory can be had.
   */
  defragReallocate(ptr: number): number {
    const e = this.extents;
    const id = this.pageMap.lookup(ptr);
    if (e.state[id] !== SLAB) return 0;
    const cls = e.cls[id] as number;
    const arena = this.arenas[e.arena[id] as number] as Arena;
    if (!arena.worthMoving(id, cls)) return 0;
    const moved = arena.allocSmallUncached(cls);
    if (moved === 0) return 0;
    const size = REGION_SIZE[cls] as number;
    this.bytes(moved, size).set(this.bytes(ptr, size));
    const region = (ptr - (e.addr[id] as number)) / size;
    const live = id * 2 * BITMAP_WORDS + BITMAP_WORDS + (region >> 5);
    e.bitmaps[live] = (e.bitmaps[live] as number) & ~(1 << (region & 31));
    arena.freeSmallUncached(id, region, cls);
    return moved;
  }

  /**
   * The live allocation containing `addr` (its start and usable size), or undefined when
   * `addr` is in no live allocation.
   */
  allocationAt(addr: number): { start: number; usable: number } | undefined {
    const id = extentAt(this.entries, this.windowBase, this.windowLength, this.pageMap, addr);
    const start = id < 0 ? -1 : this.allocationStart(id, addr);
    return start < 0 ? undefined : { start, usable: this.usableOf(id) };
  }

  /**
   * A view of [ptr, ptr + length) if that lies inside one live allocation (`ptr` may be
   * interior), else undefined: `allocationAt` and `bytes` with one page-map lookup and no
   * object but the view.
   */
  liveBytes(ptr: number, length: number): Uint8Array | undefined {
    const id = extentAt(this.entries, this.windowBase, this.windowLength, this.pageMap, ptr);
    if (id < 0) return undefined;
    const start = this.allocationStart(id, ptr);
    if (start < 0 || ptr + length > start + this.usableOf(id)) return undefined;
    return this.chunks.bytes(this.extents.chunk[id] as number, ptr, length);
  }

  /**
   * The start of the live allocation of extent `id` (the page-map entry of `addr`, possibly
   * stale) that holds `addr`, or -1 when there is none.
   */
  private allocationStart(id: number, addr: number): number {
    const base = this.addr[id] as number;
    const offset = addr - base;
    if (offset < 0 || offset >= (this.pages[id] as number) * PAGE) return -1;
    const state = this.state[id];
    if (state === LARGE) {
      // The colour before the allocation and the pad page's rest after it are no one's.
      const into = offset - (this.extents.colour[id] as number);
      return into >= 0 && into < (this.extents.usable[id] as number) ? addr - into : -1;
    }
    if (state !== SLAB) return -1;
    const cls = this.cls[id] as number;
    const region = regionAt(offset, cls);
    const bits = this.bitmaps[id * Hot.LiveStride + Hot.BitmapWords + (region >> 5)] as number;
    if ((bits & (1 << (region & 31))) === 0) return -1;
    return base + region * (REGION_SIZE[cls] as number);
  }

  /** The usable size of the allocations of live extent `id`: its class. */
  private usableOf(id: number): number {
    return this.state[id] === SLAB
      ? (REGION_SIZE[this.cls[id] as number] as number)
      : (this.extents.usable[id] as number);
  }

  /** A view of `length` bytes at `ptr` inside the heap's memory (no checks beyond the chunk). */
  bytes(ptr: number, length: number): Uint8Array {
    const id = this.pageMap.lookup(ptr);
    if (id < 0) throw new RangeError(`0x${ptr.toString(16)} is not in the heap`);
    return this.chunks.bytes(this.extents.chunk[id] as number, ptr, length);
  }

  // ── maintenance ─────────────────────────────────────────────────────────────────────

  /** Purges dirty pages of every arena now; returns bytes purged. */
  purgeAll(): number {
    let bytes = 0;
    for (const arena of this.allArenas()) bytes += arena.purgeAll();
    return bytes;
  }

  /** Purges on a 1-second timer that does not keep the process alive (bg threads). */
  setBackgroundPurge(enabled: boolean): void {
    if (enabled && !this.timer) {
      this.timer = setInterval(() => {
        for (const arena of this.allArenas()) arena.decay();
      }, 1000);
      this.timer.unref();
    } else if (!enabled && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  get backgroundPurge(): boolean {
    return this.timer !== undefined;
  }

  /** Bytes of heap metadata (typed arrays). */
  get metadataBytes(): number {
    return this.extents.metadataBytes + this.pageMap.metadataBytes;
  }

  /** Verifies every arena's invariants and that each extent belongs to a live arena. */
  check(): void {
    const chunkError = this.chunks.check();
    if (chunkError) throw new HeapCorruption(chunkError);
    let slabPages = 0;
    for (const id of this.extents.ids()) {
      const slab = this.extents.state[id] === SLAB;
      const cls = this.extents.cls[id] as number;
      if (slab !== (cls >= 0 && cls < SMALL_CLASSES)) {
        // free() tells a slab by its class alone
        throw new HeapCorruption(`extent ${id}: class ${cls} does not match its state`);
      }
      if (slab) slabPages += this.checkSlabPages(id, cls);
      if (!this.arenas[this.extents.arena[id] as number]) {
        throw new HeapCorruption(
          `extent ${id} belongs to destroyed arena ${this.extents.arena[id]}`,
        );
      }
    }
    const described = this.pageMap.windowSlabPages;
    if (described !== slabPages)
      throw new HeapCorruption(
        `${described} window pages describe a slab, slabs have ${slabPages}`,
      );
    for (const arena of this.allArenas()) arena.check();
  }

  /** A slab's pages in the window describe it (free reads only that). Returns pages checked. */
  private checkSlabPages(id: number, cls: number): number {
    const addr = this.extents.addr[id] as number;
    const pages = this.extents.pages[id] as number;
    if (!this.pageMap.inSlabZone(addr, pages * PAGE)) return 0;
    const owner = this.extents.arena[id] as number;
    const stack = cacheStack(owner, cls);
    const first = (addr - this.windowBase) / PAGE;
    for (let page = 0; page < pages; page++) {
      const info = this.windowSlabs[first + page] as number;
      if (info !== slabInfo(cls, stack, page))
        throw new HeapCorruption(`slab ${id}: window page ${first + page} describes it as ${info}`);
    }
    return pages;
  }
}
