/**
 * The page map: pointer -> extent id in O(1), for every page the heap owns.
 *
 * The heap's memory comes in chunks: page-aligned ranges of whole pages at any address (a
 * provider's mapping, usually whole 4 MiB slots; a caller's buffer for a fixed kind). A
 * two-level radix table maps a slot number to the slot's row of page entries:
 *
 *   address (< 2^49) = slot number (27 bits) | page in slot (10 bits) | byte in page (12 bits)
 *
 * 2^49 covers real user addresses (< 2^47) and the synthetic ones of JS-backed memory
 * (from 2^48, DESIGN.md section 3).
 *
 *   roots[slot >>> 12] ─► Int32Array(4096): row + 1 of each slot (0: not the heap's)
 *                                      │
 *   entries: Int32Array ◄──────────────┘ row * 1024 + page in slot ─► extent id + 1 (0: none)
 *
 * A window (the heap's reserved address range, providers/reservation.ts) is covered by the
 * first part of `entries` directly, one entry per page, so a pointer there costs one load:
 *
 *   entries: │ window: page (addr - windowBase) / 4096 │ rows: windowPages + row * 1024 + page │
 *
 * Chunks in the window need no rows. Everything else (fixed kinds over a caller's memory,
 * user mmap operations, heaps without a reservation) goes through the radix table.
 *
 * Chunks that touch the same slot share its row; each owns distinct pages of it, and the
 * row counts its chunks (`rowChunks`), so it is recycled when the last one leaves:
 *
 *   slot 0x1c3:  │ fixed buffer A  │ nobody's │ fixed buffer B            │ nobody's │
 *   its row:     │ A's extent ids  │ 0 0 0 0  │ B's extent ids            │ 0 0 0 0  │
 *   rowChunks[row] = 2
 *
 * Invariant: an entry outside every chunk is 0 (a chunk clears its pages when it leaves), so
 * a pointer near a chunk but outside it is foreign, not a stale hit.
 *
 * The roots cost 256 KiB once; a leaf 16 KiB per 16 GiB of address space touched; a row
 * 4 KiB per 4 MiB slot touched (0.1 %). Lookups cost four typed-array reads and a division,
 * no hashing; registering or releasing a chunk costs O(its slots + its pages).
 */

export const SLOT_SIZE = 4 * 1024 * 1024;
/** The longest slab zone (PageMap.slabZoneLength): what the low 32 bits of an address span. */
export const SLAB_ZONE_MAX = 2 ** 32;
export const PAGES_PER_SLOT = SLOT_SIZE / 4096;
const PAGE = 4096;
/** Multiplying by this divides by SLOT_SIZE exactly (a power of two), without a divide. */
const PER_SLOT = 1 / SLOT_SIZE;
const LEAF_BITS = 12;
const LEAF_SIZE = 1 << LEAF_BITS;
/** The highest address covered, exclusive. */
export const ADDRESS_LIMIT = 2 ** 49;
/** Slots below ADDRESS_LIMIT: 2^27, so 2^15 roots. */
const ROOTS = ADDRESS_LIMIT / SLOT_SIZE / LEAF_SIZE;
/** The leaf of every root not yet used: all zeros, never written. */
const EMPTY_LEAF = new Int32Array(LEAF_SIZE);

/** The slot numbers a range of `length` bytes at `addr` touches: [first, last]. */
function slotSpan(addr: number, length: number): [first: number, last: number] {
  return [Math.floor(addr * PER_SLOT), Math.floor((addr + length - 1) * PER_SLOT)];
}

/** 4 KiB of zeros, for comparing a slot's entries with nothing (a memcmp). */
const ZEROS = Buffer.alloc(PAGES_PER_SLOT * 4);

/** True if array[start, end) (at most one slot) is all zeros. */
function isZero(array: Int32Array, start: number, end: number): boolean {
  const bytes = Buffer.from(array.buffer, array.byteOffset + start * 4, (end - start) * 4);
  return bytes.equals(ZEROS.subarray(0, bytes.length));
}

/**
 * Bit positions of a window page's slab description (PageMap.windowSlabs). The page in the
 * slab sits at bit 12 so that `info & SLAB_INFO_PAGE_BYTES` is its byte offset in the slab.
 */
export const SLAB_INFO_STACK_SHIFT = 15;
export const SLAB_INFO_PAGE_SHIFT = 12;
export const SLAB_INFO_PAGE_BYTES = 7 << SLAB_INFO_PAGE_SHIFT;
export const SLAB_INFO_CLASS_SHIFT = 6;

/** The description of page `page` of a slab of class `cls` whose cache stack is `stack`. */
export function slabInfo(cls: number, stack: number, page: number): number {
  return (
    (stack << SLAB_INFO_STACK_SHIFT) |
    (cls << SLAB_INFO_CLASS_SHIFT) |
    (page << SLAB_INFO_PAGE_SHIFT) |
    1
  );
}

/** The reserved range a page map covers flatly: slot-aligned, at most 2^43 bytes. */
export interface PageWindow {
  readonly base: number;
  readonly length: number;
}

export class PageMap {
  /** A dense array (never holey: V8 keeps lookups on its fast path) of leaves. */
  readonly roots: Int32Array[] = new Array<Int32Array>(ROOTS).fill(EMPTY_LEAF);
  /** Page entries, PAGES_PER_SLOT per row, allocated once (lazily zeroed pages). */
  readonly entries: Int32Array;
  /** Per row: the chunks with pages in it (0: the row is free). */
  private readonly rowChunks: Int32Array;
  /** Per row: the slot number it serves (for `check`). */
  private readonly rowSlot: Float64Array;
  private rows = 0;
  private readonly freeRows: number[] = [];

  /** The window's first byte and length (0: no window); see the drawing above. */
  readonly windowBase: number;
  readonly windowLength: number;
  /** Entries of the window, before the rows' entries. */
  private readonly windowPages: number;
  /**
   * The slab zone: the window's first min(window, 4 GiB). Its pages are described in
   * `windowSlabs`, indexed by the low 32 bits of an address minus the window base's, so the
   * free fast path finds a page with integer operations only (a float subtract and multiply
   * cost ~8 cycles on its critical path). Slabs beyond it, or across its end, are freed on
   * the checked path that reads the extent (chunks fill the window from its start, so a heap
   * gets there after 4 GiB of chunks).
   */
  readonly slabZoneLength: number;
  /**
   * Per page of the slab zone: what the free fast path needs of the slab the page belongs to,
   * so that it reads nothing of the extent but its live bits; 0 for a page in no slab.
   *
   *   bit  31..15         14..12          11..6    5..1   0
   *        cache stack    page in slab    class    0      1
   *
   * The cache stack is arena.ts cacheStack(arena id, class): NO_STACK (0) for classes the
   * thread cache does not hold. Set when a slab is made, cleared when it is released or its
   * chunk leaves (`setSlab`, `clearSlab`, `removeChunk`).
   */
  readonly windowSlabs: Int32Array;
  /**
   * The window's slots that ever held a chunk (for `check`: only their pages can have been
   * written, so only they are scanned, however far apart alignment put them).
   */
  private readonly windowSlotsUsed = new Set<number>();

  /** Window pages of the slots that ever held a chunk: [first page, end page) per slot. */
  *windowPagesUsed(): IterableIterator<[number, number]> {
    for (const slot of this.windowSlotsUsed)
      yield [slot * PAGES_PER_SLOT, (slot + 1) * PAGES_PER_SLOT];
  }

  /**
   * `maxSlots` slots of 4 MiB outside the window can be registered at once (default 2^16:
   * 256 GiB of chunks); `window` adds one entry per page of a reserved range.
   */
  constructor(
    readonly maxSlots = 2 ** 16,
    window?: PageWindow,
  ) {
    this.windowBase = window?.base ?? 0;
    this.windowLength = window?.length ?? 0;
    if (this.windowBase % SLOT_SIZE !== 0 || this.windowLength % SLOT_SIZE !== 0)
      throw new RangeError("a page-map window must be whole 4 MiB slots");
    if (this.windowLength > 2 ** 43) throw new RangeError("a page-map window holds at most 8 TiB");
    this.windowPages = this.windowLength / PAGE;
    this.slabZoneLength = Math.min(this.windowLength, SLAB_ZONE_MAX);
    this.windowSlabs = new Int32Array(this.slabZoneLength / PAGE);
    this.entries = new Int32Array(this.windowPages + maxSlots * PAGES_PER_SLOT);
    this.rowChunks = new Int32Array(maxSlots);
    this.rowSlot = new Float64Array(maxSlots);
  }

  /** True if `rows` more slot rows can be had. */
  hasRoom(rows: number): boolean {
    return this.freeRows.length + (this.maxSlots - this.rows) >= rows;
  }

  /** Rows a chunk of `length` bytes at `addr` would add: the slots it touches that have none. */
  rowsNeeded(addr: number, length: number): number {
    if (this.inWindow(addr, length)) return 0;
    const [first, last] = slotSpan(addr, length);
    let needed = 0;
    for (let slot = first; slot <= last; slot++) if (this.rowOf(slot) < 0) needed++;
    return needed;
  }

  /** True if [addr, addr + length) lies in the window (its pages need no rows). */
  inWindow(addr: number, length: number): boolean {
    return addr >= this.windowBase && addr + length <= this.windowBase + this.windowLength;
  }

  /** True if [addr, addr + length) is partly in the window and partly outside it. */
  straddlesWindow(addr: number, length: number): boolean {
    const end = this.windowBase + this.windowLength;
    return !this.inWindow(addr, length) && addr < end && addr + length > this.windowBase;
  }

  /** The row of `slot`, or -1. */
  private rowOf(slot: number): number {
    return ((this.roots[slot >>> LEAF_BITS] as Int32Array)[slot & (LEAF_SIZE - 1)] as number) - 1;
  }

  /**
   * Registers a chunk of `length` bytes at `addr` (both page multiples; the caller has checked
   * `hasRoom(rowsNeeded(...))`). Its entries keep what they hold: 0 for memory the heap did
   * not own (see the invariant above), the host's for a chunk nested in another.
   */
  addChunk(addr: number, length: number): void {
    if (this.inWindow(addr, length)) {
      const [first, last] = slotSpan(addr - this.windowBase, length);
      for (let slot = first; slot <= last; slot++) this.windowSlotsUsed.add(slot);
      return;
    }
    const [first, last] = slotSpan(addr, length);
    for (let slot = first; slot <= last; slot++) {
      let row = this.rowOf(slot);
      if (row < 0) {
        row = this.freeRows.pop() ?? this.rows++;
        this.rowSlot[row] = slot;
        const root = slot >>> LEAF_BITS;
        let leaf = this.roots[root] as Int32Array;
        if (leaf === EMPTY_LEAF) {
          leaf = new Int32Array(LEAF_SIZE);
          this.roots[root] = leaf;
        }
        leaf[slot & (LEAF_SIZE - 1)] = row + 1;
      }
      this.rowChunks[row] = (this.rowChunks[row] as number) + 1;
    }
  }

  /**
   * Forgets a chunk: its entries become 0, or `restore` (what a nested chunk found there, see
   * `snapshot`), and a row whose last chunk left is recycled. Its pages then look foreign.
   */
  removeChunk(addr: number, length: number, restore?: Int32Array): void {
    if (restore) this.write(addr, restore);
    else this.set(addr, length / PAGE, -1);
    if (this.inWindow(addr, length)) {
      this.clearSlab(addr, length / PAGE);
      return;
    }
    const [first, last] = slotSpan(addr, length);
    for (let slot = first; slot <= last; slot++) {
      const row = this.rowOf(slot);
      if (row < 0) continue;
      const users = (this.rowChunks[row] as number) - 1;
      this.rowChunks[row] = users;
      if (users > 0) continue;
      (this.roots[slot >>> LEAF_BITS] as Int32Array)[slot & (LEAF_SIZE - 1)] = 0;
      this.freeRows.push(row);
    }
  }

  /** The entries (extent id + 1) of the pages of a registered range, copied. Cost O(pages). */
  snapshot(addr: number, length: number): Int32Array {
    const copy = new Int32Array(length / PAGE);
    for (let page = 0; page < copy.length; page++)
      copy[page] = this.entries[this.entryIndex(addr + page * PAGE)] as number;
    return copy;
  }

  /** Writes raw entries (extent id + 1) over the pages from `addr`. */
  private write(addr: number, values: Int32Array): void {
    for (let page = 0; page < values.length; page++)
      this.entries[this.entryIndex(addr + page * PAGE)] = values[page] as number;
  }

  /** The index into `entries` of the page holding `addr`, or -1 if no chunk's row covers it. */
  private entryIndex(addr: number): number {
    const offset = addr - this.windowBase;
    if (offset >= 0 && offset < this.windowLength) return Math.floor(offset / PAGE);
    if (!(addr >= 0 && addr < ADDRESS_LIMIT)) return -1;
    const slot = Math.floor(addr * PER_SLOT);
    const row =
      ((this.roots[slot >>> LEAF_BITS] as Int32Array)[slot & (LEAF_SIZE - 1)] as number) - 1;
    if (row < 0) return -1;
    // The offset in the slot is below 2^22: integer arithmetic on it is exact.
    return this.windowPages + row * PAGES_PER_SLOT + (((addr - slot * SLOT_SIZE) | 0) >>> 12);
  }

  /** The extent id that owns the page holding `addr`, or -1. */
  lookup(addr: number): number {
    const index = this.entryIndex(addr);
    return index < 0 ? -1 : (this.entries[index] as number) - 1;
  }

  /** Sets the extent of `pages` pages from `addr` (all in registered chunks). Cost O(pages). */
  set(addr: number, pages: number, extent: number): void {
    for (let page = 0; page < pages; ) {
      const index = this.entryIndex(addr + page * PAGE);
      // Pages of one slot are contiguous entries: fill to the slot's end in one call.
      const inSlot = Math.min(pages - page, PAGES_PER_SLOT - (index % PAGES_PER_SLOT));
      this.entries.fill(extent + 1, index, index + inSlot);
      page += inSlot;
    }
  }

  /** Window pages that describe a slab now (kept by `setSlab` and `clearSlab`, for `check`). */
  windowSlabPages = 0;

  /** Whether [addr, addr + length) lies in the slab zone (see `slabZoneLength`). */
  inSlabZone(addr: number, length: number): boolean {
    return addr >= this.windowBase && addr + length <= this.windowBase + this.slabZoneLength;
  }

  /** Describes a new slab's pages (see `windowSlabs`); outside the slab zone: nothing. */
  setSlab(addr: number, pages: number, cls: number, stack: number): void {
    if (!this.inSlabZone(addr, pages * PAGE)) return;
    const first = (addr - this.windowBase) / PAGE;
    for (let page = 0; page < pages; page++) {
      if (this.windowSlabs[first + page] === 0) this.windowSlabPages++;
      this.windowSlabs[first + page] = slabInfo(cls, stack, page);
    }
  }

  /** Forgets the descriptions of a released slab's (or chunk's) window pages. Cost O(pages). */
  clearSlab(addr: number, pages: number): void {
    if (!this.inSlabZone(addr, pages * PAGE)) return;
    const first = (addr - this.windowBase) / PAGE;
    for (let page = first; page < first + pages; page++) {
      if (this.windowSlabs[page] !== 0) this.windowSlabPages--;
    }
    this.windowSlabs.fill(0, first, first + pages);
  }

  /** Sets only the first and last page of a run (enough for free extents: coalescing). */
  setEnds(addr: number, pages: number, extent: number): void {
    this.entries[this.entryIndex(addr)] = extent + 1;
    if (pages > 1) this.entries[this.entryIndex(addr + (pages - 1) * PAGE)] = extent + 1;
  }

  /**
   * Checks the rows against the chunks (page-aligned [addr, addr + length) ranges, nested ones
   * included): each row counts the chunks that touch its slot, and every entry outside all
   * chunks is 0. Returns what is wrong, or undefined. Cost O(chunks * slots + 1024 per row
   * that chunks cover only partly).
   */
  check(all: readonly { addr: number; length: number }[]): string | undefined {
    const chunks = all.filter(({ addr, length }) => !this.inWindow(addr, length));
    const inWindow = this.checkWindow(
      all.filter(({ addr, length }) => this.inWindow(addr, length)),
    );
    if (inWindow) return inWindow;
    const expected = new Map<number, number>();
    /** Per partly covered row: 1 for each page some chunk owns. */
    const partial = new Map<number, Uint8Array>();
    const full = new Set<number>();
    for (const { addr, length } of chunks) {
      const [first, last] = slotSpan(addr, length);
      for (let slot = first; slot <= last; slot++) {
        const row = this.rowOf(slot);
        if (row < 0) return `slot ${slot} of the chunk at ${addr} has no row`;
        expected.set(row, (expected.get(row) ?? 0) + 1);
        const from = Math.max(addr, slot * SLOT_SIZE);
        const to = Math.min(addr + length, (slot + 1) * SLOT_SIZE);
        if (to - from === SLOT_SIZE) {
          full.add(row);
          continue;
        }
        let marks = partial.get(row);
        if (!marks) {
          marks = new Uint8Array(PAGES_PER_SLOT);
          partial.set(row, marks);
        }
        marks.fill(1, (from - slot * SLOT_SIZE) / PAGE, (to - slot * SLOT_SIZE) / PAGE);
      }
    }
    for (let row = 0; row < this.rows; row++) {
      const users = this.rowChunks[row] as number;
      if (users !== (expected.get(row) ?? 0))
        return `row ${row} counts ${users} chunks, ${expected.get(row) ?? 0} touch its slot`;
      if (users === 0 || full.has(row)) continue;
      if (this.rowOf(this.rowSlot[row] as number) !== row) return `row ${row} is not its slot's`;
      const marks = partial.get(row) as Uint8Array;
      for (let page = 0; page < PAGES_PER_SLOT; page++) {
        const entry = this.entries[this.windowPages + row * PAGES_PER_SLOT + page] as number;
        if (entry !== 0 && marks[page] === 0)
          return `row ${row} page ${page} is outside every chunk but maps to extent ${entry - 1}`;
      }
    }
    return undefined;
  }

  /**
   * Every window entry and slab description outside the window's chunks is 0, in the slots
   * chunks ever touched. Cost O(chunks), plus a memcmp of 8 KiB per slot no chunk holds now
   * and O(1024) per slot a chunk covers only in part.
   */
  private checkWindow(chunks: readonly { addr: number; length: number }[]): string | undefined {
    /** Per slot a chunk touches: pages covered (whole slots are the common case). */
    const covered = new Map<number, Uint8Array | "whole">();
    for (const { addr, length } of chunks) {
      const first = (addr - this.windowBase) / PAGE;
      for (let page = first; page < first + length / PAGE; ) {
        const slot = Math.floor(page / PAGES_PER_SLOT);
        const end = Math.min(first + length / PAGE, (slot + 1) * PAGES_PER_SLOT);
        const known = covered.get(slot);
        if (end - page === PAGES_PER_SLOT) covered.set(slot, "whole");
        else if (known !== "whole") {
          const marks = known ?? new Uint8Array(PAGES_PER_SLOT);
          marks.fill(1, page - slot * PAGES_PER_SLOT, end - slot * PAGES_PER_SLOT);
          covered.set(slot, marks);
        }
        page = end;
      }
    }
    for (const [start, end] of this.windowPagesUsed()) {
      const marks = covered.get(start / PAGES_PER_SLOT);
      if (marks === "whole") continue;
      if (marks === undefined) {
        const slabsEnd = Math.min(end, this.windowSlabs.length);
        if (
          !isZero(this.entries, start, end) ||
          (start < slabsEnd && !isZero(this.windowSlabs, start, slabsEnd))
        )
          return `window slot ${start / PAGES_PER_SLOT} holds no chunk but has entries`;
        continue;
      }
      for (let page = start; page < end; page++) {
        if (marks[page - start] === 1) continue;
        if (this.entries[page] !== 0 || (this.windowSlabs[page] ?? 0) !== 0)
          return `window page ${page} is outside every chunk but maps to extent ${(this.entries[page] as number) - 1}`;
      }
    }
    return undefined;
  }

  /** Metadata bytes held (for statistics): the window's entries and descriptions in use, the rows, the leaves. */
  get metadataBytes(): number {
    const leaves = this.roots.filter((leaf) => leaf !== EMPTY_LEAF).length;
    const windowEntries = this.windowSlotsUsed.size * PAGES_PER_SLOT;
    return windowEntries * 8 + this.rows * PAGES_PER_SLOT * 4 + leaves * LEAF_SIZE * 4;
  }
}
