/**
 * The page map: pointer -> extent id in O(1), for every page the heap owns.
 *
 * The heap's memory comes in chunks: mappings of a whole number of 4 MiB slots, aligned to
 * 4 MiB. A two-level radix table maps a slot number to the slot's row of page entries:
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
 * The roots cost 256 KiB once; a leaf 16 KiB per 16 GiB of address space touched; a row
 * 4 KiB per 4 MiB slot (0.1 %). Rows are recycled when a chunk is released. Lookups cost four typed-array reads
 * and a division, no hashing.
 */

export const SLOT_SIZE = 4 * 1024 * 1024;
export const PAGES_PER_SLOT = SLOT_SIZE / 4096;
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

export class PageMap {
  /** A dense array (never holey: V8 keeps lookups on its fast path) of leaves. */
  readonly roots: Int32Array[] = new Array<Int32Array>(ROOTS).fill(EMPTY_LEAF);
  /** Page entries, PAGES_PER_SLOT per row, allocated once (lazily zeroed pages). */
  readonly entries: Int32Array;
  private rows = 0;

  /** `maxSlots` slots of 4 MiB can be registered at once (default 2^16: 256 GiB of chunks). */
  constructor(readonly maxSlots = 2 ** 16) {
    this.entries = new Int32Array(maxSlots * PAGES_PER_SLOT);
  }

  /** True if a chunk of `slots` slots can be registered. */
  hasRoom(slots: number): boolean {
    return this.freeRows.length + (this.maxSlots - this.rows) >= slots;
  }
  private readonly freeRows: number[] = [];

  /** Registers the slots of a chunk at `addr` (4 MiB-aligned) of `slots` slots. */
  addChunk(addr: number, slots: number): void {
    const first = addr / SLOT_SIZE;
    for (let slot = first; slot < first + slots; slot++) {
      const row = this.freeRows.pop() ?? this.rows++;
      this.entries.fill(0, row * PAGES_PER_SLOT, (row + 1) * PAGES_PER_SLOT);
      const root = slot >>> LEAF_BITS;
      let leaf = this.roots[root] as Int32Array;
      if (leaf === EMPTY_LEAF) {
        leaf = new Int32Array(LEAF_SIZE);
        this.roots[root] = leaf;
      }
      leaf[slot & (LEAF_SIZE - 1)] = row + 1;
    }
  }

  /** Forgets a chunk's slots; its pages then look foreign. */
  removeChunk(addr: number, slots: number): void {
    const first = addr / SLOT_SIZE;
    for (let slot = first; slot < first + slots; slot++) {
      const leaf = this.roots[slot >>> LEAF_BITS] as Int32Array;
      const row = (leaf[slot & (LEAF_SIZE - 1)] as number) - 1;
      if (row < 0) continue;
      leaf[slot & (LEAF_SIZE - 1)] = 0;
      this.freeRows.push(row);
    }
  }

  /** The index into `entries` of the page holding `addr`, or -1 if the heap does not own it. */
  private entryIndex(addr: number): number {
    if (!(addr >= 0 && addr < ADDRESS_LIMIT)) return -1;
    const slot = Math.floor(addr * PER_SLOT);
    const row =
      ((this.roots[slot >>> LEAF_BITS] as Int32Array)[slot & (LEAF_SIZE - 1)] as number) - 1;
    if (row < 0) return -1;
    // The offset in the slot is below 2^22: integer arithmetic on it is exact.
    return row * PAGES_PER_SLOT + (((addr - slot * SLOT_SIZE) | 0) >>> 12);
  }

  /** The extent id that owns the page holding `addr`, or -1. */
  lookup(addr: number): number {
    const index = this.entryIndex(addr);
    return index < 0 ? -1 : (this.entries[index] as number) - 1;
  }

  /** True if `addr` lies in a chunk of this map. */
  owns(addr: number): boolean {
    return this.entryIndex(addr) >= 0;
  }

  /** Sets the extent of `pages` pages from `addr` (all in registered chunks). Cost O(pages). */
  set(addr: number, pages: number, extent: number): void {
    for (let page = 0; page < pages; ) {
      const index = this.entryIndex(addr + page * 4096);
      // Pages of one slot are contiguous entries: fill to the slot's end in one call.
      const inSlot = Math.min(pages - page, PAGES_PER_SLOT - (index % PAGES_PER_SLOT));
      this.entries.fill(extent + 1, index, index + inSlot);
      page += inSlot;
    }
  }

  /** Sets only the first and last page of a run (enough for free extents: coalescing). */
  setEnds(addr: number, pages: number, extent: number): void {
    this.entries[this.entryIndex(addr)] = extent + 1;
    if (pages > 1) this.entries[this.entryIndex(addr + (pages - 1) * 4096)] = extent + 1;
  }

  /** Metadata bytes held (for statistics). */
  get metadataBytes(): number {
    const leaves = this.roots.filter((leaf) => leaf !== EMPTY_LEAF).length;
    return this.rows * PAGES_PER_SLOT * 4 + leaves * LEAF_SIZE * 4;
  }
}

/**
 * The index into a page map's entries of the page holding `addr`, or -1: a plain function over
 * the map's arrays, so that the heap's hot paths can pass arrays they hold themselves.
 */
export function entryIndex(roots: readonly Int32Array[], addr: number): number {
  if (!(addr >= 0 && addr < ADDRESS_LIMIT)) return -1;
  const slot = Math.floor(addr * PER_SLOT);
  const row = ((roots[slot >>> LEAF_BITS] as Int32Array)[slot & (LEAF_SIZE - 1)] as number) - 1;
  if (row < 0) return -1;
  // The offset in the slot is below 2^22: integer arithmetic on it is exact.
  return row * PAGES_PER_SLOT + (((addr - slot * SLOT_SIZE) | 0) >>> 12);
}

/** The extent id owning the page that holds `addr`, or -1 (see `entryIndex`). */
export function lookupExtent(
  roots: readonly Int32Array[],
  entries: Int32Array,
  addr: number,
): number {
  const index = entryIndex(roots, addr);
  return index < 0 ? -1 : (entries[index] as number) - 1;
}
