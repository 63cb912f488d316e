/**
 * Pages from memory operations a user supplies (user-defined kinds, memkind_create): each
 * operation replaces one step of the default, anonymous mmap + mbind + madvise.
 *
 *   map(length, alignment)
 *     ready()                         check_available: throws when no memory can be had now
 *     addr = map(length)              default: mmap(PROT_READ | PROT_WRITE, mmapFlags())
 *     misaligned: unmap, map(length + alignment), unmap the head and the tail
 *     bind(addr, length)              default: mbind(mbindMode(), mbindNodes()) if a mode is set
 *     advise(addr, length)            default: nothing
 *     (bind or advise throws: unmap, rethrow)
 *   unmap(addr, length)               default: munmap
 *   purge(addr, length)               default: madvise(MADV_DONTNEED)
 *
 * A thrown error fails the allocation (NULL, errno ENOMEM); the heap keeps it as the arena's
 * `lastError`. Costs: the operations' own, once per 4 MiB chunk, never per allocation.
 */
import {
  MADV_DONTNEED,
  MAP_ANONYMOUS,
  MAP_HUGETLB,
  MAP_PRIVATE,
  MAP_SHARED,
  type Platform,
  PlatformError,
  PROT_READ,
  PROT_WRITE,
} from "../platform/index.js";
import type { PageProvider } from "./provider.js";

const PAGE = 4096;

export interface MemoryOperations {
  /** Maps `length` bytes anywhere, returning the address (page-aligned); throws on failure. */
  readonly map?: (length: number) => number;
  /** Unmaps part or all of a mapping `map` made (default munmap). */
  readonly unmap?: (addr: number, length: number) => void;
  /** Flags of the default map (default MAP_PRIVATE | MAP_ANONYMOUS). */
  readonly mmapFlags?: () => number;
  /** Binds a new chunk to nodes; default: mbind with `mbindMode` and `mbindNodes`, if a mode is given. */
  readonly bind?: (addr: number, length: number) => void;
  /** The MPOL_* mode of the default bind. */
  readonly mbindMode?: () => number;
  /** The nodes of the default bind (default: every node with memory). */
  readonly mbindNodes?: () => readonly number[];
  /** Advises a new chunk (madvise hints such as MADV_NOHUGEPAGE); default nothing. */
  readonly advise?: (addr: number, length: number) => void;
  /** Throws when the memory is unavailable now (memkind's check_available, before each map). */
  readonly ready?: () => void;
  /** Gives a free range's memory back (default madvise(MADV_DONTNEED)). */
  readonly purge?: (addr: number, length: number) => void;
  /**
   * Fresh and purged memory reads as zeros. Default: true only for the default map with
   * private anonymous 4 KiB pages (a shared or file mapping keeps its bytes when purged).
   */
  readonly zeroed?: boolean;
}

export class OperationsProvider implements PageProvider {
  readonly zeroed: boolean;

  constructor(
    readonly description: string,
    private readonly platform: Platform,
    private readonly ops: MemoryOperations,
    private readonly allNodes: () => readonly number[],
  ) {
    let flags = MAP_SHARED; // unknown flags: not known to be zeroed
    try {
      flags = ops.mmapFlags?.() ?? MAP_PRIVATE | MAP_ANONYMOUS;
    } catch {
      // The flags fail again when a chunk is mapped, which fails that allocation.
    }
    const privateAnonymous =
      (flags & (MAP_PRIVATE | MAP_SHARED)) === MAP_PRIVATE &&
      (flags & MAP_ANONYMOUS) !== 0 &&
      (flags & MAP_HUGETLB) === 0;
    this.zeroed =
      ops.zeroed ?? (ops.map === undefined && ops.purge === undefined && privateAnonymous);
  }

  map(length: number, alignment: number): number {
    this.ops.ready?.();
    let addr = this.mapOnce(length);
    if (addr % alignment !== 0) {
      this.unmap(addr, length);
      const span = length + alignment;
      const raw = this.mapOnce(span);
      addr = Math.ceil(raw / alignment) * alignment;
      if (addr > raw) this.unmap(raw, addr - raw);
      const tail = raw + span - (addr + length);
      if (tail > 0) this.unmap(addr + length, tail);
    }
    try {
      this.bind(addr, length);
      this.ops.advise?.(addr, length);
    } catch (error) {
      this.unmap(addr, length);
      throw error;
    }
    return addr;
  }

  /** One mapping of `length` bytes, by the user's map or mmap with the user's flags. */
  private mapOnce(length: number): number {
    if (!this.ops.map) {
      const flags = this.ops.mmapFlags?.() ?? MAP_PRIVATE | MAP_ANONYMOUS;
      return this.platform.mmap(0, length, PROT_READ | PROT_WRITE, flags, -1, 0);
    }
    const addr = this.ops.map(length);
    if (!(Number.isSafeInteger(addr) && addr > 0 && addr % PAGE === 0)) {
      throw new PlatformError(
        `${this.description}: map(${length})`,
        12,
        `returned ${String(addr)}, not a page-aligned address`,
      );
    }
    return addr;
  }

  private bind(addr: number, length: number): void {
    if (this.ops.bind) {
      this.ops.bind(addr, length);
      return;
    }
    const mode = this.ops.mbindMode?.();
    if (mode === undefined) return;
    this.platform.mbind(addr, length, mode, this.ops.mbindNodes?.() ?? this.allNodes(), 0);
  }

  unmap(addr: number, length: number): void {
    if (this.ops.unmap) this.ops.unmap(addr, length);
    else this.platform.munmap(addr, length);
  }

  purge(addr: number, length: number): void {
    if (this.ops.purge) this.ops.purge(addr, length);
    else this.platform.madvise(addr, length, MADV_DONTNEED);
  }

  view(addr: number, length: number): Uint8Array {
    return this.platform.view(addr, length);
  }
}
