/**
 * PMEM kinds (reference/memkind.md sections 1.11 and 1.12): a kind whose pages are a
 * temporary file in a directory (FileProvider), with upstream's validation order, error codes
 * and names, the memory usage policies, memkind_check_dax_path and `Kind.pmem`.
 *
 * memkind_create_pmem(dir, max_size):
 *   1. max_size != 0 and < MEMKIND_PMEM_MIN_SIZE            -> MEMKIND_ERROR_INVALID
 *   2. max_size rounded up to 2 MiB (SIZE_MAX wraps to 0: unlimited)
 *   3. dir longer than PATH_MAX                              -> MEMKIND_ERROR_INVALID
 *      mkstemp(dir/memkind.XXXXXX) fails                      -> MEMKIND_ERROR_INVALID, errno
 *      from mkstemp (ENOENT, EACCES, EROFS, ...); the file is unlinked at once
 *   4. (here) the file system cannot punch holes             -> MEMKIND_ERROR_INVALID, errno
 *      EOPNOTSUPP, unless MEMKIND_HOG_MEMORY=1 (upstream creates the kind and aborts at the
 *      first free; a kind that never punches needs no holes)
 *   5. name "pmem%08x" of the descriptor (reused after destroy, as descriptors are)
 *   6. registered: MEMKIND_ERROR_TOOMANY / MEMKIND_ERROR_INVALID; an invalid
 *      MEMKIND_ARENA_NUM_PER_KIND -> MEMKIND_ERROR_ENVIRON. Any failure closes the file.
 */
import {
  defaultPlatform,
  errnoName,
  errnoValue,
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  MAP_SHARED_VALIDATE,
  MAP_SYNC,
  type Platform,
  PlatformError,
  PROT_READ,
  PROT_WRITE,
} from "../platform/index.js";
import { FileProvider } from "../providers/file.js";
import { arenasPerKind, DEFAULT_DECAY_MS, hogMemory } from "./env.js";
import {
  EINVAL,
  errorMessage,
  MEMKIND_ERROR_ENVIRON,
  MEMKIND_ERROR_INVALID,
  MEMKIND_ERROR_MMAP,
  MEMKIND_ERROR_RUNTIME,
  MEMKIND_SUCCESS,
  MemkindError,
} from "./errors.js";
import { installDynamicKinds, type Kind } from "./kind.js";
import { logError } from "./log.js";
import { destroyKind, registerKind } from "./registry.js";

const MiB = 1024 * 1024;
/** memkind.h MEMKIND_PMEM_MIN_SIZE (memkind/c exports it). */
export const PMEM_MIN_SIZE = 16 * MiB;
/** max_size is rounded up to this (upstream's MEMKIND_PMEM_CHUNK_SIZE, jemalloc's old chunk). */
export const PMEM_CHUNK_SIZE = 2 * MiB;
/** Dirty pages are punched after jemalloc's default decay (10 s). */
export const MEMKIND_MEM_USAGE_POLICY_DEFAULT = 0;
/** Dirty pages are punched as soon as they are free (dirty_decay_ms = 0). */
export const MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE = 1;
export const MEMKIND_MEM_USAGE_POLICY_MAX_VALUE = 2;

const PATH_MAX = 4096;
/** size_t wraps at 2^64: roundup(SIZE_MAX, 2 MiB) is 0, "unlimited". */
const SIZE_T_WRAP = 2 ** 64;
const EOPNOTSUPP = errnoValue("EOPNOTSUPP");

/** A call's outcome in C terms: its return code, the errno it sets, the kind it made. */
export interface PmemResult {
  readonly code: number;
  /** errno to set (absent: errno unchanged). */
  readonly errno?: number;
  readonly kind?: Kind;
}

/** The options of `Kind.pmem`. */
export interface PmemOptions {
  /**
   * The most the kind's file may hold: bytes, or a string like "512M" or "10G" (K, M, G, T
   * are powers of 1024). 0 or absent: as much as the file system holds. Otherwise at least
   * 16 MiB, rounded up to 2 MiB.
   */
  readonly maxSize?: number | string;
  /** "default": free pages are punched out of the file after 10 s; "conservative": at once. */
  readonly policy?: "default" | "conservative";
}

interface PmemState {
  readonly provider: FileProvider;
  decayMs: number;
}

/** The PMEM kinds of this worker and their state. */
const pmemKinds = new WeakMap<Kind, PmemState>();

/** The file provider of a PMEM kind (its descriptors and blocks, for tests), or undefined. */
export function pmemProvider(kind: Kind): FileProvider | undefined {
  return pmemKinds.get(kind)?.provider;
}

/** Makes `dir/memkind.XXXXXX` and unlinks it: its descriptor, or the errno of the failure. */
function makeTempFile(platform: Platform, dir: string): { fd: number } | { errno: number } {
  let temp: { fd: number; path: string };
  try {
    temp = platform.mkstemp(`${dir}/memkind.XXXXXX`);
  } catch (error) {
    if (error instanceof PlatformError) {
      logError(`Could not create temporary file: errno=${error.errno}.`);
      return { errno: error.errno };
    }
    throw error;
  }
  try {
    platform.unlink(temp.path);
  } catch {
    // upstream ignores it too: the file then stays in the directory
  }
  return { fd: temp.fd };
}

/** Whether the file system of `fd` can punch holes (a punch of one page of the empty file). */
function canPunchHoles(platform: Platform, fd: number): boolean {
  try {
    platform.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, platform.pageSize);
    return true;
  } catch (error) {
    return !(error instanceof PlatformError && error.errno === EOPNOTSUPP);
  }
}

/** max_size as upstream keeps it: rounded up to 2 MiB, 0 when that wraps size_t. */
function roundMaxSize(maxSize: number): number {
  const rounded = Math.ceil(maxSize / PMEM_CHUNK_SIZE) * PMEM_CHUNK_SIZE;
  return rounded >= SIZE_T_WRAP ? 0 : rounded;
}

/** statvfs(dir).f_blocks * f_frsize, or -1 when the directory cannot be read. */
function fileSystemSize(platform: Platform, dir: string): number {
  try {
    return platform.statvfs(dir).totalBytes;
  } catch {
    return -1;
  }
}

/** memkind_create_pmem: a PMEM kind in `dir` holding at most `maxSize` bytes (0: no limit). */
export function createPmemKind(
  dir: unknown,
  maxSize: unknown,
  platform: Platform = defaultPlatform(),
): PmemResult {
  if (typeof maxSize !== "number" || !Number.isInteger(maxSize) || maxSize < 0) {
    logError(`Cannot create pmem: size ${String(maxSize)} is not a size.`);
    return { code: MEMKIND_ERROR_INVALID, errno: EINVAL };
  }
  if (maxSize !== 0 && maxSize < PMEM_MIN_SIZE) {
    logError("Cannot create pmem: invalid size.");
    return { code: MEMKIND_ERROR_INVALID };
  }
  const limit = roundMaxSize(maxSize);
  if (typeof dir !== "string") {
    logError("Cannot create pmem: the directory must be a path.");
    return { code: MEMKIND_ERROR_INVALID, errno: EINVAL };
  }
  if (Buffer.byteLength(dir) > PATH_MAX) {
    logError("Could not create temporary file: too long path.");
    return { code: MEMKIND_ERROR_INVALID };
  }
  const temp = makeTempFile(platform, dir);
  if ("errno" in temp) return { code: MEMKIND_ERROR_INVALID, errno: temp.errno };
  const { fd } = temp;
  const canPunch = canPunchHoles(platform, fd);
  if (!canPunch && !hogMemory()) {
    platform.close(fd);
    logError(
      `Cannot create pmem: the file system of ${dir} cannot punch holes (FALLOC_FL_PUNCH_HOLE), so freed memory could never leave the file; use a file system that can, or MEMKIND_HOG_MEMORY=1.`,
    );
    return { code: MEMKIND_ERROR_INVALID, errno: EOPNOTSUPP };
  }
  const provider = new FileProvider(platform, { dir, fd, maxSize: limit, canPunch });
  const state: PmemState = { provider, decayMs: DEFAULT_DECAY_MS };
  const registration = registerKind({
    name: `pmem${fd.toString(16).padStart(8, "0")}`,
    provider: () => provider,
    get decayMs() {
      return state.decayMs;
    },
    capacity: () => (limit !== 0 ? limit : fileSystemSize(platform, dir)),
    finalize: () => {
      provider.close();
      return MEMKIND_SUCCESS;
    },
  });
  if (!("kind" in registration)) {
    provider.close();
    return { code: registration.code };
  }
  const { kind } = registration;
  pmemKinds.set(kind, state);
  if (arenasPerKind() === undefined) {
    logError(
      `[${kind.name}] Failed to create arena map: invalid MEMKIND_ARENA_NUM_PER_KIND="${process.env.MEMKIND_ARENA_NUM_PER_KIND}"`,
    );
    destroyKind(kind);
    return { code: MEMKIND_ERROR_ENVIRON };
  }
  return { code: MEMKIND_SUCCESS, kind };
}

/**
 * update_memory_usage_policy of a PMEM kind: DEFAULT (decay 10 s) or CONSERVATIVE (0);
 * anything else MEMKIND_ERROR_INVALID. It applies to arenas made afterwards: a kind makes
 * its arena on first use, and memkind_create_pmem_with_config sets the policy before that.
 */
export function setUsagePolicy(kind: Kind, policy: unknown): number {
  const state = pmemKinds.get(kind);
  if (!state) return MEMKIND_ERROR_INVALID;
  if (policy === MEMKIND_MEM_USAGE_POLICY_DEFAULT) state.decayMs = DEFAULT_DECAY_MS;
  else if (policy === MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE) state.decayMs = 0;
  else {
    logError(`Unrecognized memory policy ${String(policy)}`);
    return MEMKIND_ERROR_INVALID;
  }
  return MEMKIND_SUCCESS;
}

/**
 * memkind_check_dax_path: maps a page of a temporary file in `dir` with MAP_SYNC, which only
 * a DAX file system accepts. Temporary file or ftruncate fails -> MEMKIND_ERROR_RUNTIME;
 * mmap fails -> MEMKIND_ERROR_MMAP (errno EOPNOTSUPP on tmpfs, ext4 without dax, ...).
 */
export function checkDaxPath(dir: unknown, platform: Platform = defaultPlatform()): PmemResult {
  if (typeof dir !== "string") return { code: MEMKIND_ERROR_INVALID, errno: EINVAL };
  if (Buffer.byteLength(dir) > PATH_MAX) return { code: MEMKIND_ERROR_RUNTIME };
  const temp = makeTempFile(platform, dir);
  if ("errno" in temp) return { code: MEMKIND_ERROR_RUNTIME, errno: temp.errno };
  const page = platform.pageSize;
  try {
    platform.ftruncate(temp.fd, page);
  } catch (error) {
    platform.close(temp.fd);
    return {
      code: MEMKIND_ERROR_RUNTIME,
      ...(error instanceof PlatformError ? { errno: error.errno } : {}),
    };
  }
  try {
    const flags = MAP_SHARED_VALIDATE | MAP_SYNC;
    const addr = platform.mmap(0, page, PROT_READ | PROT_WRITE, flags, temp.fd, 0);
    platform.munmap(addr, page);
    return { code: MEMKIND_SUCCESS };
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    return { code: MEMKIND_ERROR_MMAP, errno: error.errno };
  } finally {
    platform.close(temp.fd);
  }
}

const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  K: 2 ** 10,
  M: 2 ** 20,
  G: 2 ** 30,
  T: 2 ** 40,
};

/** Bytes of a `maxSize` option: a non-negative integer, or digits with K/M/G/T (and "B"/"iB"). */
export function parseByteSize(size: number | string): number | undefined {
  if (typeof size === "number") return Number.isInteger(size) && size >= 0 ? size : undefined;
  const match = /^\s*(\d+)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(size);
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[(match[2] as string).toUpperCase()] as number);
}

/** Kind.pmem: a PMEM kind or a MemkindError with memkind's code. */
function pmemKind(dir: string, options: PmemOptions): Kind {
  const call = `Kind.pmem(${JSON.stringify(dir)})`;
  const maxSize = parseByteSize(options.maxSize ?? 0);
  if (maxSize === undefined) {
    throw new MemkindError(
      `${call}: maxSize ${JSON.stringify(options.maxSize)} is not a size (bytes, or digits with K, M, G or T)`,
      MEMKIND_ERROR_INVALID,
    );
  }
  const policy = options.policy ?? "default";
  if (policy !== "default" && policy !== "conservative") {
    throw new MemkindError(
      `${call}: policy ${JSON.stringify(policy)} is not "default" or "conservative"`,
      MEMKIND_ERROR_INVALID,
    );
  }
  if (maxSize !== 0 && maxSize < PMEM_MIN_SIZE) {
    throw new MemkindError(
      `${call}: maxSize ${maxSize} is below the minimum of 16 MiB (0: unlimited)`,
      MEMKIND_ERROR_INVALID,
    );
  }
  const result = createPmemKind(dir, maxSize);
  if (!result.kind) {
    const why = result.errno === undefined ? "" : ` (${errnoName(result.errno)})`;
    throw new MemkindError(`${call}: ${errorMessage(result.code)}${why}`, result.code);
  }
  setUsagePolicy(
    result.kind,
    policy === "conservative"
      ? MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE
      : MEMKIND_MEM_USAGE_POLICY_DEFAULT,
  );
  return result.kind;
}

installDynamicKinds({ pmem: pmemKind, destroy: destroyKind });
