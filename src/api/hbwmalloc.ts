/**
 * hbwmalloc (reference section 1.7): the high-bandwidth-memory interface over the HBW kinds.
 * The policy is set once: the first valid hbw_set_policy call, or the first allocation,
 * freezes it.
 */
import { EFAULT, EINVAL, ENODEV, EPERM, MEMKIND_SUCCESS } from "../kinds/errors.js";
import type { Kind } from "../kinds/kind.js";
import { logError } from "../kinds/log.js";
import { hbwNodes } from "../kinds/nodes.js";
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
} from "../kinds/static-kinds.js";
import { defaultPlatform, machineIsXeonPhi, machineTopology } from "../platform/index.js";
import {
  memkind_calloc,
  memkind_free,
  memkind_malloc,
  memkind_malloc_usable_size,
  memkind_posix_memalign,
  memkind_realloc,
  type Out,
  type Ptr,
} from "./c.js";

export const HBW_POLICY_BIND = 1;
export const HBW_POLICY_PREFERRED = 2;
export const HBW_POLICY_INTERLEAVE = 3;
export const HBW_POLICY_BIND_ALL = 4;
export const HBW_PAGESIZE_4KB = 1;
export const HBW_PAGESIZE_2MB = 2;
export const HBW_PAGESIZE_MAX_VALUE = 3;
export const HBW_TOUCH_PAGES = 1;

let policy = HBW_POLICY_PREFERRED;
let policySet = false;

export function hbw_get_policy(): number {
  return policy;
}

/**
 * hbw_set_policy: EINVAL for an unknown mode; the first valid call sets the policy; later
 * calls give EPERM for another mode and 0 for the same one (upstream's code; decided quirk 6).
 */
export function hbw_set_policy(mode: number): number {
  if (
    mode !== HBW_POLICY_BIND &&
    mode !== HBW_POLICY_PREFERRED &&
    mode !== HBW_POLICY_INTERLEAVE &&
    mode !== HBW_POLICY_BIND_ALL
  ) {
    return EINVAL;
  }
  if (!policySet) {
    policy = mode;
    policySet = true;
    return 0;
  }
  return mode === policy ? 0 : EPERM;
}

/** 0 if HBW memory is available, ENODEV otherwise. */
export function hbw_check_available(): number {
  return MEMKIND_HBW.checkAvailable() === MEMKIND_SUCCESS ? 0 : ENODEV;
}

/** The kind for the frozen policy and a page size (hbw_choose_kind). */
function chooseKind(pagesize: number): Kind {
  policySet = true; // the first allocation freezes the policy
  const huge = pagesize === HBW_PAGESIZE_2MB;
  switch (policy) {
    case HBW_POLICY_BIND:
      return huge ? MEMKIND_HBW_HUGETLB : MEMKIND_HBW;
    case HBW_POLICY_BIND_ALL:
      return huge ? MEMKIND_HBW_ALL_HUGETLB : MEMKIND_HBW_ALL;
    case HBW_POLICY_INTERLEAVE:
      return MEMKIND_HBW_INTERLEAVE;
    default:
      if (hbw_check_available() === 0)
        return huge ? MEMKIND_HBW_PREFERRED_HUGETLB : MEMKIND_HBW_PREFERRED;
      return huge ? MEMKIND_HUGETLB : MEMKIND_DEFAULT;
  }
}

export function hbw_malloc(size: number): Ptr {
  return memkind_malloc(chooseKind(HBW_PAGESIZE_4KB), size);
}

export function hbw_calloc(num: number, size: number): Ptr {
  return memkind_calloc(chooseKind(HBW_PAGESIZE_4KB), num, size);
}

export function hbw_realloc(ptr: Ptr, size: number): Ptr {
  return memkind_realloc(chooseKind(HBW_PAGESIZE_4KB), ptr, size);
}

export function hbw_free(ptr: Ptr): void {
  memkind_free(null, ptr);
}

export function hbw_malloc_usable_size(ptr: Ptr): number {
  return memkind_malloc_usable_size(null, ptr);
}

export function hbw_posix_memalign(memptr: Out<Ptr>, alignment: number, size: number): number {
  return memkind_posix_memalign(chooseKind(HBW_PAGESIZE_4KB), memptr, alignment, size);
}

/** As hbw_posix_memalign with a page size; 2 MiB pages with the INTERLEAVE policy are EINVAL. */
export function hbw_posix_memalign_psize(
  memptr: Out<Ptr>,
  alignment: number,
  size: number,
  pagesize: number,
): number {
  if (pagesize !== HBW_PAGESIZE_4KB && pagesize !== HBW_PAGESIZE_2MB) return EINVAL;
  if (pagesize === HBW_PAGESIZE_2MB && policy === HBW_POLICY_INTERLEAVE) {
    logError("HBW_POLICY_INTERLEAVE is unsupported with used page size!");
    return EINVAL;
  }
  return memkind_posix_memalign(chooseKind(pagesize), memptr, alignment, size);
}

/**
 * hbw_verify_memory_region: 0 if every page of [addr, addr + size) is on an HBW node of the
 * calling CPU (the HBW_ALL set), -1 if one is not (or is not present), EINVAL for bad
 * arguments, EFAULT if the kernel cannot report. HBW_TOUCH_PAGES faults pages in first.
 */
export function hbw_verify_memory_region(addr: Ptr, size: number, flags: number): number {
  if (
    !addr ||
    !Number.isInteger(size) ||
    size <= 0 ||
    !Number.isInteger(flags) ||
    (flags & ~HBW_TOUCH_PAGES) !== 0
  ) {
    return EINVAL;
  }
  const os = defaultPlatform();
  const page = os.pageSize;
  const choice = hbwNodes(machineTopology(), process.env, "ALL", machineIsXeonPhi());
  const allowed = choice.ok ? (choice.byInitiator.get(os.getcpu().node) ?? []) : [];
  const first = Math.floor(addr / page) * page;
  const pages: number[] = [];
  for (let at = first; at < addr + size; at += page) pages.push(at);
  let status: Int32Array;
  try {
    if (flags & HBW_TOUCH_PAGES) {
      // Touching an unmapped page would kill the process: get_mempolicy(MPOL_F_ADDR) fails
      // with EFAULT for those (move_pages cannot tell: kernel 6.1 says -EFAULT for untouched
      // pages too).
      for (const at of pages) {
        try {
          os.getMempolicy(at);
        } catch {
          return -1;
        }
      }
      for (const at of pages) {
        // Read and write the same byte, as upstream does with a volatile access; an atomic
        // add of 0 is a write the JIT cannot drop, so the page is really faulted in.
        Atomics.add(os.view(at, 1), 0, 0);
      }
    }
    status = os.movePages(pages);
  } catch {
    return EFAULT;
  }
  for (const node of status) if (node < 0 || !allowed.includes(node)) return -1;
  return 0;
}
