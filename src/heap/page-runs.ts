/**
 * The page runs of one arena (jemalloc's extent allocator): where slabs and large runs get
 * their pages, and where they go back.
 *
 *   take(pages) ─► best-fit dirty run ─► best-fit clean run ─► merge across clean gaps
 *                ─► the provider maps (or grants) a new chunk
 *   release(id) ─► dirty run, coalesced with its free neighbours ─► decay purges it later
 *
 * Free runs are indexed by state: dirty (may be resident: reuse costs no faults) and clean
 * (purged or never touched: reads as zeros when the provider says so). A run carved from a
 * free one leaves at most a lead and a trail behind, filed with the free run's state and age.
 * Chunks grow (4 MiB doubling to GROW_MAX) where the provider allows; a purged run that fills a
 * dedicated chunk (or any chunk of a provider that asks) gives the chunk back.
 */
import type { PageProvider, PageRange } from "../providers/provider.js";
import type { ChunkTable } from "./chunks.js";
import { type ExtentTable, FREE_CLEAN, FREE_DIRTY, LARGE } from "./extents.js";
import { FreeRuns } from "./free-runs.js";
import { type PageMap, SLOT_SIZE } from "./page-map.js";
import { PAGE as IMPORTED_PAGE } from "./size-classes.js";

const PAGE = IMPORTED_PAGE;
/**
 * The longest clean run a freed dirty run takes in (coalesce): 1 MiB. Short purged gaps merge
 * (a larger request can then reuse the resident pages around them); the untouched tail of a
 * grown chunk stays apart, or the resident statistic would count it (dirty = may be
 * resident) and best fit would carve requests across fresh pages. Measured: churn's own
 * resident statistic 1.46 -> 1.12 of peak live (real: 1.13), large-block churn 18.6 -> 18.0
 * page faults per op; merging no clean runs at all: 19.9.
 */
const CLEAN_ABSORB_MAX = 256;
/** The longest chunk growth maps (runFromMap): 64 slots. */
const GROW_MAX = 256 * 1024 * 1024;

/** What an arena and its page runs share with the others of their heap. */
export interface HeapSpace {
  readonly extents: ExtentTable;
  readonly pageMap: PageMap;
  readonly chunks: ChunkTable;
}

export interface RunOptions {
  /** Milliseconds a free dirty run waits before it is purged (0: at once). */
  readonly decayMs: number;
  /** MEMKIND_HOG_MEMORY: never purge or unmap. */
  readonly hog: boolean;
}

export class PageRuns {
  readonly dirty: FreeRuns;
  readonly clean: FreeRuns;
  /** Bytes of chunks mapped for this arena. */
  mapped = 0;
  /** The error that made the last allocation fail, for messages. */
  lastError: unknown;
  /** Whether the last run taken is known to read as zeros (calloc skips zeroing). */
  lastRunZeroed = false;

  /** When decay() next walks the dirty runs: none can be due before a first interval. */
  private nextDecayCheck: number;
  /** The length of the next grown chunk (runFromMap). */
  private nextChunkLength = SLOT_SIZE;
  private readonly extents: ExtentTable;
  private readonly pageMap: PageMap;
  private readonly chunks: ChunkTable;

  constructor(
    /** The arena these runs are for: extents and chunks are filed under its id. */
    private readonly id: number,
    space: HeapSpace,
    private readonly provider: PageProvider,
    private readonly options: RunOptions,
  ) {
    this.extents = space.extents;
    this.pageMap = space.pageMap;
    this.chunks = space.chunks;
    this.dirty = new FreeRuns(space.extents);
    this.clean = new FreeRuns(space.extents);
    this.nextDecayCheck = performance.now() + this.decayCheckInterval();
  }

  // ── taking and releasing runs ───────────────────────────────────────────────────────

  /**
   * Removes a free run of at least `pages` pages at `alignment` from the indexes (dirty
   * first: its pages are resident, so reuse costs no faults), trimming what is left over back
   * into them, or gets a new chunk from the provider. Returns the run's extent id (state still
   * free) or -1.
   */
  take(pages: number, alignment: number): number {
    // Carving a run splits off at most two free runs: make sure the table has the ids.
    if (!this.extents.hasRoom(3)) {
      this.lastError = new RangeError(`the heap tracks at most ${this.extents.capacity} extents`);
      return -1;
    }
    const need = pages + (alignment > PAGE ? alignment / PAGE - 1 : 0);
    const dirty = this.dirty.bestFit(need);
    if (dirty >= 0) return this.runFromIndex(this.dirty, dirty, pages, alignment);
    const clean = this.clean.bestFit(need);
    if (clean >= 0) return this.runFromIndex(this.clean, clean, pages, alignment);
    const merged = this.mergeAcross(need);
    if (merged >= 0) return this.runFromIndex(this.dirty, merged, pages, alignment);
    return this.provider.grant
      ? this.runFromGrant(pages, alignment)
      : this.runFromMap(pages, alignment);
  }

  /**
   * Lengthens live run `id` by `extra` pages in place, from the free run that follows it in
   * its chunk, if that is long enough and the provider backs the pages. Returns true on success.
   */
  growInPlace(id: number, extra: number): boolean {
    const e = this.extents;
    const pages = e.pages[id] as number;
    const chunk = this.chunks.get(e.chunk[id] as number);
    const end = (e.addr[id] as number) + pages * PAGE;
    if (end >= chunk.addr + chunk.length) return false;
    const next = this.pageMap.lookup(end);
    const state = next < 0 ? -1 : (e.state[next] as number);
    if (
      (state !== FREE_DIRTY && state !== FREE_CLEAN) ||
      (e.pages[next] as number) < extra ||
      !this.commit(end, extra)
    )
      return false;
    const index = state === FREE_DIRTY ? this.dirty : this.clean;
    index.remove(next);
    const nextPages = e.pages[next] as number;
    if (nextPages > extra) {
      e.addr[next] = end + extra * PAGE;
      e.pages[next] = nextPages - extra;
      this.pageMap.setEnds(e.addr[next] as number, nextPages - extra, next);
      index.insert(next);
    } else {
      e.remove(next);
    }
    e.pages[id] = pages + extra;
    this.pageMap.set(end, extra, id);
    return true;
  }

  /**
   * Before a new chunk: merges every dirty run with its clean neighbours of any length (which
   * coalesce leaves apart beyond CLEAN_ABSORB_MAX pages), and returns the best dirty fit for
   * `need` pages after that, or -1. A fixed kind, which gets no new chunk, so keeps the whole
   * of its buffer usable for a long or aligned request. Cost O(dirty runs), on a miss only.
   */
  private mergeAcross(need: number): number {
    let merged = false;
    for (const id of this.dirty.ids()) {
      if (this.extents.state[id] !== FREE_DIRTY) continue; // absorbed earlier in this pass
      const before = this.extents.pages[id] as number;
      this.dirty.remove(id);
      const run = this.coalesce(id, true);
      this.dirty.insert(run);
      if ((this.extents.pages[run] as number) > before) merged = true;
    }
    return merged ? this.dirty.bestFit(need) : -1;
  }

  /** Carves a run out of free run `id` of `index` (take); -1 if the provider cannot back it. */
  private runFromIndex(index: FreeRuns, id: number, pages: number, alignment: number): number {
    index.remove(id);
    this.lastRunZeroed = index === this.clean && this.provider.zeroed;
    const run = this.carve(id, pages, alignment);
    if (this.commit(this.extents.addr[run] as number, pages)) return run;
    index.insert(this.coalesce(run)); // not backed: the run goes back whole
    return -1;
  }

  /**
   * A run from a fresh mapping of whole 4 MiB slots, slot-aligned. Where the provider allows
   * (PageProvider.growChunks) and the chunk goes in the reservation, the chunk is
   * `nextChunkLength` long if the run fits (that length then doubles, up to GROW_MAX), with
   * one fallback to the run's own length if the provider refuses. Otherwise the chunk is the
   * run's slots, dedicated to the run when it needs more than one slot (so it can be unmapped
   * once free).
   */
  private runFromMap(pages: number, alignment: number): number {
    const needed = Math.ceil((pages * PAGE) / SLOT_SIZE) * SLOT_SIZE;
    const grows =
      this.provider.growChunks === true &&
      this.provider.mapAt !== undefined &&
      this.chunks.reservation !== undefined &&
      needed <= this.nextChunkLength;
    let length = grows ? this.nextChunkLength : needed;
    const chunkAlignment = Math.max(SLOT_SIZE, alignment);
    let addr = this.mapChunk(length, chunkAlignment);
    if (addr < 0 && length > needed) {
      length = needed;
      addr = this.mapChunk(length, chunkAlignment);
    }
    if (addr < 0) return -1;
    if (grows) this.nextChunkLength = Math.min(GROW_MAX, length * 2);
    const reserved = this.lastChunkReserved;
    if (!this.commit(addr, pages)) {
      this.provider.unmap(addr, length);
      if (reserved) this.chunks.reservation?.give(addr, length);
      return -1;
    }
    const id = this.adopt(addr, length, !grows && length > SLOT_SIZE, reserved);
    if (id < 0) return -1;
    this.lastRunZeroed = this.provider.zeroed;
    return this.carve(id, pages, alignment);
  }

  /**
   * A new chunk from the provider, or -1. A provider that releases free chunks gets a second
   * try after the dirty runs are purged (wholly free chunks among them are unmapped).
   */
  private mapChunk(length: number, alignment: number): number {
    try {
      return this.mapOnce(length, alignment);
    } catch (error) {
      this.lastError = error;
      if (!this.provider.releaseFreeChunks || this.options.hog || this.dirty.pages === 0) return -1;
    }
    for (const id of this.dirty.ids()) this.purgeRun(id);
    try {
      return this.mapOnce(length, alignment);
    } catch (error) {
      this.lastError = error;
      return -1;
    }
  }

  /** Whether the chunk of the last successful `mapOnce` was placed in the heap's reservation. */
  private lastChunkReserved = false;

  /**
   * Maps one chunk: in the heap's reservation when the provider can map at an address (its
   * pointers then cost one load to look up), else wherever the provider maps it. Throws
   * what the provider throws, or RangeError when the page map has no rows left.
   */
  private mapOnce(length: number, alignment: number): number {
    const reservation = this.chunks.reservation;
    this.lastChunkReserved = false;
    if (reservation && this.provider.mapAt) {
      const at = reservation.take(length, alignment);
      if (at >= 0) {
        try {
          this.provider.mapAt(at, length);
        } catch (error) {
          reservation.give(at, length);
          throw error;
        }
        this.lastChunkReserved = true;
        return at;
      }
    }
    if (!this.pageMap.hasRoom(length / SLOT_SIZE))
      throw new RangeError(`the heap maps at most ${this.pageMap.maxSlots * 4} MiB`);
    return this.provider.map(length, alignment);
  }

  /** Lets the provider back `pages` pages at `addr` before use (PageProvider.commit). */
  commit(addr: number, pages: number): boolean {
    if (!this.provider.commit) return true;
    try {
      this.provider.commit(addr, pages * PAGE);
      return true;
    } catch (error) {
      this.lastError = error;
      return false;
    }
  }

  /**
   * A run from a chunk the provider picks (a fixed buffer's interior): any whole pages, which
   * may not hold the request. The chunk is kept either way (as a clean free run) and retained
   * until the arena is destroyed.
   */
  private runFromGrant(pages: number, alignment: number): number {
    let range: PageRange;
    try {
      range = (this.provider.grant as NonNullable<PageProvider["grant"]>)(pages * PAGE, alignment);
    } catch (error) {
      this.lastError = error;
      return -1;
    }
    const id = this.adopt(range.addr, range.length, false);
    if (id < 0) return -1;
    const aligned = Math.ceil(range.addr / alignment) * alignment;
    if (aligned + pages * PAGE > range.addr + range.length) {
      this.pageMap.setEnds(range.addr, range.length / PAGE, id);
      this.clean.insert(id);
      this.lastError = new RangeError(
        `${this.provider.description}: ${pages * PAGE} bytes aligned to ${alignment} do not fit in its ${range.length} bytes`,
      );
      return -1;
    }
    this.lastRunZeroed = this.provider.zeroed;
    return this.carve(id, pages, alignment);
  }

  /**
   * Registers fresh memory as a chunk of this arena and makes it one clean free run (not yet
   * indexed); returns the run's extent id, or -1 after giving the memory back to the provider
   * when the chunk table refuses it.
   */
  private adopt(addr: number, length: number, dedicated: boolean, reserved = false): number {
    let chunk: number;
    try {
      chunk = this.chunks.add(addr, length, this.id, this.provider, {
        dedicated,
        reserved,
        mayNestIn: (host) => this.extents.state[host] === LARGE,
      });
    } catch (error) {
      this.lastError = error;
      this.provider.unmap(addr, length);
      if (reserved) this.chunks.reservation?.give(addr, length);
      return -1;
    }
    this.mapped += length;
    return this.extents.create(addr, length / PAGE, FREE_CLEAN, this.id, chunk);
  }

  /** Cuts `pages` aligned pages out of free run `id` (already out of the indexes). */
  private carve(id: number, pages: number, alignment: number): number {
    const e = this.extents;
    const start = e.addr[id] as number;
    const total = e.pages[id] as number;
    const state = e.state[id] as number;
    const aligned = Math.ceil(start / alignment) * alignment;
    const lead = (aligned - start) / PAGE;
    const trail = total - lead - pages;
    if (lead > 0) this.splitOff(id, start, lead, state);
    if (trail > 0) this.splitOff(id, aligned + pages * PAGE, trail, state);
    e.addr[id] = aligned;
    e.pages[id] = pages;
    return id;
  }

  /** Makes a free run of `pages` pages at `addr` with `from`'s state and age, and indexes it. */
  private splitOff(from: number, addr: number, pages: number, state: number): void {
    const e = this.extents;
    const id = e.create(addr, pages, state, this.id, e.chunk[from] as number);
    e.dirtySince[id] = e.dirtySince[from] as number;
    this.pageMap.setEnds(addr, pages, id);
    (state === FREE_DIRTY ? this.dirty : this.clean).insert(id);
  }

  /**
   * Turns a slab or large run into a dirty free run, coalesced with its free neighbours (a
   * slab's page descriptions are the caller's to clear first).
   */
  release(id: number): void {
    const e = this.extents;
    const now = performance.now();
    e.state[id] = FREE_DIRTY;
    e.cls[id] = -1;
    e.colour[id] = 0;
    e.dirtySince[id] = now;
    const merged = this.coalesce(id);
    this.dirty.insert(merged);
    if (this.options.hog) return;
    if (this.options.decayMs === 0) this.purgeRun(merged);
    else this.decay(now);
  }

  /**
   * Merges free run `id` (its state set) with the free neighbours `absorbs` allows, which
   * leave their indexes; the caller files the result. A dirty run so takes in short purged
   * gaps beside it and counts as dirty as a whole (purging it again costs little for pages
   * that are not resident), and a large request finds one run there instead of a dirty and a
   * clean piece side by side.
   */
  private coalesce(id: number, absorbAll = false): number {
    const e = this.extents;
    const chunk = this.chunks.get(e.chunk[id] as number);
    // Loops: past an absorbed clean gap (the lead an aligned carve split off, say) there may
    // be a run of this one's state.
    for (let start = e.addr[id] as number; start > chunk.addr; start = e.addr[id] as number) {
      const left = this.pageMap.lookup(start - PAGE);
      if (!this.absorbs(id, left, absorbAll)) break;
      this.unfile(left);
      e.addr[id] = e.addr[left] as number;
      this.absorb(id, left);
    }
    const chunkEnd = chunk.addr + chunk.length;
    for (
      let end = (e.addr[id] as number) + (e.pages[id] as number) * PAGE;
      end < chunkEnd;
      end = (e.addr[id] as number) + (e.pages[id] as number) * PAGE
    ) {
      const right = this.pageMap.lookup(end);
      if (!this.absorbs(id, right, absorbAll)) break;
      this.unfile(right);
      this.absorb(id, right);
    }
    this.pageMap.setEnds(e.addr[id] as number, e.pages[id] as number, id);
    return id;
  }

  /**
   * Whether free run `id` takes in its neighbour `other`: a run of the same state always; a
   * dirty run a clean one of at most CLEAN_ABSORB_MAX pages (any, with `absorbAll`); a clean
   * run never a dirty one (calloc trusts clean runs to read as zeros).
   */
  private absorbs(id: number, other: number, absorbAll: boolean): boolean {
    if (!this.isFreeRun(other)) return false;
    const e = this.extents;
    if (e.state[other] === e.state[id]) return true;
    return (
      e.state[id] === FREE_DIRTY && (absorbAll || (e.pages[other] as number) <= CLEAN_ABSORB_MAX)
    );
  }

  private isFreeRun(id: number): boolean {
    const state = id < 0 ? -1 : (this.extents.state[id] as number);
    return state === FREE_DIRTY || state === FREE_CLEAN;
  }

  /** Takes a free run out of the index of its state. */
  private unfile(id: number): void {
    (this.extents.state[id] === FREE_DIRTY ? this.dirty : this.clean).remove(id);
  }

  /** Adds the pages of (unfiled) free run `other` to run `id` and drops `other`'s extent. */
  private absorb(id: number, other: number): void {
    const e = this.extents;
    e.pages[id] = (e.pages[id] as number) + (e.pages[other] as number);
    e.dirtySince[id] = Math.max(e.dirtySince[id] as number, e.dirtySince[other] as number);
    e.remove(other);
  }

  // ── purging ─────────────────────────────────────────────────────────────────────────

  /** Purges dirty runs older than the decay time; runs at most every decay/8 (>= 100 ms). */
  decay(now = performance.now()): void {
    if (this.options.hog || now < this.nextDecayCheck) return;
    this.nextDecayCheck = now + this.decayCheckInterval();
    const deadline = now - this.options.decayMs;
    for (const id of this.dirty.ids()) {
      if ((this.extents.dirtySince[id] as number) <= deadline) this.purgeRun(id);
    }
  }

  /** Time between decay walks: an eighth of the decay time, at least 100 ms. */
  private decayCheckInterval(): number {
    return Math.max(100, this.options.decayMs / 8);
  }

  /** Purges every dirty run now. Returns bytes purged. */
  purgeDirty(): number {
    let bytes = 0;
    for (const id of this.dirty.ids()) bytes += this.purgeRun(id);
    return bytes;
  }

  /**
   * Gives a dirty run's pages back through the provider and files it as clean; a dedicated
   * chunk that is then wholly free is unmapped. Returns bytes purged.
   */
  private purgeRun(id: number): number {
    const e = this.extents;
    this.dirty.remove(id);
    const bytes = (e.pages[id] as number) * PAGE;
    try {
      this.provider.purge(e.addr[id] as number, bytes);
    } catch (error) {
      // The pages stay resident; the run stays dirty and is tried again next time.
      this.lastError = error;
      this.dirty.insert(id);
      return 0;
    }
    e.state[id] = FREE_CLEAN;
    const merged = this.coalesce(id);
    const chunkId = e.chunk[merged] as number;
    const chunk = this.chunks.get(chunkId);
    // Wholly free chunks go back when they were one huge run (dedicated), or when the provider
    // asks (a limited PMEM kind needs the room).
    const releasable = chunk.dedicated || this.provider.releaseFreeChunks === true;
    if (releasable && (e.pages[merged] as number) * PAGE === chunk.length) {
      e.remove(merged);
      this.mapped -= chunk.length;
      this.chunks.release(chunkId);
    } else {
      this.clean.insert(merged);
    }
    return bytes;
  }
}
