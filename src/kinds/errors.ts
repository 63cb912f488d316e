/**
 * memkind's error codes and the exact texts of memkind_error_message
 * (reference/memkind.md section 1.1). Functions returning int return 0 or a negative code;
 * memkind_posix_memalign returns positive POSIX codes.
 */

export const MEMKIND_SUCCESS = 0;
export const MEMKIND_ERROR_UNAVAILABLE = -1;
export const MEMKIND_ERROR_MBIND = -2;
export const MEMKIND_ERROR_MMAP = -3;
export const MEMKIND_ERROR_MALLOC = -6;
export const MEMKIND_ERROR_ENVIRON = -12;
export const MEMKIND_ERROR_INVALID = -13;
export const MEMKIND_ERROR_TOOMANY = -15;
export const MEMKIND_ERROR_BADOPS = -17;
export const MEMKIND_ERROR_HUGETLB = -18;
export const MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE = -20;
export const MEMKIND_ERROR_OPERATION_FAILED = -21;
export const MEMKIND_ERROR_ARENAS_CREATE = -22;
export const MEMKIND_ERROR_RUNTIME = -255;

/** POSIX errno values memkind's API uses. */
export const EPERM = 1;
export const ENOENT = 2;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EOPNOTSUPP = 95;

export const MEMKIND_ERROR_MESSAGE_SIZE = 128;

const MESSAGES: Readonly<Record<number, string>> = {
  [MEMKIND_ERROR_UNAVAILABLE]: "<memkind> Requested memory kind is not available",
  [MEMKIND_ERROR_MBIND]: "<memkind> Call to mbind() failed",
  [MEMKIND_ERROR_MMAP]: "<memkind> Call to mmap() failed",
  [MEMKIND_ERROR_MALLOC]: "<memkind> Call to malloc() failed",
  [MEMKIND_ERROR_ENVIRON]: "<memkind> Error parsing environment variable (MEMKIND_*)",
  [MEMKIND_ERROR_INVALID]: "<memkind> Invalid input arguments to memkind routine",
  [MEMKIND_ERROR_TOOMANY]:
    "<memkind> Attempted to initialize more than maximum (512) number of kinds",
  [MEMKIND_ERROR_BADOPS]:
    "<memkind> memkind_ops structure is poorly formed (missing or incorrect functions)",
  [MEMKIND_ERROR_HUGETLB]: "<memkind> unable to allocate huge pages",
  [MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE]: "<memkind> Requested memory type is not available",
  [MEMKIND_ERROR_OPERATION_FAILED]: "<memkind> Operation failed",
  [MEMKIND_ERROR_ARENAS_CREATE]: "<memkind> Call to jemalloc's arenas.create () failed",
  [MEMKIND_ERROR_RUNTIME]: "<memkind> Unspecified run-time error",
  [EINVAL]: "<memkind> Alignment must be a power of two and larger than sizeof(void *)",
  [ENOMEM]: "<memkind> Call to jemk_mallocx() failed",
};

/**
 * The text memkind_error_message gives for `err`. Upstream copies it into a caller's buffer of
 * `size` bytes, NUL-terminated and silently truncated; `size` does the same here (default:
 * MEMKIND_ERROR_MESSAGE_SIZE, which no message reaches).
 */
export function errorMessage(err: number, size = MEMKIND_ERROR_MESSAGE_SIZE): string {
  const text = MESSAGES[err] ?? `<memkind> Undefined error number: ${err}`;
  return size <= 0 ? "" : text.slice(0, size - 1);
}

/** A failure of the TypeScript API that the caller must not ignore. */
export class MemkindError extends Error {
  override readonly name = "MemkindError";
  /** A MEMKIND_ERROR_* code (negative) or an errno value (positive). */
  readonly code: number;

  constructor(message: string, code: number) {
    super(message);
    this.code = code;
  }
}
