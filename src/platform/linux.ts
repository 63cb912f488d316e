/**
 * `Platform` on a real Linux kernel: libc through koffi. Each method is one system call;
 * failures throw `PlatformError` with errno and the call's arguments.
 */
import { readFileSync } from "node:fs";
import { pid } from "node:process";
import {
  MAP_FAILED,
  MPOL_F_ADDR,
  MPOL_F_NODE,
  MPOL_NAMES,
  O_RDWR,
  O_TMPFILE,
  SC_PAGESIZE,
} from "./constants.js";
import { hex, PlatformError } from "./errors.js";
import {
  bufferAddress,
  externalBuffer,
  lastErrno,
  libc,
  STAT_LAYOUT,
  STATVFS_WORDS,
  syscallNumbers,
} from "./libc.js";
import { formatList, fromNodeMask, MASK_MAXNODE, toNodeMask } from "./nodemask.js";
import type {
  CpuLocation,
  FileStat,
  FileSystemStat,
  MemPolicy,
  Platform,
  TempFile,
} from "./platform.js";

/** Throws a PlatformError for the errno the failed call left. */
function fail(call: string, errno = lastErrno()): never {
  throw new PlatformError(call, errno, libc.strerror(errno));
}

function check(result: number, call: () => string): number {
  if (result === -1) fail(call());
  return result;
}

function modeName(mode: number): string {
  return MPOL_NAMES[mode & 0xff] ?? `${mode}`;
}

/** The NUMA syscalls need numbers for this architecture. */
function numaSyscalls(): NonNullable<typeof syscallNumbers> {
  if (!syscallNumbers) {
    throw new PlatformError(
      `NUMA system calls on ${process.arch}`,
      38,
      "not supported by memkind here",
    );
  }
  return syscallNumbers;
}

export class LinuxPlatform implements Platform {
  readonly pageSize: number;
  readonly sysfsRoot: string;

  constructor(options: { sysfsRoot?: string } = {}) {
    this.sysfsRoot = options.sysfsRoot ?? "/sys";
    this.pageSize = check(libc.sysconf(SC_PAGESIZE), () => "sysconf(_SC_PAGESIZE)");
  }

  mmap(
    addr: number,
    length: number,
    prot: number,
    flags: number,
    fd: number,
    offset: number,
  ): number {
    const result = libc.mmap(addr, length, prot, flags, fd, offset);
    if (result === MAP_FAILED) {
      fail(`mmap(${hex(addr)}, ${length}, ${prot}, ${hex(flags)}, ${fd}, ${offset})`);
    }
    return result;
  }

  munmap(addr: number, length: number): void {
    check(libc.munmap(addr, length), () => `munmap(${hex(addr)}, ${length})`);
  }

  mprotect(addr: number, length: number, prot: number): void {
    check(libc.mprotect(addr, length, prot), () => `mprotect(${hex(addr)}, ${length}, ${prot})`);
  }

  madvise(addr: number, length: number, advice: number): void {
    check(libc.madvise(addr, length, advice), () => `madvise(${hex(addr)}, ${length}, ${advice})`);
  }

  mbind(addr: number, length: number, mode: number, nodes: readonly number[], flags: number): void {
    const result = libc.mbind(
      numaSyscalls().mbind,
      addr,
      length,
      mode,
      toNodeMask(nodes),
      MASK_MAXNODE,
      flags,
    );
    check(
      result,
      () => `mbind(${hex(addr)}, ${length}, ${modeName(mode)}, {${formatList(nodes)}}, ${flags})`,
    );
  }

  getMempolicy(addr?: number): MemPolicy {
    const mode = new Int32Array(1);
    const mask = toNodeMask([]);
    const flags = addr === undefined ? 0 : MPOL_F_ADDR;
    const result = libc.getMempolicy(
      numaSyscalls().getMempolicy,
      mode,
      mask,
      MASK_MAXNODE - 1,
      addr ?? 0,
      flags,
    );
    check(result, () => `get_mempolicy(${addr === undefined ? "thread" : hex(addr)})`);
    return { mode: (mode[0] as number) & 0xff, nodes: fromNodeMask(mask) };
  }

  getPageNode(addr: number): number {
    const node = new Int32Array(1);
    const result = libc.getMempolicy(
      numaSyscalls().getMempolicy,
      node,
      null,
      0,
      addr,
      MPOL_F_NODE | MPOL_F_ADDR,
    );
    check(result, () => `get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR, ${hex(addr)})`);
    return node[0] as number;
  }

  setMempolicy(mode: number, nodes: readonly number[]): void {
    const mask = nodes.length === 0 ? null : toNodeMask(nodes);
    const result = libc.setMempolicy(
      numaSyscalls().setMempolicy,
      mode,
      mask,
      mask ? MASK_MAXNODE : 0,
    );
    check(result, () => `set_mempolicy(${modeName(mode)}, {${formatList(nodes)}})`);
  }

  movePages(pages: readonly number[], nodes?: readonly number[], flags = 0): Int32Array {
    if (nodes && nodes.length !== pages.length) {
      throw new RangeError(`move_pages: ${pages.length} pages but ${nodes.length} target nodes`);
    }
    const addresses = BigUint64Array.from(pages, (page) => BigInt(page));
    const targets = nodes ? Int32Array.from(nodes) : null;
    const status = new Int32Array(pages.length);
    const result = libc.movePages(
      numaSyscalls().movePages,
      pid,
      pages.length,
      addresses,
      targets,
      status,
      flags,
    );
    // A positive result counts pages that could not be moved; their status says why.
    if (result < 0) fail(`move_pages(${pid}, ${pages.length} pages${targets ? ", to nodes" : ""})`);
    return status;
  }

  getcpu(): CpuLocation {
    const cpu = [0];
    const node = [0];
    check(libc.getcpu(cpu, node), () => "getcpu()");
    return { cpu: cpu[0] as number, node: node[0] as number };
  }

  open(path: string, flags: number, mode = 0o600): number {
    return check(
      libc.open(path, flags, "unsigned int", mode),
      () => `open("${path}", ${hex(flags)})`,
    );
  }

  openTmpfile(dir: string, mode = 0o600): number {
    return check(
      libc.open(dir, O_TMPFILE | O_RDWR, "unsigned int", mode),
      () => `open("${dir}", O_TMPFILE | O_RDWR)`,
    );
  }

  mkstemp(template: string): TempFile {
    if (!template.endsWith("XXXXXX")) {
      throw new PlatformError(`mkstemp("${template}")`, 22, "the template must end in XXXXXX");
    }
    const buffer = Buffer.from(`${template}\0`);
    const fd = check(libc.mkstemp(buffer), () => `mkstemp("${template}")`);
    return { fd, path: buffer.subarray(0, buffer.length - 1).toString() };
  }

  unlink(path: string): void {
    check(libc.unlink(path), () => `unlink("${path}")`);
  }

  close(fd: number): void {
    check(libc.close(fd), () => `close(${fd})`);
  }

  ftruncate(fd: number, length: number): void {
    check(libc.ftruncate(fd, length), () => `ftruncate(${fd}, ${length})`);
  }

  fallocate(fd: number, mode: number, offset: number, length: number): void {
    check(
      libc.fallocate(fd, mode, offset, length),
      () => `fallocate(${fd}, ${mode}, ${offset}, ${length})`,
    );
  }

  posixFallocate(fd: number, offset: number, length: number): void {
    const errno = libc.posixFallocate(fd, offset, length);
    if (errno !== 0) fail(`posix_fallocate(${fd}, ${offset}, ${length})`, errno);
  }

  fstat(fd: number): FileStat {
    const buf = new Uint8Array(STAT_LAYOUT.bytes);
    check(libc.fstat(fd, buf), () => `fstat(${fd})`);
    const data = new DataView(buf.buffer);
    const word = (offset: number, bytes: number) =>
      bytes === 8 ? Number(data.getBigInt64(offset, true)) : data.getInt32(offset, true);
    return {
      size: word(STAT_LAYOUT.size, 8),
      blocks: word(STAT_LAYOUT.blocks, 8),
      blockSize: word(STAT_LAYOUT.blockSize, STAT_LAYOUT.blockSizeBytes),
      links: word(STAT_LAYOUT.nlink, STAT_LAYOUT.nlinkBytes),
      mode: data.getUint32(STAT_LAYOUT.mode, true),
    };
  }

  statvfs(path: string): FileSystemStat {
    const buf = new BigUint64Array(STATVFS_WORDS);
    check(libc.statvfs(path, buf), () => `statvfs("${path}")`);
    const field = (i: number) => Number(buf[i]);
    const fragment = field(1);
    return {
      blockSize: field(0),
      fragmentSize: fragment,
      totalBytes: field(2) * fragment,
      freeBytes: field(3) * fragment,
      availableBytes: field(4) * fragment,
      files: field(5),
      freeFiles: field(6),
      flags: field(9),
      nameMax: field(10),
    };
  }

  memfdCreate(name: string, flags: number): number {
    return check(libc.memfdCreate(name, flags), () => `memfd_create("${name}", ${flags})`);
  }

  bufferAddress(buffer: ArrayBuffer | SharedArrayBuffer): number {
    return bufferAddress(buffer);
  }

  isReadWrite(addr: number, length: number): boolean {
    let at = addr;
    const end = addr + length;
    // Lines are "start-end perms ...", sorted by address.
    for (const line of readFileSync("/proc/self/maps", "latin1").split("\n")) {
      const match = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(line);
      if (!match) continue;
      const start = Number.parseInt(match[1] as string, 16);
      const stop = Number.parseInt(match[2] as string, 16);
      if (stop <= at) continue;
      if (start > at || !(match[3] as string).startsWith("rw")) return false;
      at = stop;
      if (at >= end) return true;
    }
    return at >= end;
  }

  view(addr: number, length: number): Uint8Array {
    return new Uint8Array(externalBuffer(addr, length));
  }
}
