/**
 * memkind_create_kind (the memtype / policy / flags triple mapped to a static kind,
 * reference section 1.4) and memkind_get_capacity (section 1.12).
 */
import {
  MEMKIND_ERROR_INVALID,
  MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
  MEMKIND_SUCCESS,
} from "../kinds/errors.js";
import { Kind } from "../kinds/kind.js";
import {
  MEMKIND_DEFAULT,
  MEMKIND_HBW,
  MEMKIND_HBW_ALL,
  MEMKIND_HBW_ALL_HUGETLB,
  MEMKIND_HBW_HUGETLB,
  MEMKIND_HBW_INTERLEAVE,
  MEMKIND_HBW_PREFERRED,
  MEMKIND_HBW_PREFERRED_HUGETLB,
  MEMKIND_HUGETLB,
  MEMKIND_INTERLEAVE,
} from "../kinds/static-kinds.js";
import type { Out } from "./c.js";

export const MEMKIND_MEMTYPE_DEFAULT = 1;
export const MEMKIND_MEMTYPE_HIGH_BANDWIDTH = 2;
export const MEMKIND_POLICY_BIND_LOCAL = 0;
export const MEMKIND_POLICY_BIND_ALL = 1;
export const MEMKIND_POLICY_PREFERRED_LOCAL = 2;
export const MEMKIND_POLICY_INTERLEAVE_LOCAL = 3;
export const MEMKIND_POLICY_INTERLEAVE_ALL = 4;
export const MEMKIND_POLICY_MAX_VALUE = 5;
/** log2 of the page size in the flags' low byte: 21 for 2 MiB. */
export const MEMKIND_MASK_PAGE_SIZE_2MB = 21;

const HBW = MEMKIND_MEMTYPE_HIGH_BANDWIDTH;
const DEFAULT = MEMKIND_MEMTYPE_DEFAULT;

/** upstream's supported_args[]: [memtype, policy, flags, kind]. */
const SUPPORTED: readonly [number, number, number, Kind][] = [
  [HBW, MEMKIND_POLICY_BIND_LOCAL, 0, MEMKIND_HBW],
  [HBW, MEMKIND_POLICY_BIND_LOCAL, MEMKIND_MASK_PAGE_SIZE_2MB, MEMKIND_HBW_HUGETLB],
  [HBW, MEMKIND_POLICY_BIND_ALL, 0, MEMKIND_HBW_ALL],
  [HBW, MEMKIND_POLICY_BIND_ALL, MEMKIND_MASK_PAGE_SIZE_2MB, MEMKIND_HBW_ALL_HUGETLB],
  [HBW, MEMKIND_POLICY_PREFERRED_LOCAL, 0, MEMKIND_HBW_PREFERRED],
  [HBW, MEMKIND_POLICY_PREFERRED_LOCAL, MEMKIND_MASK_PAGE_SIZE_2MB, MEMKIND_HBW_PREFERRED_HUGETLB],
  [HBW, MEMKIND_POLICY_INTERLEAVE_ALL, 0, MEMKIND_HBW_INTERLEAVE],
  [DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL, 0, MEMKIND_DEFAULT],
  [DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL, MEMKIND_MASK_PAGE_SIZE_2MB, MEMKIND_HUGETLB],
  [DEFAULT | HBW, MEMKIND_POLICY_INTERLEAVE_ALL, 0, MEMKIND_INTERLEAVE],
];

const isInt = (n: unknown): n is number => Number.isInteger(n);

/**
 * memkind_create_kind: the static kind for (memtype, policy, flags) into `kind.value`, with
 * upstream's validation order; an unavailable PREFERRED_LOCAL kind falls back to DEFAULT.
 */
export function memkind_create_kind(
  memtype: number,
  policy: number,
  flags: number,
  kind: Out<Kind | null> | null,
): number {
  if (!isInt(memtype) || memtype === 0 || (memtype & ~(DEFAULT | HBW)) !== 0)
    return MEMKIND_ERROR_INVALID;
  if (!isInt(flags) || (flags & ~MEMKIND_MASK_PAGE_SIZE_2MB) !== 0) return MEMKIND_ERROR_INVALID;
  if (!isInt(policy) || policy < 0 || policy >= MEMKIND_POLICY_MAX_VALUE)
    return MEMKIND_ERROR_INVALID;
  if (kind === null || typeof kind !== "object") return MEMKIND_ERROR_INVALID;
  const match = SUPPORTED.find(([m, p, f]) => m === memtype && p === policy && f === flags);
  if (!match) return MEMKIND_ERROR_INVALID;
  const found = match[3];
  if (found.checkAvailable() === MEMKIND_SUCCESS) {
    kind.value = found;
    return MEMKIND_SUCCESS;
  }
  if (policy === MEMKIND_POLICY_PREFERRED_LOCAL) {
    kind.value = MEMKIND_DEFAULT;
    return MEMKIND_SUCCESS;
  }
  return MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
}

/** memkind_get_capacity: bytes of the kind's memory, -1 where upstream does not support it. */
export function memkind_get_capacity(kind: Kind): number {
  return kind instanceof Kind ? kind.capacity() : -1;
}
