/**
 * Raw libc bindings through koffi. Nothing here checks results: `LinuxPlatform` turns the
 * -1 / errno convention into `PlatformError`. Only this file and `linux.ts` import koffi.
 *
 * koffi 3 represents pointers as BigInt; we declare addresses as `uintptr_t` / `intptr_t`
 * so that they cross as plain numbers (exact below 2^53) and pass typed arrays where C takes
 * a buffer pointer (koffi hands C the array's memory for the duration of the call).
 *
 * glibc does not wrap mbind, set_mempolicy, get_mempolicy and move_pages (libnuma does), so
 * they go through syscall(2). syscall is variadic; we declare fixed all-integer prototypes
 * for it, which is call-compatible on x86-64 and arm64 Linux (arguments in the same
 * registers; glibc's syscall is an assembly shim that reads no vector registers).
 */
import { arch } from "node:process";
import koffi from "koffi";
import { SYSCALL } from "./constants.js";

const lib = koffi.load("libc.so.6");

const numbers = SYSCALL[arch];

/** Syscall numbers for this architecture, or undefined where they are not known. */
export const syscallNumbers = numbers;

/** The libc functions memkind calls, with C prototypes. */
export const libc = {
  mmap: lib.func(
    "intptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)",
  ) as (
    addr: number,
    length: number,
    prot: number,
    flags: number,
    fd: number,
    offset: number,
  ) => number,
  munmap: lib.func("int munmap(uintptr_t addr, size_t length)") as (
    addr: number,
    length: number,
  ) => number,
  mprotect: lib.func("int mprotect(uintptr_t addr, size_t length, int prot)") as (
    addr: number,
    length: number,
    prot: number,
  ) => number,
  madvise: lib.func("int madvise(uintptr_t addr, size_t length, int advice)") as (
    addr: number,
    length: number,
    advice: number,
  ) => number,
  getcpu: lib.func("int getcpu(_Out_ unsigned int *cpu, _Out_ unsigned int *node)") as (
    cpu: number[],
    node: number[],
  ) => number,
  open: lib.func("int open(const char *path, int flags, ...)") as (
    path: string,
    flags: number,
    ...variadic: unknown[]
  ) => number,
  mkstemp: lib.func("int mkstemp(char *template)") as (template: Buffer) => number,
  unlink: lib.func("int unlink(const char *path)") as (path: string) => number,
  close: lib.func("int close(int fd)") as (fd: number) => number,
  ftruncate: lib.func("int ftruncate(int fd, int64_t length)") as (
    fd: number,
    length: number,
  ) => number,
  fallocate: lib.func("int fallocate(int fd, int mode, int64_t offset, int64_t length)") as (
    fd: number,
    mode: number,
    offset: number,
    length: number,
  ) => number,
  /** Returns an errno value itself (0 on success), not -1. */
  posixFallocate: lib.func("int posix_fallocate(int fd, int64_t offset, int64_t length)") as (
    fd: number,
    offset: number,
    length: number,
  ) => number,
  /** `buf` must hold a `struct stat` (STAT_LAYOUT.bytes bytes). */
  fstat: lib.func("int fstat(int fd, void *buf)") as (fd: number, buf: Uint8Array) => number,
  /** `buf` must hold a `struct statvfs` (STATVFS_WORDS 64-bit words). */
  statvfs: lib.func("int statvfs(const char *path, void *buf)") as (
    path: string,
    buf: BigUint64Array,
  ) => number,
  memfdCreate: lib.func("int memfd_create(const char *name, unsigned int flags)") as (
    name: string,
    flags: number,
  ) => number,
  sysconf: lib.func("long sysconf(int name)") as (name: number) => number,
  strerror: lib.func("const char *strerror(int errnum)") as (errnum: number) => string,

  /** syscall(SYS_mbind, addr, len, mode, nodemask, maxnode, flags) */
  mbind: lib.func("syscall", "long", [
    "long",
    "uintptr_t",
    "uint64_t",
    "int",
    "void *",
    "uint64_t",
    "unsigned int",
  ]) as (
    nr: number,
    addr: number,
    length: number,
    mode: number,
    mask: BigUint64Array,
    maxnode: number,
    flags: number,
  ) => number,
  /** syscall(SYS_set_mempolicy, mode, nodemask, maxnode) */
  setMempolicy: lib.func("syscall", "long", ["long", "int", "void *", "uint64_t"]) as (
    nr: number,
    mode: number,
    mask: BigUint64Array | null,
    maxnode: number,
  ) => number,
  /** syscall(SYS_get_mempolicy, &mode, nodemask, maxnode, addr, flags) */
  getMempolicy: lib.func("syscall", "long", [
    "long",
    "void *",
    "void *",
    "uint64_t",
    "uintptr_t",
    "uint64_t",
  ]) as (
    nr: number,
    mode: Int32Array,
    mask: BigUint64Array | null,
    maxnode: number,
    addr: number,
    flags: number,
  ) => number,
  /** syscall(SYS_move_pages, pid, count, pages, nodes, status, flags) */
  movePages: lib.func("syscall", "long", [
    "long",
    "int",
    "uint64_t",
    "void *",
    "void *",
    "void *",
    "int",
  ]) as (
    nr: number,
    pid: number,
    count: number,
    pages: BigUint64Array,
    nodes: Int32Array | null,
    status: Int32Array,
    flags: number,
  ) => number,
};

/** errno as the last libc call on this thread left it. */
export function lastErrno(): number {
  return koffi.errno();
}

/** The address of byte 0 of a JS buffer's memory (koffi.address of an empty view over it). */
export function bufferAddress(buffer: ArrayBuffer | SharedArrayBuffer): number {
  return Number(koffi.address(new Uint8Array(buffer, 0, 0)));
}

/** An ArrayBuffer over external memory, without copying (koffi.view). */
export function externalBuffer(addr: number, length: number): ArrayBuffer {
  return koffi.view(BigInt(addr), length);
}

/**
 * Byte offsets of the `struct stat` fields we read. x86-64 has its own layout; arm64 uses the
 * generic one (st_mode and st_nlink 32-bit and swapped, st_blksize 32-bit).
 */
export const STAT_LAYOUT =
  arch === "arm64"
    ? {
        bytes: 128,
        mode: 16,
        nlink: 20,
        nlinkBytes: 4,
        size: 48,
        blockSize: 56,
        blockSizeBytes: 4,
        blocks: 64,
      }
    : {
        bytes: 144,
        mode: 24,
        nlink: 16,
        nlinkBytes: 8,
        size: 48,
        blockSize: 56,
        blockSizeBytes: 8,
        blocks: 64,
      };

/**
 * `struct statvfs` on 64-bit glibc: eleven 64-bit fields then int __f_spare[6].
 *   0 f_bsize  1 f_frsize  2 f_blocks  3 f_bfree  4 f_bavail  5 f_files  6 f_ffree
 *   7 f_favail 8 f_fsid    9 f_flag   10 f_namemax  11..13 spare
 */
export const STATVFS_WORDS = 14;
