/**
 * File-backed pages: the provider of PMEM kinds (memkind_create_pmem). Chunks are MAP_SHARED
 * mappings of a temporary file in the kind's directory, unlinked as soon as it is made, so the
 * file system frees its blocks when the last mapping and descriptor go.
 *
 *   file   ┌──────────┬──────────┬──────────┬──────────────────┬───── end
 *          │ chunk A  │ (free)   │ chunk C  │ chunk D          │
 *          │ 4 MiB    │ punched, │ holes    │ dedicated 16 MiB │
 *          └────▲─────┴─reused──▲┴──────────┴──────────────────┘
 *   memory      │ slot-aligned  │ next chunk of <= its length goes here first
 *          MAP_SHARED | MAP_FIXED into the heap's reserved window (`mapAt`), or over an
 *          aligned PROT_NONE range of its own (`map`, for a heap without a window)
 *
 * Invariants and costs:
 * - Mapping a chunk only sizes the file (ftruncate): its range is a hole. The heap commits
 *   each run before it hands it out (`commit`: posix_fallocate of the run), so the file's
 *   blocks are the pages in use plus the dirty ones not purged yet, and touching a page never
 *   faults for want of space (which would be SIGBUS): a full file system is an ENOSPC that
 *   fails the allocation instead.
 * - `purge` punches holes (madvise MADV_REMOVE, as upstream), so the file's allocated blocks
 *   (st_blocks) shrink; punched pages read as zeros (`zeroed`).
 * - File ranges of unmapped chunks are punched and reused first-fit before the file grows,
 *   and a free tail shrinks the file (ftruncate): the file spans at most the peak of mapped
 *   bytes.
 * - `mappedBytes` (upstream's current_size) counts the chunks mapped now; `max_size` bounds
 *   it. Only unmapping a chunk gives its share back: a limited provider has the heap unmap
 *   chunks once they are wholly free and purged (`releaseFreeChunks`, as upstream's extent
 *   dalloc does), and purge its dirty runs when the limit refuses a chunk, so that memory
 *   freed in 4 MiB chunks can serve a 16 MiB block. Unlimited ones keep their chunks (their
 *   pages punched), as every other kind does.
 * - Upstream re-creates the file when posix_fallocate fails with EFBIG (its offset only
 *   grows). Here offsets are reused, so EFBIG means the mapped span reached the file system's
 *   largest file: the provider opens one more file in the directory and maps from it; a file
 *   other than the first is closed once nothing maps it (the first names the kind: its
 *   descriptor stays open until `close`, so no other kind can take the name meanwhile).
 * - Map: 4-5 system calls (ftruncate, 2 mmap, 1-2 munmap); commit: 1 posix_fallocate
 *   (~1 µs plus the file system's work per page; statvfs first for runs of 64 MiB or more);
 *   purge: 1 madvise; unmap: munmap and a punch.
 */
import {
  errnoValue,
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  MADV_REMOVE,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  type Platform,
  PlatformError,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "../platform/index.js";
import type { PageProvider } from "./provider.js";

const PUNCH = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
const EFBIG = errnoValue("EFBIG");
const ENOMEM = errnoValue("ENOMEM");
const ENOSPC = errnoValue("ENOSPC");
const EOPNOTSUPP = errnoValue("EOPNOTSUPP");
/** Runs this long check the file system's free space before posix_fallocate. */
const LARGE_COMMIT = 64 * 1024 * 1024;

export interface FileProviderOptions {
  /** The directory of the backing files (a further file after EFBIG is made there too). */
  readonly dir: string;
  /** The first backing file, made and unlinked by the caller (a PMEM kind is named by it). */
  readonly fd: number;
  /** Bytes of chunks that may be mapped at once; 0: no limit. */
  readonly maxSize: number;
  /**
   * Whether the file system can punch holes. Without it `purge` cannot work (the kind must
   * not purge: MEMKIND_HOG_MEMORY), and unmapping leaves the blocks to `close`.
   */
  readonly canPunch?: boolean;
}

/** A free range of a backing file: [offset, offset + length). */
interface Range {
  offset: number;
  length: number;
}

/** One backing file: its descriptor, its used span and the free ranges inside that span. */
interface BackingFile {
  readonly fd: number;
  /** Bytes from offset 0 that chunks use or used (the file's size). */
  end: number;
  /** Free ranges below `end`, ascending, never adjacent (merged). */
  readonly free: Range[];
  /** Bytes of this file mapped now. */
  mapped: number;
}

/** Where a chunk's pages live in the files. */
interface Placement {
  readonly file: BackingFile;
  readonly offset: number;
  readonly length: number;
}

export class FileProvider implements PageProvider {
  readonly description: string;
  /** Fresh file blocks and punched holes read as zeros. */
  readonly zeroed = true;
  /** A limited file gives wholly free chunks back, so that max_size serves any shape. */
  readonly releaseFreeChunks: boolean;
  /** Bytes of chunks mapped now (upstream's current_size); at most `maxSize` when set. */
  mappedBytes = 0;

  private readonly files: BackingFile[];
  /** The file that grows; the last one made. */
  private current: BackingFile;
  /** Chunks by their address (the heap unmaps whole chunks only). */
  private readonly chunks = new Map<number, Placement>();
  /** Chunk addresses, ascending, to find the chunk of a committed run. */
  private readonly bases: number[] = [];
  private closed = false;

  constructor(
    private readonly platform: Platform,
    private readonly options: FileProviderOptions,
  ) {
    this.current = { fd: options.fd, end: 0, free: [], mapped: 0 };
    this.files = [this.current];
    this.releaseFreeChunks = options.maxSize !== 0;
    const limit = options.maxSize === 0 ? "unlimited" : `max_size ${options.maxSize}`;
    this.description = `file ${options.dir}/memkind.* (${limit})`;
  }

  /** The descriptors of the backing files (the first one names the kind). */
  get fds(): readonly number[] {
    return this.files.map((file) => file.fd);
  }

  map(length: number, alignment: number): number {
    return this.mapChunk(length, (placement) => this.mapAligned(placement, alignment));
  }

  /** Maps a chunk at `addr`, over the heap's reservation (PageProvider.mapAt). */
  mapAt(addr: number, length: number): void {
    this.mapChunk(length, (placement) => this.mapFixed(placement, addr));
  }

  /** The bookkeeping of map and mapAt around `mapPlacement`, which maps the file range. */
  private mapChunk(length: number, mapPlacement: (placement: Placement) => number): number {
    if (this.closed) throw new PlatformError(`${this.description}: map(${length})`, ENOMEM);
    const { maxSize } = this.options;
    if (maxSize !== 0 && this.mappedBytes + length > maxSize) {
      throw new PlatformError(
        `${this.description}: map(${length})`,
        ENOMEM,
        `${this.mappedBytes} bytes mapped already, max_size is ${maxSize}`,
      );
    }
    const placement = this.place(length);
    let addr: number;
    try {
      addr = mapPlacement(placement);
    } catch (error) {
      this.release(placement);
      throw error;
    }
    placement.file.mapped += length;
    this.mappedBytes += length;
    this.chunks.set(addr, placement);
    this.bases.splice(this.baseIndex(addr), 0, addr);
    return addr;
  }

  commit(addr: number, length: number): void {
    const base = this.bases[this.baseIndex(addr + 1) - 1];
    const placement = base === undefined ? undefined : this.chunks.get(base);
    if (base === undefined || !placement || addr + length > base + placement.length)
      throw new Error(`heap invariant: ${length} bytes at ${addr} are not inside a chunk`);
    if (length >= LARGE_COMMIT) this.checkSpace(length);
    this.allocate(placement.file, placement.offset + (addr - base), length);
  }

  unmap(addr: number, length: number): void {
    const placement = this.chunks.get(addr);
    if (!placement || placement.length !== length) {
      throw new Error(`heap invariant: ${length} bytes at ${addr} is not a chunk of this file`);
    }
    this.platform.munmap(addr, length);
    this.chunks.delete(addr);
    this.bases.splice(this.baseIndex(addr), 1);
    placement.file.mapped -= length;
    this.mappedBytes -= length;
    this.release(placement);
    const { file } = placement;
    if (file.mapped === 0 && file !== this.current && file !== this.files[0]) {
      this.files.splice(this.files.indexOf(file), 1);
      this.platform.close(file.fd);
    }
  }

  purge(addr: number, length: number): void {
    this.platform.madvise(addr, length, MADV_REMOVE);
  }

  view(addr: number, length: number): Uint8Array {
    return this.platform.view(addr, length);
  }

  /** Bytes of file blocks allocated now (st_blocks of every backing file, times 512). */
  allocatedBytes(): number {
    return this.files.reduce((sum, file) => sum + this.platform.fstat(file.fd).blocks * 512, 0);
  }

  /**
   * Closes the backing files (the end of a PMEM kind, after the heap unmapped its chunks:
   * a mapping would keep its file's blocks alive). A second call does nothing.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const file of this.files) this.platform.close(file.fd);
  }

  // ── file ranges ───────────────────────────────────────────────────────────────────────

  /** A file range of `length` bytes, a hole: a free range first-fit, or the file's end. */
  private place(length: number): Placement {
    for (const file of this.files) {
      const index = file.free.findIndex((range) => range.length >= length);
      const range = file.free[index];
      if (!range) continue;
      const placement = { file, offset: range.offset, length };
      range.offset += length;
      range.length -= length;
      if (range.length === 0) file.free.splice(index, 1);
      return placement;
    }
    let file = this.current;
    try {
      this.platform.ftruncate(file.fd, file.end + length);
    } catch (error) {
      if (!(error instanceof PlatformError && error.errno === EFBIG)) throw error;
      file = this.newFile();
      this.platform.ftruncate(file.fd, length);
    }
    const placement = { file, offset: file.end, length };
    file.end += length;
    return placement;
  }

  /**
   * posix_fallocate of a file range; on failure (ENOSPC, ...) punches it again, so that a
   * refused run leaves no blocks behind (the range is free: nothing in it is live).
   */
  private allocate(file: BackingFile, offset: number, length: number): void {
    try {
      this.platform.posixFallocate(file.fd, offset, length);
    } catch (error) {
      try {
        this.punch(file, offset, length);
      } catch {
        // best effort: the allocation's own error is the one to report
      }
      throw error;
    }
  }

  /**
   * Refuses a run the file system has no room for before allocating it: a large
   * posix_fallocate on ext4 allocates block after block until ENOSPC, filling the disk.
   */
  private checkSpace(length: number): void {
    let free: number;
    try {
      free = this.platform.statvfs(this.options.dir).freeBytes;
    } catch {
      return; // the directory was renamed or removed: posix_fallocate decides
    }
    if (length > free) {
      throw new PlatformError(
        `${this.description}: commit(${length})`,
        ENOSPC,
        `${free} bytes free in ${this.options.dir}`,
      );
    }
  }

  /** The index of the first chunk address above `addr` (binary search). */
  private baseIndex(addr: number): number {
    let low = 0;
    let high = this.bases.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.bases[middle] as number) < addr) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Gives a placement's range back: punched (it reads as zeros when reused), then freed. */
  private release({ file, offset, length }: Placement): void {
    this.punch(file, offset, length);
    const free = file.free;
    let at = free.findIndex((range) => range.offset > offset);
    if (at < 0) at = free.length;
    free.splice(at, 0, { offset, length });
    const next = free[at + 1];
    if (next && offset + length === next.offset) {
      (free[at] as Range).length += next.length;
      free.splice(at + 1, 1);
    }
    const prev = free[at - 1];
    if (prev && prev.offset + prev.length === offset) {
      prev.length += (free[at] as Range).length;
      free.splice(at, 1);
    }
    const last = free[free.length - 1];
    if (last && last.offset + last.length === file.end) {
      free.pop();
      this.truncate(file, last.offset);
    }
  }

  private punch(file: BackingFile, offset: number, length: number): void {
    try {
      this.platform.fallocate(file.fd, PUNCH, offset, length);
    } catch (error) {
      // Without hole punching the blocks stay until the file is closed (HOG kinds only).
      if (!(error instanceof PlatformError && error.errno === EOPNOTSUPP)) throw error;
      if (this.options.canPunch !== false) throw error;
    }
  }

  /** Shrinks a file's span (and size) to `end`. */
  private truncate(file: BackingFile, end: number): void {
    file.end = end;
    this.platform.ftruncate(file.fd, end);
  }

  /** One more backing file in the directory, made current (after EFBIG). */
  private newFile(): BackingFile {
    const temp = this.platform.mkstemp(`${this.options.dir}/memkind.XXXXXX`);
    this.platform.unlink(temp.path);
    const file = { fd: temp.fd, end: 0, free: [], mapped: 0 };
    this.files.push(file);
    this.current = file;
    return file;
  }

  // ── mappings ──────────────────────────────────────────────────────────────────────────

  /** Maps a placement at `addr` (MAP_FIXED over the heap's reservation). */
  private mapFixed({ file, offset, length }: Placement, addr: number): number {
    this.platform.mmap(
      addr,
      length,
      PROT_READ | PROT_WRITE,
      MAP_SHARED | MAP_FIXED,
      file.fd,
      offset,
    );
    return addr;
  }

  /**
   * Maps a placement at an address aligned to `alignment`: reserves `length + alignment`
   * bytes of address space (PROT_NONE, no memory), maps the file over the aligned part with
   * MAP_FIXED and unmaps the rest of the reservation.
   */
  private mapAligned(placement: Placement, alignment: number): number {
    const { length } = placement;
    const page = this.platform.pageSize;
    const span = length + alignment - page;
    const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    const raw = this.platform.mmap(0, span, PROT_NONE, flags, -1, 0);
    const addr = Math.ceil(raw / alignment) * alignment;
    try {
      this.mapFixed(placement, addr);
    } catch (error) {
      this.platform.munmap(raw, span);
      throw error;
    }
    if (addr > raw) this.platform.munmap(raw, addr - raw);
    const tail = raw + span - (addr + length);
    if (tail > 0) this.platform.munmap(addr + length, tail);
    return addr;
  }
}
