/**
 * memkind_create_fixed and memkind_create (reference/memkind.md sections 1.5 and 1.11), the
 * memkind_ops structure and the provided operations users build theirs from:
 *
 *   const ops: memkind_ops = {
 *     ...MEMKIND_ARENA_OPS,                          // create, destroy, malloc ... free
 *     mbind: memkind_default_mbind,
 *     get_mbind_mode: memkind_preferred_get_mbind_mode,
 *     get_mbind_nodemask: memkind_default_get_mbind_nodemask,
 *   };
 *   const out = { value: null };
 *   memkind_create(ops, "my_kind", out);             // MEMKIND_SUCCESS, out.value: the kind
 *
 * Memory slots (mmap, munmap, mbind, madvise, get_mmap_flags, get_mbind_mode,
 * get_mbind_nodemask, check_available, finalize) are called as upstream calls them: mmap, when
 * set, replaces memkind_default_mmap (flags, mmap, mbind, madvise) entirely; a chunk whose mmap
 * address is not aligned is mapped again with room to spare and trimmed with munmap (the
 * `munmap` slot, an extension; default munmap(2)). The heap slots (malloc, calloc,
 * posix_memalign, realloc, free) must be present, as upstream requires, and must be this
 * library's memkind_arena_* functions: allocation always goes through this heap (a different
 * function there is MEMKIND_ERROR_BADOPS, "incorrect functions"). create runs after the kind
 * is registered (its error undoes the registration and is returned); destroy runs on
 * memkind_destroy_kind once the kind's chunks are unmapped; finalize at process exit for a
 * kind still alive.
 */
import {
  MEMKIND_ERROR_BADOPS,
  MEMKIND_ERROR_INVALID,
  MEMKIND_ERROR_MBIND,
  MEMKIND_ERROR_TOOMANY,
  MEMKIND_SUCCESS,
  MemkindError,
} from "../kinds/errors.js";
import { createFixedKind } from "../kinds/fixed-kind.js";
import { Kind } from "../kinds/kind.js";
import { logError } from "../kinds/log.js";
import { destroyKind, MEMKIND_MAX_KIND, registeredKinds } from "../kinds/registry.js";
import { abandonKind, createUserKind, type KindOperations } from "../kinds/user-kind.js";
import "../kinds/dynamic-kinds.js";
import {
  defaultPlatform,
  MADV_NOHUGEPAGE,
  MAP_ANONYMOUS,
  MAP_FAILED,
  MAP_PRIVATE,
  MPOL_BIND,
  MPOL_INTERLEAVE,
  MPOL_PREFERRED,
  machineTopology,
  PlatformError,
  PROT_READ,
  PROT_WRITE,
} from "../platform/index.js";
import type { memkind_t, Out, Ptr } from "./c.js";
import {
  memkind_calloc,
  memkind_free,
  memkind_malloc,
  memkind_posix_memalign,
  memkind_realloc,
} from "./c.js";

export { MAP_FAILED };

type Code = number;

/** memkind's struct memkind_ops: a slot is a function, or absent / null. */
export interface memkind_ops {
  create?: ((kind: memkind_t, ops: memkind_ops, name: string) => Code) | null;
  destroy?: ((kind: memkind_t) => Code) | null;
  malloc?: ((kind: memkind_t, size: number) => Ptr) | null;
  calloc?: ((kind: memkind_t, num: number, size: number) => Ptr) | null;
  posix_memalign?:
    | ((kind: memkind_t, memptr: Out<Ptr>, alignment: number, size: number) => number)
    | null;
  realloc?: ((kind: memkind_t, ptr: Ptr, size: number) => Ptr) | null;
  free?: ((kind: memkind_t, ptr: Ptr) => void) | null;
  /** Maps `size` bytes (addr is 0); returns the address or MAP_FAILED. */
  mmap?: ((kind: memkind_t, addr: Ptr, size: number) => Ptr) | null;
  /** Extension: unmaps part of what mmap mapped; 0 or -1. Default munmap(2). */
  munmap?: ((kind: memkind_t, addr: Ptr, size: number) => Code) | null;
  mbind?: ((kind: memkind_t, ptr: Ptr, size: number) => Code) | null;
  madvise?: ((kind: memkind_t, addr: Ptr, size: number) => Code) | null;
  get_mmap_flags?: ((kind: memkind_t, flags: Out<number>) => Code) | null;
  get_mbind_mode?: ((kind: memkind_t, mode: Out<number>) => Code) | null;
  /** Sets `nodemask.value` to the nodes (a list of node numbers below `maxnode`). */
  get_mbind_nodemask?:
    | ((kind: memkind_t, nodemask: Out<readonly number[]>, maxnode: number) => Code)
    | null;
  check_available?: ((kind: memkind_t) => Code) | null;
  /** Must be absent: upstream refuses a user kind with init_once (BADOPS). */
  init_once?: (() => void) | null;
  finalize?: ((kind: memkind_t) => Code) | null;
  /** Served by the heap: must be absent. */
  get_arena?: null;
  malloc_usable_size?: null;
  update_memory_usage_policy?: null;
  get_stat?: null;
  defrag_reallocate?: null;
}

/** The most nodes a node mask passed to get_mbind_nodemask may name (the kernel's limit). */
const MAXNODE = 1024;

/** memkind_arena_create: the default create; the name rules are the registry's. */
export function memkind_arena_create(_kind: memkind_t, _ops: memkind_ops, name: string): Code {
  return typeof name === "string" && name.length < 64 ? MEMKIND_SUCCESS : MEMKIND_ERROR_INVALID;
}

/** memkind_arena_destroy: the default destroy (the registry releases the arena). */
export function memkind_arena_destroy(_kind: memkind_t): Code {
  return MEMKIND_SUCCESS;
}

/** memkind_arena_malloc: memkind_malloc on the kind's arena. */
export function memkind_arena_malloc(kind: memkind_t, size: number): Ptr {
  return memkind_malloc(kind, size);
}

export function memkind_arena_calloc(kind: memkind_t, num: number, size: number): Ptr {
  return memkind_calloc(kind, num, size);
}

export function memkind_arena_posix_memalign(
  kind: memkind_t,
  memptr: Out<Ptr>,
  alignment: number,
  size: number,
): number {
  return memkind_posix_memalign(kind, memptr, alignment, size);
}

export function memkind_arena_realloc(kind: memkind_t, ptr: Ptr, size: number): Ptr {
  return memkind_realloc(kind, ptr, size);
}

export function memkind_arena_free(kind: memkind_t, ptr: Ptr): void {
  memkind_free(kind, ptr);
}

/** The default operations of an arena kind: pages from anonymous mmap, no binding. */
export const MEMKIND_ARENA_OPS: Readonly<memkind_ops> = Object.freeze({
  create: memkind_arena_create,
  destroy: memkind_arena_destroy,
  malloc: memkind_arena_malloc,
  calloc: memkind_arena_calloc,
  posix_memalign: memkind_arena_posix_memalign,
  realloc: memkind_arena_realloc,
  free: memkind_arena_free,
});

const REQUIRED = [
  "create",
  "destroy",
  "malloc",
  "calloc",
  "realloc",
  "posix_memalign",
  "free",
] as const;
const HEAP_SLOTS: Readonly<Record<string, unknown>> = {
  malloc: memkind_arena_malloc,
  calloc: memkind_arena_calloc,
  posix_memalign: memkind_arena_posix_memalign,
  realloc: memkind_arena_realloc,
  free: memkind_arena_free,
};
const SERVED_BY_HEAP = [
  "get_arena",
  "malloc_usable_size",
  "update_memory_usage_policy",
  "get_stat",
  "defrag_reallocate",
] as const;
const MEMORY_SLOTS = [
  "mmap",
  "munmap",
  "mbind",
  "madvise",
  "get_mmap_flags",
  "get_mbind_mode",
  "get_mbind_nodemask",
  "check_available",
  "finalize",
] as const;

/** The ops each user kind was created with (memkind_default_mbind and others read them). */
const opsOf = new WeakMap<Kind, memkind_ops>();

const present = (slot: unknown) => slot !== undefined && slot !== null;

/** Why `ops` is poorly formed (MEMKIND_ERROR_BADOPS), or undefined. */
function badOps(ops: unknown): string | undefined {
  if (typeof ops !== "object" || ops === null) return "ops must be a memkind_ops object";
  const slots = ops as Record<string, unknown>;
  for (const name of REQUIRED) {
    if (typeof slots[name] !== "function") return `ops.${name} is missing`;
  }
  if (present(slots.init_once))
    return "ops.init_once must be NULL for a kind made by memkind_create";
  for (const [name, fn] of Object.entries(HEAP_SLOTS)) {
    if (slots[name] !== fn)
      return `ops.${name} must be memkind_arena_${name}: allocation always goes through this heap`;
  }
  for (const name of SERVED_BY_HEAP) {
    if (present(slots[name])) return `ops.${name} is served by the heap and must be NULL`;
  }
  for (const name of MEMORY_SLOTS) {
    if (present(slots[name]) && typeof slots[name] !== "function")
      return `ops.${name} must be a function or NULL`;
  }
  return undefined;
}

/** A memkind code as an error for the heap's provider to fail with. */
function codeError(call: string, code: number): MemkindError {
  return new MemkindError(`${call} returned ${code}`, code);
}

/** The ops of `kind` as the provider's memory operations, with upstream's call pattern. */
function operationsOf(ops: memkind_ops, kind: () => Kind, name: string): KindOperations {
  const out = <T>(value: T): Out<T> => ({ value });
  const mmap = ops.mmap ?? undefined;
  return {
    ...(mmap
      ? {
          map: (length: number) => {
            const addr = mmap(kind(), 0, length);
            if (addr === MAP_FAILED || addr === 0)
              throw new PlatformError(`${name}: ops.mmap(${length})`, 12, "returned MAP_FAILED");
            return addr;
          },
          // A user's mmap replaces memkind_default_mmap, which is what binds and advises.
          bind: () => undefined,
        }
      : {
          bind: (addr: number, length: number) => {
            const code = ops.mbind?.(kind(), addr, length) ?? MEMKIND_SUCCESS;
            if (code !== MEMKIND_SUCCESS) throw codeError(`${name}: ops.mbind`, code);
          },
          advise: (addr: number, length: number) => {
            const code = ops.madvise?.(kind(), addr, length) ?? MEMKIND_SUCCESS;
            if (code !== MEMKIND_SUCCESS) throw codeError(`${name}: ops.madvise`, code);
          },
          mmapFlags: () => {
            if (!ops.get_mmap_flags) return MAP_PRIVATE | MAP_ANONYMOUS;
            const flags = out(MAP_PRIVATE | MAP_ANONYMOUS);
            const code = ops.get_mmap_flags(kind(), flags);
            if (code !== MEMKIND_SUCCESS) throw codeError(`${name}: ops.get_mmap_flags`, code);
            return flags.value;
          },
        }),
    ...(ops.munmap
      ? {
          unmap: (addr: number, length: number) => {
            const code = (ops.munmap as NonNullable<memkind_ops["munmap"]>)(kind(), addr, length);
            if (code !== 0) throw codeError(`${name}: ops.munmap`, code);
          },
        }
      : {}),
    ...(ops.check_available
      ? { checkAvailable: () => (ops.check_available as (k: Kind) => number)(kind()) }
      : {}),
    destroy: () => (ops.destroy as (k: Kind) => number)(kind()),
    ...(ops.finalize ? { finalize: () => void (ops.finalize as (k: Kind) => number)(kind()) } : {}),
  };
}

/**
 * memkind_create: a user-defined kind over `ops` into `kind.value` (NULL first, as upstream).
 * Registry full -> MEMKIND_ERROR_TOOMANY; ops missing create / destroy / malloc / calloc /
 * realloc / posix_memalign / free, with init_once, or with slots that are not functions or not
 * this heap's -> MEMKIND_ERROR_BADOPS; a name taken or of 64 characters or more ->
 * MEMKIND_ERROR_INVALID; an error of ops.create -> that error.
 */
export function memkind_create(
  ops: memkind_ops,
  name: string,
  kind: Out<memkind_t | null>,
): number {
  if (typeof kind !== "object" || kind === null) return MEMKIND_ERROR_INVALID;
  kind.value = null;
  if (registeredKinds() >= MEMKIND_MAX_KIND) {
    logError(`Attempted to initialize more than maximum (${MEMKIND_MAX_KIND}) number of kinds.`);
    return MEMKIND_ERROR_TOOMANY;
  }
  const bad = badOps(ops);
  if (bad) {
    logError(`memkind_create(): ${bad}`);
    return MEMKIND_ERROR_BADOPS;
  }
  let made: Kind | undefined;
  const creation = createUserKind(
    name,
    operationsOf(ops, () => made as Kind, String(name)),
  );
  if (!("kind" in creation)) {
    logError(creation.message);
    return creation.code;
  }
  made = creation.kind;
  opsOf.set(made, ops);
  const code = (ops.create as NonNullable<memkind_ops["create"]>)(made, ops, name);
  if (code !== MEMKIND_SUCCESS) {
    abandonKind(made);
    destroyKind(made);
    return code;
  }
  kind.value = made;
  return MEMKIND_SUCCESS;
}

/**
 * memkind_create_fixed: a kind living in `mem` only (an ArrayBuffer, a SharedArrayBuffer or an
 * address; `size` bytes from its start) into `kind.value`. Bad memory or size ->
 * MEMKIND_ERROR_INVALID (upstream checks nothing); registry full -> MEMKIND_ERROR_TOOMANY; two
 * kinds over the same start -> MEMKIND_ERROR_INVALID (same name, "fixed%p").
 */
export function memkind_create_fixed(
  mem: ArrayBuffer | SharedArrayBuffer | Ptr,
  size: number,
  kind: Out<memkind_t | null>,
): number {
  if (typeof kind !== "object" || kind === null) return MEMKIND_ERROR_INVALID;
  kind.value = null;
  if (registeredKinds() >= MEMKIND_MAX_KIND) return MEMKIND_ERROR_TOOMANY;
  const creation = createFixedKind(mem, size);
  if (!("kind" in creation)) {
    logError(creation.message);
    return creation.code;
  }
  kind.value = creation.kind;
  return MEMKIND_SUCCESS;
}

/**
 * memkind_default_mmap: get_mmap_flags (default MAP_PRIVATE | MAP_ANONYMOUS), mmap, then the
 * kind's mbind and madvise; any failure unmaps and gives MAP_FAILED. For mmap slots that wrap it.
 */
export function memkind_default_mmap(kind: memkind_t, addr: Ptr, size: number): Ptr {
  const ops = kind instanceof Kind ? opsOf.get(kind) : undefined;
  const flags = { value: MAP_PRIVATE | MAP_ANONYMOUS };
  if (ops?.get_mmap_flags && ops.get_mmap_flags(kind, flags) !== MEMKIND_SUCCESS) return MAP_FAILED;
  const platform = defaultPlatform();
  let result: number;
  try {
    result = platform.mmap(addr, size, PROT_READ | PROT_WRITE, flags.value, -1, 0);
  } catch {
    return MAP_FAILED;
  }
  const failed =
    (ops?.mbind && ops.mbind(kind, result, size) !== MEMKIND_SUCCESS) ||
    (ops?.madvise && ops.madvise(kind, result, size) !== MEMKIND_SUCCESS);
  if (failed) {
    platform.munmap(result, size);
    return MAP_FAILED;
  }
  return result;
}

/**
 * memkind_default_mbind: mbind(2) of [ptr, ptr + size) with the kind's get_mbind_mode and
 * get_mbind_nodemask (both needed: else MEMKIND_ERROR_BADOPS); their error is returned; a
 * failing mbind gives MEMKIND_ERROR_MBIND.
 */
export function memkind_default_mbind(kind: memkind_t, ptr: Ptr, size: number): Code {
  const ops = kind instanceof Kind ? opsOf.get(kind) : undefined;
  if (!ops?.get_mbind_nodemask || !ops.get_mbind_mode) {
    logError("memkind_default_mbind(): the kind needs get_mbind_nodemask and get_mbind_mode");
    return MEMKIND_ERROR_BADOPS;
  }
  const nodes: Out<readonly number[]> = { value: [] };
  let code = ops.get_mbind_nodemask(kind, nodes, MAXNODE);
  if (code !== MEMKIND_SUCCESS) return code;
  const mode = { value: MPOL_BIND };
  code = ops.get_mbind_mode(kind, mode);
  if (code !== MEMKIND_SUCCESS) return code;
  try {
    defaultPlatform().mbind(ptr, size, mode.value, nodes.value, 0);
  } catch (error) {
    logError(`memkind_default_mbind(): ${(error as Error).message}`);
    return MEMKIND_ERROR_MBIND;
  }
  return MEMKIND_SUCCESS;
}

/** memkind_default_get_mbind_mode: MPOL_BIND. */
export function memkind_default_get_mbind_mode(_kind: memkind_t, mode: Out<number>): Code {
  mode.value = MPOL_BIND;
  return MEMKIND_SUCCESS;
}

/** memkind_preferred_get_mbind_mode: MPOL_PREFERRED. */
export function memkind_preferred_get_mbind_mode(_kind: memkind_t, mode: Out<number>): Code {
  mode.value = MPOL_PREFERRED;
  return MEMKIND_SUCCESS;
}

/** memkind_interleave_get_mbind_mode: MPOL_INTERLEAVE. */
export function memkind_interleave_get_mbind_mode(_kind: memkind_t, mode: Out<number>): Code {
  mode.value = MPOL_INTERLEAVE;
  return MEMKIND_SUCCESS;
}

/** memkind_default_get_mbind_nodemask: every node with memory. */
export function memkind_default_get_mbind_nodemask(
  _kind: memkind_t,
  nodemask: Out<readonly number[]>,
  maxnode: number,
): Code {
  nodemask.value = machineTopology().withMemory.filter((node) => node < maxnode);
  return MEMKIND_SUCCESS;
}

/** memkind_default_get_mmap_flags: MAP_PRIVATE | MAP_ANONYMOUS. */
export function memkind_default_get_mmap_flags(_kind: memkind_t, flags: Out<number>): Code {
  flags.value = MAP_PRIVATE | MAP_ANONYMOUS;
  return MEMKIND_SUCCESS;
}

/** memkind_nohugepage_madvise: MADV_NOHUGEPAGE; EINVAL (no THP in this kernel) counts as done. */
export function memkind_nohugepage_madvise(_kind: memkind_t, addr: Ptr, size: number): Code {
  try {
    defaultPlatform().madvise(addr, size, MADV_NOHUGEPAGE);
  } catch (error) {
    return error instanceof PlatformError && error.code === "EINVAL" ? MEMKIND_SUCCESS : -1;
  }
  return MEMKIND_SUCCESS;
}
