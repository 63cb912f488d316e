/**
 * Chunks: the mappings a heap got from its providers. Each is a whole number of 4 MiB slots,
 * slot-aligned, registered in the page map, with one byte view for reading and writing the
 * allocations inside it (making a view costs ~1 µs, so it is made once per chunk).
 */
import type { PageProvider } from "../providers/provider.js";
import { type PageMap, SLOT_SIZE } from "./page-map.js";

/** Node 20 caps a Uint8Array at 2^32 elements: larger chunks get one view per 4 GiB window. */
const VIEW_WINDOW = 2 ** 32;

export interface Chunk {
  readonly addr: number;
  readonly length: number;
  readonly arena: number;
  readonly provider: PageProvider;
  /** Views over consecutive 4 GiB windows of the chunk (one for chunks up to 4 GiB). */
  readonly views: readonly Uint8Array[];
}

export class ChunkTable {
  private readonly chunks: (Chunk | undefined)[] = [];
  /** The address of byte 0 of each view's buffer, for finding a view's address. */
  private readonly bufferBases = new WeakMap<ArrayBufferLike, number>();
  private readonly freeIds: number[] = [];
  /** Bytes mapped by all chunks (statistics). */
  mapped = 0;

  constructor(private readonly pageMap: PageMap) {}

  /** Registers a fresh mapping; returns its chunk id. */
  add(addr: number, length: number, arena: number, provider: PageProvider): number {
    const views: Uint8Array[] = [];
    for (let offset = 0; offset < length; offset += VIEW_WINDOW) {
      const window = provider.view(addr + offset, Math.min(VIEW_WINDOW, length - offset));
      this.bufferBases.set(window.buffer, addr + offset - window.byteOffset);
      views.push(window);
    }
    const id = this.freeIds.pop() ?? this.chunks.length;
    this.chunks[id] = { addr, length, arena, provider, views };
    this.pageMap.addChunk(addr, length / SLOT_SIZE);
    this.mapped += length;
    return id;
  }

  /** Unregisters a chunk and unmaps it. Views over it must not be used afterwards. */
  release(id: number): void {
    const chunk = this.get(id);
    this.pageMap.removeChunk(chunk.addr, chunk.length / SLOT_SIZE);
    this.chunks[id] = undefined;
    this.freeIds.push(id);
    this.mapped -= chunk.length;
    chunk.provider.unmap(chunk.addr, chunk.length);
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
    return (chunk.views[window] as Uint8Array).subarray(start, start + length);
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
}
