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
 * Slabs add `nfree` and two bitmaps of BITMAP_WORDS 32-bit words each at id * 2 * BITMAP_WORDS
 * in `bitmaps`: first the bin's free-region bits (1 = free in the slab), then the user-live
 * bits (1 = handed to the user, not yet freed). A region in a thread cache has both bits 0,
 * which is what lets free() detect a double free of a cached region.
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

export class ExtentTable {
  addr = new Float64Array(0);
  pages = new Float64Array(0);
  state = new Uint8Array(0);
  arena = new Int32Array(0);
  /** Size class of a slab's regions or of a large allocation; -1 for free runs. */
  cls = new Int16Array(0);
  next = new Int32Array(0);
  prev = new Int32Array(0);
  /** The chunk the run lies in. */
  chunk = new Int32Array(0);
  /** performance.now() when the run became free and dirty (for decay). */
  dirtySince = new Float64Array(0);
  /** Free regions of a slab. */
  nfree = new Int32Array(0);
  /** A large allocation's requested size (for usable size and statistics: its class). */
  usable = new Float64Array(0);
  bitmaps = new Int32Array(0);

  private capacity = 0;
  private count = 0;
  private readonly freeIds: number[] = [];

  /** Called after the arrays were replaced by larger ones (holders of them refresh). */
  onGrow: () => void = () => {};

  constructor(initialCapacity = 1024) {
    this.grow(initialCapacity);
  }

  /** A fresh id with every field reset. */
  create(addr: number, pages: number, state: number, arena: number, chunk: number): number {
    const id = this.freeIds.pop() ?? this.count++;
    if (id >= this.capacity) this.grow(this.capacity * 2);
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

  /** Bytes of metadata held. */
  get metadataBytes(): number {
    return this.capacity * (8 + 8 + 1 + 4 + 2 + 4 + 4 + 4 + 8 + 4 + 8 + 2 * BITMAP_WORDS * 4);
  }

  private grow(capacity: number): void {
    const resize = <T extends Float64Array | Int32Array | Int16Array | Uint8Array>(
      old: T,
      size: number,
    ): T => {
      const grown = new (old.constructor as new (n: number) => T)(size);
      grown.set(old);
      return grown;
    };
    this.addr = resize(this.addr, capacity);
    this.pages = resize(this.pages, capacity);
    this.state = resize(this.state, capacity);
    this.arena = resize(this.arena, capacity);
    this.cls = resize(this.cls, capacity);
    this.next = resize(this.next, capacity);
    this.prev = resize(this.prev, capacity);
    this.chunk = resize(this.chunk, capacity);
    this.dirtySince = resize(this.dirtySince, capacity);
    this.nfree = resize(this.nfree, capacity);
    this.usable = resize(this.usable, capacity);
    this.bitmaps = resize(this.bitmaps, capacity * 2 * BITMAP_WORDS);
    this.capacity = capacity;
    this.onGrow();
  }
}
