/**
 * jemalloc 5.3's size classes for LG_QUANTUM 4 and 4 KiB pages: one tiny class (8), then
 * 16-byte steps up to 64, then four classes per doubling (2^n + k * 2^(n-2), k = 1..4).
 *
 *   index  0    1   2   3   4   5   6   7    8    9  ...  35      36     37    ...
 *   size   8   16  32  48  64  80  96  112  128  160 ... 14336 | 16384  20480  ...
 *          └──────────────── small (slabs) ──────────────────┘ └─ large (page runs) ─
 *
 * `usable size` of a request is its class: memtier's ratios and upstream's tests depend on
 * these exact values (reference/memkind.md section 1.10).
 */

export const PAGE = 4096;
export const LG_PAGE = 12;
/** The largest small class; larger requests take whole pages. */
export const SMALL_MAX = 14336;
/** The largest request the heap serves (2^46: half of the user address space). */
export const MAX_REQUEST = 2 ** 46;

const SMALL_BELOW_GROUPS = [8, 16, 32, 48, 64];

/** Class sizes, ascending, up to the first class >= MAX_REQUEST. */
export const CLASS_SIZES: readonly number[] = (() => {
  const sizes = [...SMALL_BELOW_GROUPS];
  for (let lg = 6; (sizes[sizes.length - 1] as number) < MAX_REQUEST; lg++) {
    for (let k = 1; k <= 4; k++) sizes.push(2 ** lg + k * 2 ** (lg - 2));
  }
  return sizes;
})();

/** Number of small classes (indices 0 .. SMALL_CLASSES - 1 are served from slabs). */
export const SMALL_CLASSES = CLASS_SIZES.indexOf(SMALL_MAX) + 1;

/** Size in bytes of class `index`. */
export function classSize(index: number): number {
  return CLASS_SIZES[index] as number;
}

/**
 * Class index of every request up to 4096 at 8-byte granularity: LOOKUP[(size + 7) >> 3].
 * Cost: one typed-array read on the fast path.
 */
/** A const enum: tsc writes it as a literal, which the JIT folds on the hot path. */
const enum Lookup {
  Max = 4096,
}
const LOOKUP_MAX = Lookup.Max;
/** Requests up to this many bytes have their class in CLASS_LOOKUP. */
export const LOOKUP_MAX_SIZE: number = LOOKUP_MAX;
const LOOKUP = (() => {
  const table = new Int32Array(LOOKUP_MAX / 8 + 1);
  let index = 0;
  for (let slot = 0; slot < table.length; slot++) {
    while ((CLASS_SIZES[index] as number) < slot * 8) index++;
    table[slot] = index;
  }
  return table;
})();
/** The lookup table itself (read-only by contract), for hot paths that index it directly. */
export const CLASS_LOOKUP: Readonly<Int32Array> = LOOKUP;

/**
 * The class index for a request of `size` bytes (1 <= size <= MAX_REQUEST). Requests up to
 * 4096 bytes cost one table read; larger ones below 2 GiB a count of leading zeros, the rest a
 * log2.
 */
export function sizeClass(size: number): number {
  if (size <= Lookup.Max) return LOOKUP[(size + 7) >> 3] as number;
  // size > 4096: the group of 2^lg < size <= 2^(lg+1) has classes 2^lg + k * 2^(lg-2).
  if (size < 2 ** 31) {
    // int32 arithmetic: lg <= 30, and every sum below stays under 2^31.
    const lg = 31 - Math.clz32(size - 1);
    const shift = lg - 2;
    const k = (size - (1 << lg) + (1 << shift) - 1) >> shift;
    return SMALL_BELOW_GROUPS.length + (lg - 6) * 4 + (k - 1);
  }
  const lg = Math.floor(Math.log2(size - 1));
  const delta = 2 ** (lg - 2);
  const k = Math.ceil((size - 2 ** lg) / delta);
  return SMALL_BELOW_GROUPS.length + (lg - 6) * 4 + (k - 1);
}

/** The usable size of a request: its class's size. */
export function usableSize(size: number): number {
  return classSize(sizeClass(size));
}

/**
 * The usable size of an aligned request, as jemalloc's sz_sa2u computes it: small if the
 * request rounded up to the alignment is still small and the alignment at most a page,
 * else a large class of at least 16 KiB (large runs are page-aligned; larger alignments are
 * met by placement, not by size).
 */
export function alignedUsableSize(size: number, alignment: number): number {
  if (size <= SMALL_MAX && alignment <= PAGE) {
    const usable = usableSize(Math.ceil(size / alignment) * alignment);
    if (usable < SMALL_MAX + 2048) return usable;
  }
  return Math.max(SMALL_MAX + 2048, usableSize(size));
}

/**
 * Pages per slab for small class `index`: the fewest pages that hold a whole number of
 * regions (jemalloc's rule; at most 7 for these classes).
 */
export function slabPages(index: number): number {
  const size = classSize(index);
  let pages = 1;
  while ((pages * PAGE) % size !== 0) pages++;
  return pages;
}

/** Regions per slab for small class `index`. */
export function slabRegions(index: number): number {
  return (slabPages(index) * PAGE) / classSize(index);
}
