/**
 * `SimulatedPlatform`: a machine in JS memory, for fast tests of the code above the platform
 * layer on topologies this machine does not have. Its topology is a recorded sysfs tree
 * (test/fixtures/sysfs/<name>); its memory is ArrayBuffers at synthetic addresses from 2^48
 * up (never reused, so a stale pointer never aliases new memory); its files live in a small
 * in-memory file system.
 *
 * It models what memkind's logic depends on, with the kernel's errno for each misuse:
 * - mappings: mmap (anonymous, file MAP_SHARED / MAP_PRIVATE, MAP_FIXED[_NOREPLACE],
 *   MAP_HUGETLB against the recorded hugepage pools), munmap and mprotect with splitting;
 * - madvise: DONTNEED zeroes private memory, REMOVE punches the file, FREE/HUGEPAGE/... are
 *   recorded;
 * - NUMA: policies per page and per thread, validated against the nodes with memory. A page
 *   is placed when it is first made present, which here means when `view()` covers it (the
 *   only way to touch simulated memory): BIND / PREFERRED take the policy's first node that
 *   has room, INTERLEAVE rotates by page offset, DEFAULT takes the current CPU's node.
 *   Node capacity is the recorded MemFree; a full BIND node fails the view with ENOMEM;
 * - files: directories given up front, O_TMPFILE, mkstemp, ftruncate, fallocate with holes
 *   counted in 512-byte blocks, a per-directory capacity that yields ENOSPC.
 * It does not model timing, page cache, THP placement or anything not listed.
 */
import { dirname } from "node:path";
import {
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  MADV_DONTNEED,
  MADV_FREE,
  MADV_REMOVE,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_HUGETLB,
  MAP_PRIVATE,
  MAP_SHARED_VALIDATE,
  MPOL_BIND,
  MPOL_DEFAULT,
  MPOL_INTERLEAVE,
  MPOL_LOCAL,
  MPOL_PREFERRED,
  MPOL_PREFERRED_MANY,
  O_CREAT,
  O_EXCL,
  O_TMPFILE,
  PROT_READ,
  PROT_WRITE,
} from "./constants.js";
import { errnoValue, hex, PlatformError } from "./errors.js";
import type {
  CpuLocation,
  FileStat,
  FileSystemStat,
  MemPolicy,
  Platform,
  TempFile,
} from "./platform.js";
import { readTopology, type Topology } from "./topology.js";

const KNOWN_ADVICE = new Set([
  0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25,
]);
const HUGE_PAGE = 2 * 1024 * 1024;

function fail(call: string, code: string, description?: string): never {
  throw new PlatformError(call, errnoValue(code), description);
}

interface SimFile {
  /** Contents; grows with ftruncate / fallocate. Shared by every MAP_SHARED mapping. */
  data: Uint8Array;
  size: number;
  /** Allocated pages (page index -> true). */
  pages: Set<number>;
  dir: string;
  links: number;
}

interface Mapping {
  start: number;
  length: number;
  prot: number;
  data: Uint8Array;
  file?: SimFile;
  fileOffset: number;
  shared: boolean;
  hugetlb: boolean;
  advice: Set<number>;
  /** Per-page policy (undefined: the thread policy at fault time). */
  policies: (MemPolicy | undefined)[];
  /** Per-page node once present (-1: not present). */
  nodes: Int32Array;
}

export interface SimulatedMachineOptions {
  /** A recorded sysfs tree: the simulated machine's topology. */
  readonly sysfsRoot: string;
  /** Where the simulated thread runs; default: the first CPU of the first node with CPUs. */
  readonly cpu?: CpuLocation;
  /** Directories of the in-memory file system and their capacity in bytes (default 1 GiB each). */
  readonly directories?: Readonly<Record<string, number>>;
}

export class SimulatedPlatform implements Platform {
  readonly pageSize = 4096;
  readonly sysfsRoot: string;
  readonly topology: Topology;
  cpu: CpuLocation;

  private nextAddress = 2 ** 48;
  private readonly mappings: Mapping[] = [];
  private threadPolicy: MemPolicy = { mode: MPOL_DEFAULT, nodes: [] };
  /** Pages still free per node (recorded MemFree / page size). */
  private readonly freePages = new Map<number, number>();
  private readonly freeHugePages: number;
  private readonly files = new Map<number, SimFile>();
  private readonly names = new Map<string, SimFile>();
  private readonly directories: Map<string, { capacity: number; used: number }>;
  private nextFd = 100;
  private tempCounter = 0;

  constructor(options: SimulatedMachineOptions) {
    this.sysfsRoot = options.sysfsRoot;
    this.topology = readTopology(options.sysfsRoot);
    const firstCpuNode = this.topology.nodes.find((node) => node.cpus.length > 0);
    this.cpu = options.cpu ?? { cpu: firstCpuNode?.cpus[0] ?? 0, node: firstCpuNode?.id ?? 0 };
    for (const node of this.topology.nodes)
      this.freePages.set(node.id, Math.floor(node.memFree / this.pageSize));
    this.freeHugePages =
      this.topology.hugepagePools.find((pool) => pool.pageSize === HUGE_PAGE)?.free ?? 0;
    const dirs = options.directories ?? { "/tmp": 2 ** 30, "/dev/shm": 2 ** 30 };
    this.directories = new Map(
      Object.entries(dirs).map(([dir, capacity]) => [dir, { capacity, used: 0 }]),
    );
  }

  // ── memory ──────────────────────────────────────────────────────────────────────────

  mmap(
    addr: number,
    length: number,
    prot: number,
    flags: number,
    fd: number,
    offset: number,
  ): number {
    const call = `mmap(${hex(addr)}, ${length}, ${prot}, ${hex(flags)}, ${fd}, ${offset})`;
    const hugetlb = (flags & MAP_HUGETLB) !== 0;
    const unit = hugetlb ? HUGE_PAGE : this.pageSize;
    if (length <= 0 || offset % this.pageSize !== 0) fail(call, "EINVAL");
    const size = Math.ceil(length / unit) * unit;
    if (size > 2 ** 47) fail(call, "ENOMEM");
    if (hugetlb && this.hugePagesInUse() + size / HUGE_PAGE > this.freeHugePages)
      fail(call, "ENOMEM");
    const shared = (flags & MAP_SHARED_VALIDATE) !== MAP_PRIVATE;
    let file: SimFile | undefined;
    if ((flags & MAP_ANONYMOUS) === 0) {
      file = this.files.get(fd);
      if (!file) fail(call, "EBADF");
    }
    let start: number;
    if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0) {
      if (addr % unit !== 0) fail(call, "EINVAL");
      const overlaps = this.mappings.some(
        (m) => m.start < addr + size && addr < m.start + m.length,
      );
      if (overlaps && (flags & MAP_FIXED_NOREPLACE) !== 0) fail(call, "EEXIST");
      if (overlaps) this.munmap(addr, size);
      start = addr;
    } else {
      start = Math.ceil(this.nextAddress / unit) * unit;
      this.nextAddress = start + size + this.pageSize; // a guard gap between mappings
    }
    let data: Uint8Array;
    if (file && shared) {
      this.ensureFileData(file, offset + size);
      data = file.data.subarray(offset, offset + size);
    } else if (file) {
      data = new Uint8Array(size);
      data.set(file.data.subarray(offset, Math.min(offset + size, file.size)));
    } else {
      data = new Uint8Array(size);
    }
    const pages = size / this.pageSize;
    this.insert({
      start,
      length: size,
      prot,
      data,
      ...(file ? { file } : {}),
      fileOffset: offset,
      shared,
      hugetlb,
      advice: new Set(),
      policies: new Array(pages).fill(undefined),
      nodes: new Int32Array(pages).fill(-1),
    });
    return start;
  }

  munmap(addr: number, length: number): void {
    const call = `munmap(${hex(addr)}, ${length})`;
    if (addr % this.pageSize !== 0 || length <= 0) fail(call, "EINVAL");
    for (const mapping of this.covering(addr, length, false)) {
      this.releasePages(mapping, 0, mapping.length / this.pageSize);
      this.mappings.splice(this.mappings.indexOf(mapping), 1);
    }
  }

  mprotect(addr: number, length: number, prot: number): void {
    const call = `mprotect(${hex(addr)}, ${length}, ${prot})`;
    if (addr % this.pageSize !== 0) fail(call, "EINVAL");
    const parts = this.covering(addr, length, true);
    if (!parts) fail(call, "ENOMEM");
    for (const mapping of parts) mapping.prot = prot;
  }

  madvise(addr: number, length: number, advice: number): void {
    const call = `madvise(${hex(addr)}, ${length}, ${advice})`;
    if (addr % this.pageSize !== 0 || !KNOWN_ADVICE.has(advice)) fail(call, "EINVAL");
    const parts = this.covering(addr, length, true);
    if (!parts) fail(call, "ENOMEM");
    for (const mapping of parts) {
      if ((advice === MADV_REMOVE && !mapping.shared) || (advice === MADV_FREE && mapping.file))
        fail(call, "EINVAL");
    }
    for (const mapping of parts) {
      const pages = mapping.length / this.pageSize;
      if (advice === MADV_DONTNEED && !mapping.shared) {
        mapping.data.fill(0);
        this.releasePages(mapping, 0, pages);
      } else if (advice === MADV_REMOVE && mapping.file) {
        this.punch(mapping.file, mapping.fileOffset, mapping.length);
        this.releasePages(mapping, 0, pages);
      } else {
        mapping.advice.add(advice);
      }
    }
  }

  mbind(addr: number, length: number, mode: number, nodes: readonly number[], flags: number): void {
    const call = `mbind(${hex(addr)}, ${length}, ${mode}, {${nodes.join(",")}}, ${flags})`;
    if (addr % this.pageSize !== 0) fail(call, "EINVAL");
    this.validatePolicy(call, mode, nodes);
    const parts = this.covering(addr, length, true);
    if (!parts) fail(call, "EFAULT");
    for (const mapping of parts)
      mapping.policies.fill({ mode, nodes: [...nodes].sort((a, b) => a - b) });
  }

  getMempolicy(addr?: number): MemPolicy {
    if (addr === undefined) return this.threadPolicy;
    const { mapping, page } = this.pageAt(addr, `get_mempolicy(${hex(addr)})`);
    return mapping.policies[page] ?? { mode: MPOL_DEFAULT, nodes: [] };
  }

  getPageNode(addr: number): number {
    const { mapping, page } = this.pageAt(
      addr,
      `get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR, ${hex(addr)})`,
    );
    this.makePresent(mapping, page, page + 1);
    return mapping.nodes[page] as number;
  }

  setMempolicy(mode: number, nodes: readonly number[]): void {
    this.validatePolicy(`set_mempolicy(${mode}, {${nodes.join(",")}})`, mode, nodes);
    this.threadPolicy = { mode, nodes: [...nodes].sort((a, b) => a - b) };
  }

  movePages(pages: readonly number[], nodes?: readonly number[]): Int32Array {
    if (nodes && nodes.length !== pages.length) {
      throw new RangeError(`move_pages: ${pages.length} pages but ${nodes.length} target nodes`);
    }
    if (nodes?.some((node) => !this.memoryNodes().includes(node)))
      fail(`move_pages(${pages.length} pages)`, "ENODEV");
    return Int32Array.from(pages, (addr, i) => {
      const mapping = this.mappingAt(addr);
      if (!mapping) return -errnoValue("EFAULT");
      const page = Math.floor((addr - mapping.start) / this.pageSize);
      const node = mapping.nodes[page] as number;
      if (node < 0) return -errnoValue("ENOENT");
      const target = nodes?.[i];
      if (target !== undefined && target !== node) {
        this.freePages.set(node, (this.freePages.get(node) ?? 0) + 1);
        this.freePages.set(target, (this.freePages.get(target) ?? 0) - 1);
        mapping.nodes[page] = target;
      }
      return mapping.nodes[page] as number;
    });
  }

  getcpu(): CpuLocation {
    return this.cpu;
  }

  /** Registers the buffer as a mapping at a fresh synthetic address (once per buffer). */
  bufferAddress(buffer: ArrayBuffer | SharedArrayBuffer): number {
    let start = this.buffers.get(buffer);
    if (start === undefined) {
      start = this.nextAddress;
      const pages = Math.ceil(buffer.byteLength / this.pageSize);
      this.nextAddress = start + (pages + 1) * this.pageSize;
      this.insert({
        start,
        length: buffer.byteLength,
        prot: PROT_READ | PROT_WRITE,
        data: new Uint8Array(buffer),
        fileOffset: 0,
        shared: buffer instanceof SharedArrayBuffer,
        hugetlb: false,
        advice: new Set(),
        policies: new Array(pages).fill(undefined),
        nodes: new Int32Array(pages).fill(-1),
      });
      this.buffers.set(buffer, start);
    }
    return start;
  }
  private readonly buffers = new WeakMap<ArrayBuffer | SharedArrayBuffer, number>();

  isReadWrite(addr: number, length: number): boolean {
    let at = addr;
    for (const m of this.mappings) {
      if (m.start + m.length <= at) continue;
      if (m.start > at || (m.prot & (PROT_READ | PROT_WRITE)) !== (PROT_READ | PROT_WRITE))
        return false;
      at = m.start + m.length;
      if (at >= addr + length) return true;
    }
    return at >= addr + length;
  }

  view(addr: number, length: number): Uint8Array {
    const mapping = this.mappingAt(addr);
    const offset = mapping ? addr - mapping.start : 0;
    if (!mapping || offset + length > mapping.length)
      fail(`view(${hex(addr)}, ${length})`, "EFAULT");
    const first = Math.floor(offset / this.pageSize);
    this.makePresent(mapping, first, Math.ceil((offset + length) / this.pageSize));
    return mapping.data.subarray(offset, offset + length);
  }

  // ── files ───────────────────────────────────────────────────────────────────────────

  open(path: string, flags: number): number {
    const call = `open("${path}", ${hex(flags)})`;
    if ((flags & O_TMPFILE) === O_TMPFILE) return this.openTmpfile(path);
    const existing = this.names.get(path);
    if (existing && (flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) fail(call, "EEXIST");
    if (existing) return this.addFd(existing);
    if ((flags & O_CREAT) === 0) fail(call, "ENOENT");
    return this.addFd(this.createFile(call, dirname(path), path));
  }

  openTmpfile(dir: string): number {
    const call = `open("${dir}", O_TMPFILE | O_RDWR)`;
    if (this.names.has(dir)) fail(call, "ENOTDIR");
    const file = this.createFile(call, dir);
    file.links = 0;
    return this.addFd(file);
  }

  mkstemp(template: string): TempFile {
    const call = `mkstemp("${template}")`;
    if (!template.endsWith("XXXXXX")) fail(call, "EINVAL");
    const path = `${template.slice(0, -6)}${(this.tempCounter++).toString(36).padStart(6, "0")}`;
    return { fd: this.addFd(this.createFile(call, dirname(path), path)), path };
  }

  unlink(path: string): void {
    const file = this.names.get(path);
    if (!file) fail(`unlink("${path}")`, "ENOENT");
    this.names.delete(path);
    file.links = 0;
  }

  close(fd: number): void {
    if (!this.files.delete(fd)) fail(`close(${fd})`, "EBADF");
  }

  ftruncate(fd: number, length: number): void {
    const file = this.fileOf(fd, `ftruncate(${fd}, ${length})`);
    if (length < 0) fail(`ftruncate(${fd}, ${length})`, "EINVAL");
    if (length < file.size) this.punch(file, length, file.size - length);
    file.size = length;
  }

  fallocate(fd: number, mode: number, offset: number, length: number): void {
    const call = `fallocate(${fd}, ${mode}, ${offset}, ${length})`;
    const file = this.fileOf(fd, call);
    if (length <= 0 || offset < 0) fail(call, "EINVAL");
    if ((mode & FALLOC_FL_PUNCH_HOLE) !== 0) {
      if ((mode & FALLOC_FL_KEEP_SIZE) === 0) fail(call, "EOPNOTSUPP");
      this.punch(file, offset, length);
      return;
    }
    this.allocate(call, file, offset, length);
    if ((mode & FALLOC_FL_KEEP_SIZE) === 0) file.size = Math.max(file.size, offset + length);
  }

  posixFallocate(fd: number, offset: number, length: number): void {
    this.fallocate(fd, 0, offset, length);
  }

  fstat(fd: number): FileStat {
    const file = this.fileOf(fd, `fstat(${fd})`);
    return {
      size: file.size,
      blocks: (file.pages.size * this.pageSize) / 512,
      blockSize: this.pageSize,
      links: file.links,
      mode: 0o100600,
    };
  }

  statvfs(path: string): FileSystemStat {
    const dir = this.directories.get(path);
    if (!dir) fail(`statvfs("${path}")`, "ENOENT");
    const free = dir.capacity - dir.used;
    return {
      blockSize: this.pageSize,
      fragmentSize: this.pageSize,
      totalBytes: dir.capacity,
      freeBytes: free,
      availableBytes: free,
      files: 1 << 20,
      freeFiles: 1 << 20,
      flags: 0,
      nameMax: 255,
    };
  }

  memfdCreate(name: string, flags: number): number {
    if ((flags & ~0x1f) !== 0) fail(`memfd_create("${name}", ${flags})`, "EINVAL");
    const file = this.newFile("/dev/shm");
    file.links = 0;
    return this.addFd(file);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────

  private memoryNodes(): number[] {
    return [...this.topology.withMemory];
  }

  private validatePolicy(call: string, mode: number, nodes: readonly number[]): void {
    if (mode < MPOL_DEFAULT || mode > MPOL_PREFERRED_MANY) fail(call, "EINVAL");
    const empty = nodes.length === 0;
    if ((mode === MPOL_DEFAULT || mode === MPOL_LOCAL) && !empty) fail(call, "EINVAL");
    if ((mode === MPOL_BIND || mode === MPOL_INTERLEAVE || mode === MPOL_PREFERRED_MANY) && empty)
      fail(call, "EINVAL");
    const online = this.memoryNodes();
    if (nodes.some((node) => !online.includes(node))) fail(call, "EINVAL");
  }

  private insert(mapping: Mapping): void {
    const at = this.mappings.findIndex((m) => m.start > mapping.start);
    this.mappings.splice(at < 0 ? this.mappings.length : at, 0, mapping);
  }

  private mappingAt(addr: number): Mapping | undefined {
    return this.mappings.find((m) => m.start <= addr && addr < m.start + m.length);
  }

  private pageAt(addr: number, call: string): { mapping: Mapping; page: number } {
    const mapping = this.mappingAt(addr);
    if (!mapping) fail(call, "EFAULT");
    return { mapping, page: Math.floor((addr - mapping.start) / this.pageSize) };
  }

  /**
   * The mappings inside [addr, addr + length), split at the range's ends. With `whole`,
   * returns undefined unless every page of the range is mapped.
   */
  private covering(addr: number, length: number, whole: true): Mapping[] | undefined;
  private covering(addr: number, length: number, whole: false): Mapping[];
  private covering(addr: number, length: number, whole: boolean): Mapping[] | undefined {
    const end = addr + Math.ceil(length / this.pageSize) * this.pageSize;
    this.splitAt(addr);
    this.splitAt(end);
    const parts = this.mappings.filter((m) => m.start >= addr && m.start + m.length <= end);
    const covered = parts.reduce((sum, m) => sum + m.length, 0);
    if (whole && covered !== end - addr) return undefined;
    return parts;
  }

  private splitAt(addr: number): void {
    const mapping = this.mappingAt(addr);
    if (!mapping || mapping.start === addr) return;
    const cut = addr - mapping.start;
    const page = cut / this.pageSize;
    const tail: Mapping = {
      ...mapping,
      start: addr,
      length: mapping.length - cut,
      data: mapping.data.subarray(cut),
      fileOffset: mapping.fileOffset + cut,
      advice: new Set(mapping.advice),
      policies: mapping.policies.slice(page),
      nodes: mapping.nodes.slice(page),
    };
    mapping.length = cut;
    mapping.data = mapping.data.subarray(0, cut);
    mapping.policies = mapping.policies.slice(0, page);
    mapping.nodes = mapping.nodes.slice(0, page);
    this.insert(tail);
  }

  /** Places pages [first, end) of a mapping that are not present yet, by their policy. */
  private makePresent(mapping: Mapping, first: number, end: number): void {
    for (let page = first; page < end; page++) {
      if ((mapping.nodes[page] as number) >= 0) continue;
      const policy = mapping.policies[page] ?? this.threadPolicy;
      const node = this.placePage(policy, (mapping.start + page * this.pageSize) / this.pageSize);
      if (node === undefined)
        fail(`page fault at ${hex(mapping.start + page * this.pageSize)}`, "ENOMEM");
      mapping.nodes[page] = node;
      this.freePages.set(node, (this.freePages.get(node) ?? 0) - 1);
      if (mapping.file && mapping.shared) {
        // A shared file page is a page of the file: it takes space in its file system.
        this.allocate(
          `page fault at ${hex(mapping.start + page * this.pageSize)}`,
          mapping.file,
          mapping.fileOffset + page * this.pageSize,
          this.pageSize,
        );
      }
    }
  }

  /** The node a new page goes to under `policy`, or undefined when BIND finds no room. */
  private placePage(policy: MemPolicy, pageNumber: number): number | undefined {
    const hasRoom = (node: number) => (this.freePages.get(node) ?? 0) > 0;
    const local = this.cpu.node;
    const byDistance = [...this.memoryNodes()].sort(
      (a, b) => (this.distance(local, a) ?? 255) - (this.distance(local, b) ?? 255),
    );
    const fallback = () => byDistance.find(hasRoom);
    switch (policy.mode) {
      case MPOL_BIND:
        return policy.nodes.find(hasRoom);
      case MPOL_PREFERRED:
      case MPOL_PREFERRED_MANY:
        return policy.nodes.find(hasRoom) ?? fallback();
      case MPOL_INTERLEAVE: {
        const node = policy.nodes[pageNumber % policy.nodes.length] as number;
        return hasRoom(node) ? node : policy.nodes.find(hasRoom);
      }
      default:
        return hasRoom(local) ? local : fallback();
    }
  }

  private distance(from: number, to: number): number | undefined {
    return this.topology.nodes.find((node) => node.id === from)?.distances[to];
  }

  private releasePages(mapping: Mapping, first: number, end: number): void {
    for (let page = first; page < end; page++) {
      const node = mapping.nodes[page] as number;
      // File pages stay in the file (page cache) until punched; anonymous ones go back.
      if (node >= 0 && !mapping.file) this.freePages.set(node, (this.freePages.get(node) ?? 0) + 1);
      mapping.nodes[page] = -1;
    }
  }

  private hugePagesInUse(): number {
    return this.mappings.filter((m) => m.hugetlb).reduce((sum, m) => sum + m.length / HUGE_PAGE, 0);
  }

  private createFile(call: string, dir: string, path?: string): SimFile {
    if (!this.directories.has(dir)) fail(call, "ENOENT");
    const file = this.newFile(dir);
    if (path !== undefined) this.names.set(path, file);
    return file;
  }

  private newFile(dir: string): SimFile {
    return { data: new Uint8Array(0), size: 0, pages: new Set(), dir, links: 1 };
  }

  private addFd(file: SimFile): number {
    const fd = this.nextFd++;
    this.files.set(fd, file);
    return fd;
  }

  private fileOf(fd: number, call: string): SimFile {
    const file = this.files.get(fd);
    if (!file) fail(call, "EBADF");
    return file;
  }

  /** Grows a file's contents so that MAP_SHARED views up to `end` share one buffer. */
  private ensureFileData(file: SimFile, end: number): void {
    if (file.data.length >= end) return;
    const grown = new Uint8Array(end);
    grown.set(file.data);
    file.data = grown;
  }

  private allocate(call: string, file: SimFile, offset: number, length: number): void {
    const first = Math.floor(offset / this.pageSize);
    const end = Math.ceil((offset + length) / this.pageSize);
    let wanted = 0;
    for (let page = first; page < end; page++) if (!file.pages.has(page)) wanted++;
    const dir = this.directories.get(file.dir);
    if (dir && dir.used + wanted * this.pageSize > dir.capacity) fail(call, "ENOSPC");
    for (let page = first; page < end; page++) file.pages.add(page);
    if (dir) dir.used += wanted * this.pageSize;
  }

  private punch(file: SimFile, offset: number, length: number): void {
    const first = Math.ceil(offset / this.pageSize);
    const end = Math.floor((offset + length) / this.pageSize);
    const dir = this.directories.get(file.dir);
    for (let page = first; page < end; page++) {
      if (file.pages.delete(page) && dir) dir.used -= this.pageSize;
    }
    file.data.fill(0, offset, Math.min(offset + length, file.data.length));
  }
}
