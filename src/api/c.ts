/**
 * memkind/c: memkind's C API with the same names, arguments, return values and errno
 * behaviour (reference/memkind.md sections 1.2 and 1.10, DESIGN.md section 7). C's
 * out-parameters are `{ value }` objects; `errno()` is the errno the last call left.
 *
 * Where C has undefined behaviour this reports instead: a pointer memkind did not hand out,
 * one into the middle of an allocation, or one already freed gives a `MEMKIND_ERROR:` line on
 * stderr, errno EINVAL, and no change to the heap.
 */
import { OK, POINTER_PROBLEM, type PointerStatus } from "../heap/heap.js";
import { LOOKUP_MAX_SIZE, MAX_REQUEST } from "../heap/size-classes.js";
import { EINVAL, ENOMEM, errorMessage, MEMKIND_ERROR_INVALID } from "../kinds/errors.js";
import { heap as workerHeap } from "../kinds/heap.js";
import { Kind, kindOfArena } from "../kinds/kind.js";
import { report } from "../kinds/log.js";
import { destroyKind } from "../kinds/registry.js";
import { hex } from "../platform/errors.js";
import { setErrno } from "./errno.js";

/**
 * Literals for the malloc / free fast paths (tsc inlines a const enum; V8 folds literals but
 * loads every module-level binding per use). Checked against their home modules below.
 */
const enum Fast {
  CachedMax = 4096, // size-classes.ts LOOKUP_MAX_SIZE: the sizes Heap.mallocSmall takes
  Ok = 0, // heap.ts OK
}
if (Fast.CachedMax !== LOOKUP_MAX_SIZE || Fast.Ok !== OK)
  throw new Error("api/c.ts: fast-path constants drifted");

/** The worker's heap in a module-local binding: an imported one costs a check on every call. */
const heap = workerHeap;
/**
 * Kind in a module-local const for the malloc fast path: V8 folds `instanceof` against it,
 * where the imported binding is a cell it loads and checks on every call.
 */
const KindClass = Kind;

export * from "../kinds/errors.js";
export { MEMKIND_MAX_KIND, MEMKIND_NAME_LENGTH } from "../kinds/registry.js";
export {
  MEMKIND_DAX_KMEM,
  MEMKIND_DAX_KMEM_ALL,
  MEMKIND_DAX_KMEM_INTERLEAVE,
  MEMKIND_DAX_KMEM_PREFERRED,
  MEMKIND_DEFAULT,
  MEMKIND_HBW,
  MEMKIND_HBW_ALL,
  MEMKIND_HBW_ALL_HUGETLB,
  MEMKIND_HBW_HUGETLB,
  MEMKIND_HBW_INTERLEAVE,
  MEMKIND_HBW_PREFERRED,
  MEMKIND_HBW_PREFERRED_HUGETLB,
  MEMKIND_HIGHEST_BANDWIDTH_LOCAL,
  MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED,
  MEMKIND_HIGHEST_CAPACITY,
  MEMKIND_HIGHEST_CAPACITY_LOCAL,
  MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED,
  MEMKIND_HIGHEST_CAPACITY_PREFERRED,
  MEMKIND_HUGETLB,
  MEMKIND_INTERLEAVE,
  MEMKIND_LOWEST_LATENCY_LOCAL,
  MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED,
  MEMKIND_REGULAR,
} from "../kinds/static-kinds.js";
export { getErrno as errno } from "./errno.js";
export * from "./hbwmalloc.js";
export * from "./kind-calls.js";
export * from "./kind-creation.js";
export * from "./pmem.js";
export {
  memkind_get_stat,
  memkind_purge,
  memkind_set_bg_threads,
  memkind_update_cached_stats,
} from "./stats.js";
export * from "./stats-print.js";

/** A pointer: the address as a number; 0 is NULL. */
export type Ptr = number;
/** A kind handle. */
export type memkind_t = Kind;
/** A C out-parameter. */
export interface Out<T> {
  value: T;
}

export const MEMKIND_PMEM_MIN_SIZE = 16 * 1024 * 1024;
export const MEMKIND_STAT_TYPE_RESIDENT = 0;
export const MEMKIND_STAT_TYPE_ACTIVE = 1;
export const MEMKIND_STAT_TYPE_ALLOCATED = 2;
export const MEMKIND_STAT_TYPE_MAX_VALUE = 3;

/** memkind 1.14.0, as upstream encodes it: major * 1000000 + minor * 1000 + patch. */
export function memkind_get_version(): number {
  return 1014000;
}

/** memkind_error_message(err, msg, size): the text, truncated to `size - 1` characters. */
export function memkind_error_message(err: number, size?: number): string {
  return errorMessage(err, size);
}

/** Reports a bad pointer; the heap has not been changed. */
function badPointer(call: string, ptr: number, status: PointerStatus): void {
  report(
    `${call}(): pointer ${hex(ptr)} ${POINTER_PROBLEM[status as Exclude<PointerStatus, typeof OK>]}`,
  );
  setErrno(EINVAL);
}

function badKind(call: string, kind?: unknown): number {
  report(
    kind instanceof Kind
      ? `${call}(): kind ${kind.name} has been destroyed`
      : `${call}(): kind must be a memkind kind, not NULL or another value`,
  );
  setErrno(EINVAL);
  return 0;
}

/** A kind that can allocate: a Kind, not destroyed. */
function isLiveKind(kind: unknown): kind is Kind {
  return kind instanceof Kind && !kind.destroyed;
}

/** A size C could pass: a non-negative integer. */
function isSize(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

/**
 * `bytes` (a checked integer) of `kind`, zeroed or not: NULL for 0 unless zero-size
 * allocations are allowed (then a minimal block), ENOMEM beyond the largest allocation or
 * when no memory can be had.
 */
function allocate(kind: Kind, bytes: number, zeroed: boolean): Ptr {
  if (bytes === 0 && !kind.allowZeroAllocs) return 0;
  if (bytes > MAX_REQUEST) {
    setErrno(ENOMEM);
    return 0;
  }
  const arena = kind.arena ?? kind.init();
  const size = Math.max(1, bytes);
  const ptr = zeroed ? heap.calloc(arena, size) : heap.malloc(arena, size);
  if (ptr === 0) setErrno(ENOMEM);
  return ptr;
}

/**
 * The slow path of malloc: sizes 0 and large, invalid sizes, first use of the kind.
 * Hot path (memkind_malloc): a small size and an initialised kind go straight to the cache.
 */
function mallocSlow(kind: Kind, size: number): Ptr {
  if (!isLiveKind(kind)) return badKind("memkind_malloc", kind);
  if (!isSize(size)) {
    report(`memkind_malloc(): size ${size} is not a non-negative integer`);
    setErrno(EINVAL);
    return 0;
  }
  return allocate(kind, size, false);
}

/**
 * memkind_malloc: `size` bytes of `kind`, or 0 with errno ENOMEM. malloc(0) is NULL unless
 * allowed. Hot path: an initialised kind and an integer size of 1..4096 bytes go straight to
 * the thread cache; everything else (first use, larger or invalid sizes) to mallocSlow.
 */
export function memkind_malloc(kind: memkind_t, size: number): Ptr {
  const arenaId = kind instanceof KindClass ? kind.arenaId : -1;
  if (arenaId >= 0 && size > 0 && size <= Fast.CachedMax && (size | 0) === size) {
    const ptr = heap.mallocSmall(arenaId, size);
    if (ptr === 0) setErrno(ENOMEM);
    return ptr;
  }
  // `+`: keeps the result a raw double on both paths (see Heap.mallocSmall).
  return +mallocSlow(kind, size);
}

/** memkind_free: frees `ptr` (NULL: nothing). The kind may be NULL: it is found from the pointer. */
export function memkind_free(_kind: memkind_t | null, ptr: Ptr): void {
  if (ptr === 0 || ptr === null || ptr === undefined) return;
  const status = heap.free(ptr);
  if (status !== Fast.Ok) badPointer("memkind_free", ptr, status);
}

/**
 * memkind_calloc: `num * size` zeroed bytes. Zero in either gives NULL (unless zero-size
 * allocations are allowed); a product beyond the largest allocation is ENOMEM on every kind
 * (upstream wraps it on arena kinds: decided quirk 5).
 */
export function memkind_calloc(kind: memkind_t, num: number, size: number): Ptr {
  if (!isLiveKind(kind)) return badKind("memkind_calloc", kind);
  if (!isSize(num) || !isSize(size)) {
    report(`memkind_calloc(): num ${num} and size ${size} must be non-negative integers`);
    setErrno(EINVAL);
    return 0;
  }
  return allocate(kind, num * size, true);
}

function isAlignment(alignment: number): boolean {
  return (
    Number.isInteger(alignment) &&
    alignment >= 8 &&
    2 ** Math.round(Math.log2(alignment)) === alignment
  );
}

/**
 * memkind_posix_memalign: 0, EINVAL (alignment not a power of two >= 8) or ENOMEM; never
 * changes errno. Size 0 gives 0 with NULL: MEMKIND_DEFAULT before checking the alignment,
 * the other kinds after (section 1.10).
 */
export function memkind_posix_memalign(
  kind: memkind_t,
  memptr: Out<Ptr>,
  alignment: number,
  size: number,
): number {
  if (!isLiveKind(kind)) {
    badKind("memkind_posix_memalign", kind);
    return EINVAL;
  }
  if (kind.isDefault && size === 0) {
    memptr.value = 0;
    return 0;
  }
  if (!isAlignment(alignment)) {
    if (!kind.isDefault) memptr.value = 0;
    return EINVAL;
  }
  if (!isSize(size)) {
    report(`memkind_posix_memalign(): size ${size} is not a non-negative integer`);
    memptr.value = 0;
    return EINVAL;
  }
  memptr.value = 0;
  if (size === 0) return 0;
  if (size > MAX_REQUEST || alignment > MAX_REQUEST) return ENOMEM;
  const ptr = heap.memalign(kind.arena ?? kind.init(), alignment, size);
  if (ptr === 0) return ENOMEM;
  memptr.value = ptr;
  return 0;
}

/**
 * memkind_realloc: resizes `ptr` (contents kept up to the smaller size), in place when it can.
 * NULL ptr: malloc. Size 0: frees, NULL. Failure: NULL, errno ENOMEM, `ptr` still valid.
 * With a NULL kind the pointer's own kind is used; NULL kind and NULL ptr: EINVAL.
 */
export function memkind_realloc(kind: memkind_t | null, ptr: Ptr, size: number): Ptr {
  if (kind === null || kind === undefined) {
    if (ptr === 0 || ptr === null || ptr === undefined) {
      setErrno(EINVAL);
      return 0;
    }
    const status = heap.releasable(ptr);
    if (status !== OK) {
      badPointer("memkind_realloc", ptr, status);
      return 0;
    }
    kind = kindOfArena[(heap.arenaOf(ptr) as { id: number }).id] as Kind;
  } else if (!isLiveKind(kind)) {
    return badKind("memkind_realloc", kind);
  }
  if (ptr === 0 || ptr === null || ptr === undefined)
    return size === 0 ? 0 : memkind_malloc(kind, size);
  if (!isSize(size)) {
    report(`memkind_realloc(): size ${size} is not a non-negative integer`);
    setErrno(EINVAL);
    return 0;
  }
  const status = heap.releasable(ptr);
  if (status !== OK) {
    badPointer("memkind_realloc", ptr, status);
    return 0;
  }
  if (size === 0) {
    heap.free(ptr);
    return 0;
  }
  if (size > MAX_REQUEST) {
    setErrno(ENOMEM);
    return 0;
  }
  const moved = heap.realloc(kind.arena ?? kind.init(), ptr, size);
  if (moved === 0) setErrno(ENOMEM);
  return moved;
}

/** memkind_malloc_usable_size: the usable size (the size class) of `ptr`; 0 for NULL. */
export function memkind_malloc_usable_size(_kind: memkind_t | null, ptr: Ptr): number {
  if (ptr === 0 || ptr === null || ptr === undefined) return 0;
  return heap.usableSize(ptr);
}

/**
 * memkind_defrag_reallocate: moves a small allocation out of a sparsely used slab and
 * returns the new pointer, or NULL when moving is not worthwhile (the old pointer stays valid).
 */
export function memkind_defrag_reallocate(_kind: memkind_t | null, ptr: Ptr): Ptr {
  if (ptr === 0 || ptr === null || ptr === undefined) return 0;
  const status = heap.status(ptr);
  if (status !== OK) {
    badPointer("memkind_defrag_reallocate", ptr, status);
    return 0;
  }
  return heap.defragReallocate(ptr);
}

/** memkind_detect_kind: the kind a pointer belongs to; NULL for NULL or a pointer memkind does not know. */
export function memkind_detect_kind(ptr: Ptr): memkind_t | null {
  const arena = heap.arenaOf(ptr);
  return arena === undefined ? null : (kindOfArena[arena.id] ?? null);
}

/** memkind_set_allow_zero_allocs (memkind master): malloc(0) returns a minimal allocation. */
export function memkind_set_allow_zero_allocs(kind: memkind_t, allow: boolean): void {
  if (!(kind instanceof Kind)) {
    badKind("memkind_set_allow_zero_allocs");
    return;
  }
  kind.allowZeroAllocs = allow === true;
}

/**
 * memkind_destroy_kind: releases a PMEM, fixed or user-defined kind and everything it holds.
 * Its pointers become foreign (free reports them, memkind_detect_kind gives NULL); its name
 * and registry slot can be reused. Static kinds and destroyed kinds: MEMKIND_ERROR_INVALID;
 * a kind whose block a fixed kind lives in: MEMKIND_ERROR_OPERATION_FAILED (destroy that
 * one first).
 */
export function memkind_destroy_kind(kind: memkind_t): number {
  return destroyKind(kind);
}

/** memkind_check_available: MEMKIND_SUCCESS or why the kind cannot be used. */
export function memkind_check_available(kind: memkind_t): number {
  if (!(kind instanceof Kind)) return MEMKIND_ERROR_INVALID;
  return kind.checkAvailable();
}

/**
 * view(ptr, length): a Uint8Array over `length` bytes at `ptr`, which must lie inside one live
 * allocation (an interior pointer is fine). Throws RangeError otherwise.
 */
export function view(ptr: Ptr, length: number): Uint8Array {
  const bytes = isSize(length) ? heap.liveBytes(ptr, length) : undefined;
  if (bytes !== undefined) return bytes;
  const allocation = heap.allocationAt(ptr);
  throw new RangeError(
    allocation
      ? `view(${hex(ptr)}, ${length}) runs past its allocation of ${allocation.usable} bytes at ${hex(allocation.start)}`
      : `view(${hex(ptr)}, ${length}): no live allocation there`,
  );
}
