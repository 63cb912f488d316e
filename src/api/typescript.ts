/**
 * The TypeScript API (DESIGN.md section 6.2): the same heap and kinds as memkind/c, with
 * exceptions for failures a caller must not ignore and typed views instead of raw pointers.
 *
 *   import { kinds, free } from "memkind";
 *   const bytes = kinds.DEFAULT.alloc(1 << 20);            // Uint8Array; throws MemkindError
 *   const xs = kinds.REGULAR.allocArray(Float64Array, 1e6); // typed view over the allocation
 *   const p = kinds.DEFAULT.malloc(64);                     // Ptr, 0 on failure: the hot path
 *   free(p); free(xs);                                      // kind found from the pointer
 *
 * A view's `byteOffset` and `buffer` locate it in its chunk; `free(view)` frees the
 * allocation the view starts at. Views must not be used after their allocation is freed.
 */
import { OK, POINTER_PROBLEM, type PointerStatus } from "../heap/heap.js";
import { EINVAL, MemkindError } from "../kinds/errors.js";
import { heap } from "../kinds/heap.js";
import type { Kind } from "../kinds/kind.js";
import { STATIC_KINDS } from "../kinds/static-kinds.js";
import { hex } from "../platform/errors.js";
import type { Ptr } from "./c.js";

type StaticKindName =
  | "DEFAULT"
  | "HBW"
  | "HBW_PREFERRED"
  | "HBW_HUGETLB"
  | "HBW_PREFERRED_HUGETLB"
  | "HUGETLB"
  | "HBW_INTERLEAVE"
  | "INTERLEAVE"
  | "REGULAR"
  | "HBW_ALL"
  | "HBW_ALL_HUGETLB"
  | "DAX_KMEM"
  | "DAX_KMEM_ALL"
  | "DAX_KMEM_PREFERRED"
  | "DAX_KMEM_INTERLEAVE"
  | "HIGHEST_CAPACITY"
  | "HIGHEST_CAPACITY_PREFERRED"
  | "HIGHEST_CAPACITY_LOCAL"
  | "HIGHEST_CAPACITY_LOCAL_PREFERRED"
  | "LOWEST_LATENCY_LOCAL"
  | "LOWEST_LATENCY_LOCAL_PREFERRED"
  | "HIGHEST_BANDWIDTH_LOCAL"
  | "HIGHEST_BANDWIDTH_LOCAL_PREFERRED";

/** The static kinds by their memkind names without the prefix: kinds.HBW_PREFERRED, ... */
export const kinds = Object.freeze(
  Object.fromEntries(
    STATIC_KINDS.map((kind) => [kind.name.slice("memkind_".length).toUpperCase(), kind]),
  ),
) as Readonly<Record<StaticKindName, Kind>>;

/** The address a typed view over heap memory starts at; throws MemkindError for other views. */
export function addressOf(array: ArrayBufferView): Ptr {
  const base = heap.chunks.bufferBase(array.buffer);
  if (base === undefined)
    throw new MemkindError("the view is not over memory allocated by memkind", EINVAL);
  return base + array.byteOffset;
}

/**
 * Frees an allocation given by pointer or by a view that starts at it. Throws MemkindError
 * for anything that is not a live allocation (the heap is then unchanged); 0 does nothing.
 */
export function free(allocation: Ptr | ArrayBufferView): void {
  const ptr = typeof allocation === "number" ? allocation : addressOf(allocation);
  if (ptr === 0) return;
  const status = heap.free(ptr);
  if (status !== OK) {
    throw new MemkindError(
      `free(): pointer ${hex(ptr)} ${POINTER_PROBLEM[status as Exclude<PointerStatus, typeof OK>]}`,
      EINVAL,
    );
  }
}

/** The usable size of a live allocation; throws MemkindError for anything else. */
export function usableSize(allocation: Ptr | ArrayBufferView): number {
  const ptr = typeof allocation === "number" ? allocation : addressOf(allocation);
  const status = heap.status(ptr);
  if (status !== OK) {
    throw new MemkindError(
      `usableSize(): pointer ${hex(ptr)} ${POINTER_PROBLEM[status as Exclude<PointerStatus, typeof OK>]}`,
      EINVAL,
    );
  }
  return heap.usableSize(ptr);
}
