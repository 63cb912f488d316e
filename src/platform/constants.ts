/**
 * Linux constants used by the platform layer (x86-64 and arm64 share these values; the
 * generic ABI of <asm-generic/mman-common.h>, <linux/mempolicy.h>, <fcntl.h>).
 * Syscall numbers differ per architecture and live in `SYSCALL` below.
 */

/** mmap / mprotect protection bits. */
export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;

/** mmap flags. */
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_SHARED_VALIDATE = 0x03;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_NORESERVE = 0x4000;
export const MAP_POPULATE = 0x8000;
export const MAP_HUGETLB = 0x40000;
export const MAP_SYNC = 0x80000;
export const MAP_FIXED_NOREPLACE = 0x100000;
/** Encodes log2(page size) in the MAP_HUGETLB size field: MAP_HUGE_2MB = 21 << 26. */
export const MAP_HUGE_SHIFT = 26;
export const MAP_HUGE_2MB = 21 * 2 ** MAP_HUGE_SHIFT;
export const MAP_HUGE_1GB = 30 * 2 ** MAP_HUGE_SHIFT;

/** madvise advice values. */
export const MADV_NORMAL = 0;
export const MADV_RANDOM = 1;
export const MADV_SEQUENTIAL = 2;
export const MADV_WILLNEED = 3;
export const MADV_DONTNEED = 4;
export const MADV_FREE = 8;
export const MADV_REMOVE = 9;
export const MADV_DONTFORK = 10;
export const MADV_DOFORK = 11;
export const MADV_HUGEPAGE = 14;
export const MADV_NOHUGEPAGE = 15;
export const MADV_DONTDUMP = 16;

/** NUMA memory policy modes (set_mempolicy, mbind, get_mempolicy). */
export const MPOL_DEFAULT = 0;
export const MPOL_PREFERRED = 1;
export const MPOL_BIND = 2;
export const MPOL_INTERLEAVE = 3;
export const MPOL_LOCAL = 4;
export const MPOL_PREFERRED_MANY = 5;
/** Mode flags or-ed into the mode of set_mempolicy / mbind. */
export const MPOL_F_STATIC_NODES = 1 << 15;
export const MPOL_F_RELATIVE_NODES = 1 << 14;
/** mbind flags. */
export const MPOL_MF_STRICT = 1 << 0;
export const MPOL_MF_MOVE = 1 << 1;
export const MPOL_MF_MOVE_ALL = 1 << 2;
/** get_mempolicy flags. */
export const MPOL_F_NODE = 1 << 0;
export const MPOL_F_ADDR = 1 << 1;
export const MPOL_F_MEMS_ALLOWED = 1 << 2;

/** move_pages flags. */
export const MPOL_MF_MOVE_PAGES = MPOL_MF_MOVE;

/** open(2) flags. */
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
/** O_TMPFILE includes O_DIRECTORY, as the kernel requires. */
export const O_TMPFILE = 0o20000000 | O_DIRECTORY;

/** fallocate(2) modes. */
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;

/** memfd_create flags. */
export const MFD_CLOEXEC = 0x1;
export const MFD_HUGETLB = 0x4;

/** sysconf names (glibc values). */
export const SC_PAGESIZE = 30;
export const SC_NPROCESSORS_ONLN = 84;

/** The kernel's MAP_FAILED, as mmap's intptr_t return value. */
export const MAP_FAILED = -1;

/** Syscalls that glibc does not wrap (they live in libnuma), by `process.arch`. */
export const SYSCALL: Readonly<
  Record<string, { mbind: number; setMempolicy: number; getMempolicy: number; movePages: number }>
> = {
  x64: { mbind: 237, setMempolicy: 238, getMempolicy: 239, movePages: 279 },
  arm64: { mbind: 235, setMempolicy: 237, getMempolicy: 236, movePages: 239 },
};

/** Names of policy modes, for messages and `memkind info`. */
export const MPOL_NAMES: Readonly<Record<number, string>> = {
  [MPOL_DEFAULT]: "MPOL_DEFAULT",
  [MPOL_PREFERRED]: "MPOL_PREFERRED",
  [MPOL_BIND]: "MPOL_BIND",
  [MPOL_INTERLEAVE]: "MPOL_INTERLEAVE",
  [MPOL_LOCAL]: "MPOL_LOCAL",
  [MPOL_PREFERRED_MANY]: "MPOL_PREFERRED_MANY",
};
