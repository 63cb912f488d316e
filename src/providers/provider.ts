/**
 * Page providers: where a heap's pages come from. The heap asks for chunks, returns dirty
 * pages through `purge`, and never learns anything of NUMA, files or huge pages: that is the
 * provider's business.
 *
 * Two ways to supply chunks:
 * - `map(length, alignment)`: the heap chooses the size (whole 4 MiB slots, slot-aligned);
 * - `grant(length, alignment)`: the provider chooses (any page-aligned range of whole pages,
 *   e.g. the interior of a caller's buffer); the heap calls it instead of `map` when present.
 */

/**
 * An address range the heap reserved up front (PROT_NONE, no memory behind it), from which it
 * places the chunks of providers that can map at a given address (`PageProvider.mapsAt`). The
 * heap's page map covers it with one flat array, so finding the extent of a pointer there is
 * a single load. Implemented over the OS by providers/reservation.ts.
 */
export interface AddressReservation {
  /** First byte, aligned to the slot size. */
  readonly base: number;
  /** Bytes reserved, a multiple of the slot size. */
  readonly length: number;
  /** A free range of `length` bytes aligned to `alignment` (slot multiples), or -1. */
  take(length: number, alignment: number): number;
  /**
   * Re-reserves a range from `take` whose mapping was unmapped (or whose MAP_FIXED failed)
   * and makes it free again. If something else mapped there meanwhile, the range is left to
   * it and never handed out again.
   */
  give(addr: number, length: number): void;
}

/** A page-aligned range of whole pages. */
export interface PageRange {
  readonly addr: number;
  readonly length: number;
}

export interface PageProvider {
  /** Human-readable origin, for messages and statistics ("anonymous MPOL_BIND {0}"). */
  readonly description: string;
  /** Fresh and purged memory reads as zeros (lets calloc skip zeroing such runs). */
  readonly zeroed: boolean;
  /**
   * Optional: a chunk of any size is unmapped once it is wholly free and purged (otherwise
   * only dedicated chunks larger than a slot are), and a failed `map` is tried once more
   * after the arena purged its dirty runs. For a provider with a size limit (a PMEM kind's
   * max_size): freed memory then serves requests of any size and alignment.
   */
  readonly releaseFreeChunks?: boolean;
  /**
   * Optional: mapping more than a request needs costs nothing until the pages are touched
   * (anonymous 4 KiB pages, MAP_NORESERVE, no room check). The heap then maps its chunks in
   * the reservation at geometrically growing lengths, 4 MiB doubling to 256 MiB, as
   * jemalloc's retained extents grow: fewer chunk boundaries, so freed runs of different
   * sizes coalesce and are reused instead of fresh pages being touched. Large runs of such a
   * provider are cache-coloured too (arena.ts COLOURED_MIN): their pad page costs nothing
   * until touched.
   */
  readonly growChunks?: boolean;
  /**
   * Maps `length` bytes aligned to `alignment` (both multiples of the slot size). Throws a
   * PlatformError (ENOMEM, EINVAL, ...) when the memory cannot be had; the heap turns that
   * into a NULL result with errno ENOMEM.
   */
  map(length: number, alignment: number): number;
  /**
   * Optional: the provider can map a chunk at an address the heap picks inside its
   * reservation: `mapAt(addr, length)` maps exactly there, over the reservation (MAP_FIXED),
   * or throws, after which the heap re-reserves the range: a provider that fails after its
   * MAP_FIXED unmaps the range first (leaves a hole). `unmap` of such a chunk may leave a
   * hole too: the heap re-reserves it.
   */
  readonly mapAt?: ((addr: number, length: number) => void) | undefined;
  /**
   * Optional: a chunk of the provider's choosing for a request of `length` bytes aligned to
   * `alignment`. It may be smaller than the request (the heap keeps it for later requests and
   * fails this one); throws (ENOMEM) when the provider has nothing more to give. Such chunks
   * are retained until the arena is destroyed, then given back with `unmap`.
   */
  grant?(length: number, alignment: number): PageRange;
  /** Releases a chunk got from `map` or `grant` (a whole chunk). */
  unmap(addr: number, length: number): void;
  /**
   * Gives the physical memory of a page-aligned range back; the range stays mapped and reads
   * as zeros afterwards if `zeroed`. Cost: one madvise (or fallocate) per call, ~0.2-0.5 µs
   * per page.
   */
  purge(addr: number, length: number): void;
  /**
   * Optional: backs a page-aligned range of a chunk before the heap hands it out (a file
   * provider allocates the file's blocks, so that touching the pages cannot fault for want
   * of space). Called for every run the heap takes into use from free pages; throws a
   * PlatformError (ENOSPC, ...) when it cannot, and the allocation fails with ENOMEM.
   */
  commit?(addr: number, length: number): void;
  /** A byte view over mapped memory (one per chunk; see Platform.view). */
  view(addr: number, length: number): Uint8Array;
}
