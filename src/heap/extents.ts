/**
 * The extent table: every run of pages the heap tracks (a slab, a large allocation, or free
 * pages), as a struct of typed arrays indexed by extent id. No JS object per extent, so no GC
 * pressure however many there are.
 *
 *   id │ addr (f64) │ pages (f64) │ state (u8) │ arena (i32) │ cls (i16) │ next │ prev │ ...
 *   ───┼────────────┼─────────────┼────────────┼─────────────┼───────────┼──────┼──────┤
 *    0 │ 0x7f..000  │ 1           │ SLAB       │ 0           │ 3 (48 B)  │  -1  │  -1  │
 *    1 │ 0x7f..1000 │ 1023        │ FREE_DIRTY │ 0           │ -1        │  ... │  ... │
 *
 * A large allocation starts `colour` bytes into its run (a cache colour, arena.ts
 * `colourOf`); the allocation is [addr + colour, addr + colour + usable):
 *
 *   run:  │ colour │ usable (the class size) ·················· │ rest of the pad page │
 *         addr     addr + colour                                 addr + pages * 4096 ┘
 *
 * Slabs add `nfree` and two bitmaps of BITMAP_WORDS 32-bit words each at id * 2 * BITMAP_WORDS
 * in `bitmaps`: first the bin's free-region bits (1 = free in the slab), then the user-live
 * bits (1 = handed to the user, not yet freed). A region in a thread cache has both bits 0,
 * which is what lets free() detect a double free of a cached region.
 *
 * The arrays are allocated once at the table's capacity (see DEFAULT_MAX_EXTENTS).
 *
 * `next` / `prev` link an extent into exactly one list at a time: a free-run bucket or a bin's
 * list of non-full slabs. Ids of removed extents are reused (a stack).
 */

export const UNUSED = 0;
export const FREE_DIRTY = 1;
export const FREE_CLEAN = 2;
export const SLAB = 3;
export const LARGE = 4;

/** Words per bitmap: 512 regions, the most a slab has (8-byte class, one page). */
export const BITMAP_WORDS = 16;

/**
 * Extents a heap can track by default (2^21). The arrays are allocated once at that size and
 * never replaced, so the hot paths can hold them in readonly fields; V8 backs large
 * ArrayBuffers with lazily zeroed pages, so only the part in use costs memory.
 */
export const DEFAULT_MAX_EXTENTS = 2 ** 21;

export class ExtentTable {
  readonly addr: Float64Array;
  readonly pages: Float64Array;
  readonly state: Uint8Array;
  readonly arena: Int32Array;
  /** Size class of a slab's regions or of a large allocation; -1 for free runs. */
  readonly cls: Int16Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The chunk the run lies in. */
  readonly chunk: Int32Array;
  /** performance.now() when the run became free and dirty (for decay). */
  readonly dirtySince: Float64Array;
  /** Free regions of a slab. */
  readonly nfree: Int32Array;
  /** A large allocation's usable size (its class). */
  readonly usable: Float64Array;
  /** Bytes from a large run's start to its allocation (a multiple of 64 below 4096); else 0. */
  readonly colour: Int32Array;
  readonly bitmaps: Int32Array;

  private count = 0;
  /** One past the highest id handed out so far: every live id is below it. */
  get idLimit(): number {
    return this.count;
  }
  private readonly freeIds: number[] = [];

  constructor(readonly capacity = DEFAULT_MAX_EXTENTS) {
    this.addr = new Float64Array(capacity);
    this.pages = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.arena = new Int32Array(capacity);
    this.cls = new Int16Array(capacity);
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.chunk = new Int32Array(capacity);
    this.dirtySince = new Float64Array(capacity);
    this.nfree = new Int32Array(capacity);
    this.usable = new Float64Array(capacity);
    this.colour = new Int32Array(capacity);
    this.bitmaps = new Int32Array(capacity * 2 * BITMAP_WORDS);
  }

  /** True if `n` more extents can be created (allocation paths check before they start). */
  hasRoom(n: number): boolean {
    return this.freeIds.length + (this.capacity - this.count) >= n;
  }

  /** A fresh id with every field reset. The caller has checked `hasRoom`. */
  create(addr: number, pages: number, state: number, arena: number, chunk: number): number {
    const id = this.freeIds.pop() ?? this.count++;
    if (id >= this.capacity)
      throw new RangeError(`heap invariant: more than ${this.capacity} extents`);
    this.addr[id] = addr;
    this.pages[id] = pages;
    this.state[id] = state;
    this.arena[id] = arena;
    this.cls[id] = -1;
    this.next[id] = -1;
    this.prev[id] = -1;
    this.chunk[id] = chunk;
    this.dirtySince[id] = 0;
    this.nfree[id] = 0;
    this.usable[id] = 0;
    this.colour[id] = 0;
    return id;
  }

  /** Returns an id to the pool; the caller has unlinked it and cleared its page-map entries. */
  remove(id: number): void {
    this.state[id] = UNUSED;
    this.freeIds.push(id);
  }

  /** Ids in use (for the heap checker and statistics walks). */
  *ids(): IterableIterator<number> {
    for (let id = 0; id < this.count; id++) if (this.state[id] !== UNUSED) yield id;
  }

  /** Bytes of metadata in use (the arrays' touched part: ids handed out so far). */
  get metadataBytes(): number {
    return this.count * (8 + 8 + 1 + 4 + 2 + 4 + 4 + 4 + 8 + 4 + 8 + 4 + 2 * BITMAP_WORDS * 4);
  }
}
