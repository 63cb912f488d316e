/**
 * The operating system as the rest of memkind sees it: one small interface (mimalloc's
 * `prim` layer), implemented by `LinuxPlatform` over libc through koffi and by
 * `SimulatedPlatform` over JS memory for tests. Everything above `platform/` goes through it.
 *
 * Conventions:
 * - Addresses are JS numbers holding the virtual address (below 2^47 on Linux x86-64, so
 *   exact in a double). Never use bitwise operators on them.
 * - A failing call throws `PlatformError` (errno name + the call); nothing returns -1.
 * - Costs: every call is one FFI crossing (~0.1-1 µs) plus the syscall. Use them at page
 *   granularity, never per small allocation.
 */

/** A node policy as get_mempolicy reports it. */
export interface MemPolicy {
  /** MPOL_DEFAULT, MPOL_BIND, MPOL_PREFERRED, MPOL_INTERLEAVE, ... (mode flags stripped). */
  readonly mode: number;
  /** The policy's nodes, ascending; empty for MPOL_DEFAULT / MPOL_LOCAL. */
  readonly nodes: readonly number[];
}

/** What fstat reports that memkind uses. */
export interface FileStat {
  /** st_size: the file's length in bytes. */
  readonly size: number;
  /** st_blocks: allocated 512-byte blocks (falls when holes are punched). */
  readonly blocks: number;
  /** st_blksize: the preferred I/O block size. */
  readonly blockSize: number;
  /** st_nlink: 0 for an unlinked or O_TMPFILE file. */
  readonly links: number;
  /** st_mode (type and permission bits). */
  readonly mode: number;
}

/** What statvfs reports, in bytes where the C struct counts blocks. */
export interface FileSystemStat {
  readonly blockSize: number;
  readonly fragmentSize: number;
  readonly totalBytes: number;
  readonly freeBytes: number;
  /** Bytes available to an unprivileged user. */
  readonly availableBytes: number;
  readonly files: number;
  readonly freeFiles: number;
  /** ST_RDONLY (1), ST_NOSUID (2), ... */
  readonly flags: number;
  readonly nameMax: number;
}

/** A temporary file made from a template, as mkstemp(3) makes it. */
export interface TempFile {
  readonly fd: number;
  readonly path: string;
}

/** The CPU the calling thread runs on and that CPU's node (getcpu(2)). */
export interface CpuLocation {
  readonly cpu: number;
  readonly node: number;
}

export interface Platform {
  /** The base page size in bytes (sysconf(_SC_PAGESIZE)). */
  readonly pageSize: number;
  /** The root of the sysfs tree the topology reader reads ("/sys", or a recorded tree). */
  readonly sysfsRoot: string;

  /** mmap(2). `addr` 0 lets the kernel choose. Returns the mapping's address. */
  mmap(
    addr: number,
    length: number,
    prot: number,
    flags: number,
    fd: number,
    offset: number,
  ): number;
  /** munmap(2). Views over the range must no longer be used afterwards. */
  munmap(addr: number, length: number): void;
  /** mprotect(2). */
  mprotect(addr: number, length: number, prot: number): void;
  /** madvise(2) with one MADV_* advice. */
  madvise(addr: number, length: number, advice: number): void;
  /** mbind(2): `mode` may carry MPOL_F_* mode flags; `flags` are MPOL_MF_*. */
  mbind(addr: number, length: number, mode: number, nodes: readonly number[], flags: number): void;
  /** get_mempolicy(2) of the thread (no address) or of the page at `addr` (MPOL_F_ADDR). */
  getMempolicy(addr?: number): MemPolicy;
  /** get_mempolicy(2) with MPOL_F_NODE | MPOL_F_ADDR: the node the page at `addr` is on. */
  getPageNode(addr: number): number;
  /** set_mempolicy(2) for the calling thread. */
  setMempolicy(mode: number, nodes: readonly number[]): void;
  /**
   * move_pages(2) on the calling process. Without `nodes` it only queries: each status is
   * the page's node, or a negative errno (-ENOENT: not present, -EFAULT: not mapped). With
   * `nodes` it moves page i to nodes[i] and reports the same way.
   */
  movePages(pages: readonly number[], nodes?: readonly number[], flags?: number): Int32Array;
  /** getcpu(2) for the calling thread. */
  getcpu(): CpuLocation;

  /** open(2). */
  open(path: string, flags: number, mode?: number): number;
  /** open(dir, O_TMPFILE | O_RDWR): an unnamed file that vanishes on close. */
  openTmpfile(dir: string, mode?: number): number;
  /** mkstemp(3): `template` ends in "XXXXXX", which is replaced. */
  mkstemp(template: string): TempFile;
  unlink(path: string): void;
  close(fd: number): void;
  ftruncate(fd: number, length: number): void;
  /** fallocate(2); `mode` 0 allocates, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE frees. */
  fallocate(fd: number, mode: number, offset: number, length: number): void;
  /** posix_fallocate(3): allocates blocks, growing the file if needed. */
  posixFallocate(fd: number, offset: number, length: number): void;
  fstat(fd: number): FileStat;
  statvfs(path: string): FileSystemStat;
  /** memfd_create(2). */
  memfdCreate(name: string, flags: number): number;

  /**
   * The address of byte 0 of a JS buffer's memory (for a fixed kind over it). V8 never moves
   * an ArrayBuffer's backing store; it stays valid while the buffer is alive and not detached
   * or resized. Cost: one FFI call.
   */
  bufferAddress(buffer: ArrayBuffer | SharedArrayBuffer): number;
  /**
   * True if every byte of [addr, addr + length) is mapped readable and writable (from
   * /proc/self/maps on Linux; O(mappings)).
   */
  isReadWrite(addr: number, length: number): boolean;

  /**
   * A byte view of `length` bytes of mapped memory at `addr`, without copying. Other typed
   * views share its memory: `new Float64Array(v.buffer, v.byteOffset, n)`. It stays valid only
   * while the memory stays mapped: the caller owns that invariant (a view over unmapped
   * memory faults the process). Cost: ~1 µs on Linux (an external ArrayBuffer); make one per
   * chunk, not per allocation.
   */
  view(addr: number, length: number): Uint8Array;
}
