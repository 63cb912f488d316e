/**
 * memkind/c's PMEM calls (reference/memkind.md sections 1.2 and 1.11): memkind_create_pmem,
 * the memkind_config_* functions, memkind_create_pmem_with_config and
 * memkind_check_dax_path. memkind_get_capacity and memkind_destroy_kind work on PMEM kinds
 * as on any other (kind-calls.ts, c.ts).
 *
 * Where upstream crashes (a NULL config, path or out-parameter) these return
 * MEMKIND_ERROR_INVALID with errno EINVAL, or report a MEMKIND_ERROR line for the setters.
 */
import { EINVAL, MEMKIND_ERROR_INVALID, MEMKIND_SUCCESS } from "../kinds/errors.js";
import type { Kind } from "../kinds/kind.js";
import { report } from "../kinds/log.js";
import {
  checkDaxPath,
  createPmemKind,
  MEMKIND_MEM_USAGE_POLICY_DEFAULT,
  type PmemResult,
  setUsagePolicy,
} from "../kinds/pmem.js";
import type { Out } from "./c.js";
import { setErrno } from "./errno.js";

export {
  MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE,
  MEMKIND_MEM_USAGE_POLICY_DEFAULT,
  MEMKIND_MEM_USAGE_POLICY_MAX_VALUE,
} from "../kinds/pmem.js";

export type memkind_mem_usage_policy = number;

/**
 * struct memkind_config: a PMEM kind's directory, size and policy. Upstream leaves the fields
 * uninitialised; here they start as no path, size 0 (unlimited) and the DEFAULT policy.
 */
export class memkind_config {
  pmem_dir: string | null = null;
  pmem_size = 0;
  policy: memkind_mem_usage_policy = MEMKIND_MEM_USAGE_POLICY_DEFAULT;
  /** Set by memkind_config_delete: a deleted config is refused instead of read after free. */
  deleted = false;
}

/** The code of a result, with its errno set. */
function finish(result: PmemResult): number {
  if (result.errno !== undefined) setErrno(result.errno);
  return result.code;
}

function isOut(kind: unknown): kind is Out<Kind | null> {
  return typeof kind === "object" && kind !== null;
}

function isConfig(cfg: unknown): cfg is memkind_config {
  return cfg instanceof memkind_config && !cfg.deleted;
}

/** A setter given something that is not a live config: reported, nothing stored. */
function badConfig(call: string): void {
  report(`${call}(): cfg must be a config from memkind_config_new, not NULL or a deleted one`);
  setErrno(EINVAL);
}

/** memkind_config_new: a new configuration (never NULL here: there is no malloc to fail). */
export function memkind_config_new(): memkind_config {
  return new memkind_config();
}

/** memkind_config_delete: the config can no longer be used. NULL: nothing. */
export function memkind_config_delete(cfg: memkind_config | null): void {
  if (cfg instanceof memkind_config) cfg.deleted = true;
}

/** memkind_config_set_path: stores the directory, unchecked (memkind_create_pmem checks it). */
export function memkind_config_set_path(cfg: memkind_config | null, pmem_dir: string | null): void {
  if (!isConfig(cfg)) {
    badConfig("memkind_config_set_path");
    return;
  }
  cfg.pmem_dir = pmem_dir;
}

/** memkind_config_set_size: stores max_size, unchecked. */
export function memkind_config_set_size(cfg: memkind_config | null, pmem_size: number): void {
  if (!isConfig(cfg)) {
    badConfig("memkind_config_set_size");
    return;
  }
  cfg.pmem_size = pmem_size;
}

/** memkind_config_set_memory_usage_policy: stores the policy, unchecked. */
export function memkind_config_set_memory_usage_policy(
  cfg: memkind_config | null,
  policy: memkind_mem_usage_policy,
): void {
  if (!isConfig(cfg)) {
    badConfig("memkind_config_set_memory_usage_policy");
    return;
  }
  cfg.policy = policy;
}

/**
 * memkind_create_pmem: a file-backed kind in `dir` holding at most `max_size` bytes (0: no
 * limit; otherwise >= MEMKIND_PMEM_MIN_SIZE, rounded up to 2 MiB) into `kind.value`.
 * Errors: MEMKIND_ERROR_INVALID (bad size; errno ENOENT / EACCES / ... when no file can be
 * made in `dir`; EOPNOTSUPP when its file system cannot punch holes), MEMKIND_ERROR_TOOMANY,
 * MEMKIND_ERROR_ENVIRON. `kind.value` is only written on success.
 */
export function memkind_create_pmem(
  dir: string | null,
  max_size: number,
  kind: Out<Kind | null> | null,
): number {
  if (!isOut(kind)) {
    setErrno(EINVAL);
    return MEMKIND_ERROR_INVALID;
  }
  const result = createPmemKind(dir, max_size);
  if (result.kind) kind.value = result.kind;
  return finish(result);
}

/**
 * memkind_create_pmem_with_config: memkind_create_pmem(cfg's path, cfg's size), then the
 * cfg's policy. An invalid policy gives MEMKIND_ERROR_INVALID after the kind was made: as
 * upstream, the kind is kept and `kind.value` set (the caller destroys it).
 */
export function memkind_create_pmem_with_config(
  cfg: memkind_config | null,
  kind: Out<Kind | null> | null,
): number {
  if (!isConfig(cfg) || !isOut(kind)) {
    setErrno(EINVAL);
    return MEMKIND_ERROR_INVALID;
  }
  const status = memkind_create_pmem(cfg.pmem_dir, cfg.pmem_size, kind);
  if (status !== MEMKIND_SUCCESS) return status;
  return setUsagePolicy(kind.value as Kind, cfg.policy);
}

/**
 * memkind_check_dax_path: 0 when `dir` is on a DAX file system (MAP_SYNC mappings work);
 * MEMKIND_ERROR_MMAP with errno EOPNOTSUPP for other file systems (tmpfs, ext4 without
 * -o dax); MEMKIND_ERROR_RUNTIME when no file can be made there (errno ENOENT, EACCES, ...).
 */
export function memkind_check_dax_path(dir: string | null): number {
  return finish(checkDaxPath(dir));
}
