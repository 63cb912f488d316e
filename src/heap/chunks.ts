/**
 * Chunks: the memory a heap got from its providers, registered in the page map, with the
 * buffer behind each for reading and writing the allocations inside it (the provider's view,
 * ~1 µs to make, is made once per chunk; a view of one allocation then costs ~20 ns).
 *
 * A chunk is any page-aligned range of whole pages. Most are whole 4 MiB slots, slot-aligned
 * (a provider's mapping, 4 MiB to 256 MiB as an arena grows: PageRuns.runFromMap); a provider
 * that picks its own chunks (`PageProvider.grant`) can hand over any range, such as the
 * page-aligned interior of a caller's buffer:
 *
 *   caller's ArrayBuffer   ┌──┬──────────────────────────────────────────┬───┐
 *                          │  │ chunk: whole pages, the heap works here  │   │
 *                          └──┴──────────────────────────────────────────┴───┘
 *                           head and tail bytes (< 1 page each) are never touched
 *
 * Chunks never overlap, except that a chunk may lie wholly inside one live allocation of
 * another chunk (a fixed kind over memory of another kind): it then shadows the host's page
 * entries, which come back when it is released.
 */
import type { AddressReservation, PageProvider } from "../providers/provider.js";
import { ADDRESS_LIMIT, type PageMap, SLOT_SIZE } from "./page-map.js";

/** Node 20 caps a Uint8Array at 2^32 elements: larger chunks get one view per 4 GiB window. */
const VIEW_WINDOW = 2 ** 32;
const PAGE = 4096;

/**
 * Where a window's bytes are: its first byte is byte `offset` of `buffer`. Views are built
 * from these with the Uint8Array constructor, which costs half of `subarray` (no species
 * lookup).
 */
export interface ChunkWindow {
  readonly buffer: ArrayBufferLike;
  readonly offset: number;
}

export interface Chunk {
  readonly addr: number;
  readonly length: number;
  readonly arena: number;
  readonly provider: PageProvider;
  /** Consecutive 4 GiB windows of the chunk (one for chunks up to 4 GiB). */
  readonly windows: readonly ChunkWindow[];
  /**
   * Mapped for one huge run: unmapped once wholly free and purged. Other chunks are retained
   * (purged, their address space kept) until their arena is destroyed.
   */
  readonly dedicated: boolean;
  /** The host's page entries this chunk covers (nested chunks only), restored on release. */
  readonly shadowed: Int32Array | undefined;
  /** Placed in the heap's reservation (`AddressReservation.take`): given back on release. */
  readonly reserved: boolean;
}

export interface ChunkOptions {
  /** See Chunk.dedicated (default false). */
  readonly dedicated?: boolean;
  /**
   * Whether a chunk may nest in the host extent whose id every one of its pages maps to (the
   * arena allows a live large run). Without it, overlapping another chunk is refused.
   */
  readonly mayNestIn?: (extent: number) => boolean;
  /** See Chunk.reserved (default false). */
  readonly reserved?: boolean;
}

/** The host extent of a nested chunk: the one all its shadowed entries (id + 1) name. */
function hostOf(shadowed: Int32Array): number {
  return (shadowed[0] as number) - 1;
}

/** Adds `delta` to the nested chunks counted for `host`; a count of 0 leaves the map. */
function countHost(counts: Map<number, number>, host: number, delta: number): void {
  const count = (counts.get(host) ?? 0) + delta;
  if (count > 0) counts.set(host, count);
  else counts.delete(host);
}

export class ChunkTable {
  private readonly chunks: (Chunk | undefined)[] = [];
  /** The address of byte 0 of each view's buffer, for finding a view's address. */
  private readonly bufferBases = new WeakMap<ArrayBufferLike, number>();
  private readonly freeIds: number[] = [];
  /** Live large runs that nested chunks lie in (extent id -> how many): they must stay. */
  private readonly hosts = new Map<number, number>();
  /** Bytes of all chunks (statistics). */
  mapped = 0;

  constructor(
    private readonly pageMap: PageMap,
    /** The heap's reserved range, if it has one (its chunks' ranges go back there). */
    readonly reservation?: AddressReservation,
  ) {}

  /**
   * Registers fresh memory; returns its chunk id. Throws RangeError (nothing registered) for
   * a range that is not whole pages below ADDRESS_LIMIT, that overlaps a chunk other than as
   * allowed by `mayNestIn`, or when the page map is full. Cost O(chunks + slots), plus
   * O(pages) for a nested chunk.
   */
  add(
    addr: number,
    length: number,
    arena: number,
    provider: PageProvider,
    options: ChunkOptions = {},
  ): number {
    const where = `${length} bytes at 0x${addr.toString(16)}`;
    if (
      !(Number.isInteger(addr) && Number.isInteger(length)) ||
      addr <= 0 ||
      length <= 0 ||
      addr % PAGE !== 0 ||
      length % PAGE !== 0 ||
      addr + length > ADDRESS_LIMIT
    ) {
      throw new RangeError(`a chunk must be whole pages of memory, not ${where}`);
    }
    if (this.pageMap.straddlesWindow(addr, length))
      throw new RangeError(`a chunk cannot straddle the heap's reserved range: ${where}`);
    const shadowed = this.nestedEntries(addr, length, options.mayNestIn, where);
    if (!this.pageMap.hasRoom(this.pageMap.rowsNeeded(addr, length)))
      throw new RangeError(`the heap maps at most ${this.pageMap.maxSlots * 4} MiB`);
    const windows: ChunkWindow[] = [];
    for (let offset = 0; offset < length; offset += VIEW_WINDOW) {
      const window = provider.view(addr + offset, Math.min(VIEW_WINDOW, length - offset));
      this.bufferBases.set(window.buffer, addr + offset - window.byteOffset);
      windows.push({ buffer: window.buffer, offset: window.byteOffset });
    }
    const id = this.freeIds.pop() ?? this.chunks.length;
    const dedicated = options.dedicated ?? false;
    const reserved = options.reserved ?? false;
    this.chunks[id] = { addr, length, arena, provider, windows, dedicated, shadowed, reserved };
    this.pageMap.addChunk(addr, length);
    // A nested chunk starts with no entries of its own (the host's are kept in `shadowed`).
    if (shadowed) {
      this.pageMap.set(addr, length / PAGE, -1);
      countHost(this.hosts, hostOf(shadowed), 1);
    }
    this.mapped += length;
    return id;
  }

  /**
   * The host's entries under a new chunk that nests in it, undefined if it overlaps nothing;
   * throws if it overlaps in any other way. Every chunk it overlaps must contain it wholly,
   * and all its pages must map to one extent that `mayNestIn` accepts.
   */
  private nestedEntries(
    addr: number,
    length: number,
    mayNestIn: ((extent: number) => boolean) | undefined,
    where: string,
  ): Int32Array | undefined {
    let overlaps = false;
    for (const chunk of this.chunks) {
      if (!chunk || chunk.addr >= addr + length || addr >= chunk.addr + chunk.length) continue;
      if (chunk.addr > addr || addr + length > chunk.addr + chunk.length)
        throw new RangeError(`${where} overlaps the heap's chunk at 0x${chunk.addr.toString(16)}`);
      overlaps = true;
    }
    if (!overlaps) return undefined;
    const entries = this.pageMap.snapshot(addr, length);
    const host = (entries[0] as number) - 1;
    if (host < 0 || !mayNestIn?.(host) || entries.some((entry) => entry !== host + 1))
      throw new RangeError(`${where} is heap memory but not inside one live large allocation`);
    return entries;
  }

  /** Unregisters a chunk and gives it back to its provider. Views over it must not be used afterwards. */
  release(id: number): void {
    const chunk = this.get(id);
    this.pageMap.removeChunk(chunk.addr, chunk.length, chunk.shadowed);
    if (chunk.shadowed) countHost(this.hosts, hostOf(chunk.shadowed), -1);
    this.chunks[id] = undefined;
    this.freeIds.push(id);
    this.mapped -= chunk.length;
    chunk.provider.unmap(chunk.addr, chunk.length);
    if (chunk.reserved) this.reservation?.give(chunk.addr, chunk.length);
  }

  /** Whether a nested chunk lies in large run `extent` (which must then stay as it is). */
  hostsChunk(extent: number): boolean {
    return this.hosts.has(extent);
  }

  /** The large runs that nested chunks lie in (extent ids). */
  hostRuns(): IterableIterator<number> {
    return this.hosts.keys();
  }

  get(id: number): Chunk {
    const chunk = this.chunks[id];
    if (!chunk) throw new Error(`heap invariant: chunk ${id} is not registered`);
    return chunk;
  }

  /** A view of `length` bytes at `addr` inside chunk `id` (within one 4 GiB window). */
  bytes(id: number, addr: number, length: number): Uint8Array {
    const chunk = this.chunks[id] as Chunk;
    const offset = addr - chunk.addr;
    const window = Math.floor(offset / VIEW_WINDOW);
    const start = offset - window * VIEW_WINDOW;
    if (start + length > VIEW_WINDOW) {
      throw new RangeError(`a view of ${length} bytes at offset ${offset} crosses a 4 GiB window`);
    }
    const { buffer, offset: base } = chunk.windows[window] as ChunkWindow;
    return new Uint8Array(buffer, base + start, length);
  }

  /** The address of byte 0 of `buffer` if it is a chunk view's buffer, else undefined. */
  bufferBase(buffer: ArrayBufferLike): number | undefined {
    return this.bufferBases.get(buffer);
  }

  *all(): IterableIterator<[number, Chunk]> {
    for (let id = 0; id < this.chunks.length; id++) {
      const chunk = this.chunks[id];
      if (chunk) yield [id, chunk];
    }
  }

  /**
   * Verifies the page map's rows against the chunks (see PageMap.check), that chunks do not
   * overlap except by nesting, and the nested chunks counted per host; returns what is wrong,
   * or undefined.
   */
  check(): string | undefined {
    const chunks = [...this.all()].map(([, chunk]) => chunk);
    const sorted = [...chunks].sort((a, b) => a.addr - b.addr || b.length - a.length);
    const open: Chunk[] = [];
    for (const chunk of sorted) {
      while (
        open.length > 0 &&
        (open.at(-1) as Chunk).addr + (open.at(-1) as Chunk).length <= chunk.addr
      )
        open.pop();
      const outer = open.at(-1);
      if (outer && chunk.addr + chunk.length > outer.addr + outer.length)
        return `chunks at 0x${outer.addr.toString(16)} and 0x${chunk.addr.toString(16)} overlap`;
      if (outer && !chunk.shadowed)
        return `chunk at 0x${chunk.addr.toString(16)} nests without shadowing its host`;
      if (chunk.dedicated && chunk.length <= SLOT_SIZE)
        return `dedicated chunk at 0x${chunk.addr.toString(16)} is not larger than a slot`;
      open.push(chunk);
    }
    const hosts = new Map<number, number>();
    for (const chunk of chunks) if (chunk.shadowed) countHost(hosts, hostOf(chunk.shadowed), 1);
    if (hosts.size !== this.hosts.size || [...hosts].some(([id, n]) => this.hosts.get(id) !== n))
      return "the count of nested chunks per host run is off";
    return this.pageMap.check(chunks);
  }
}
