/**
 * User-defined kinds (memkind_create, reference/memkind.md section 1.5): a kind whose pages
 * come from memory operations over the defaults (providers/operations.ts), registered with
 * upstream's rules (512 kinds -> TOOMANY; a name of 64 characters or more, or taken ->
 * INVALID; operations that are not functions -> BADOPS).
 *
 * Lifecycle: `checkAvailable` runs on memkind_check_available and before each new chunk
 * (an unavailable kind fails allocations with ENOMEM, as upstream's extent hook does);
 * `destroy` runs on memkind_destroy_kind after the kind's chunks are unmapped; `finalize` runs
 * at process exit for a kind still alive (upstream's memkind_finalize destructor).
 */
import { defaultPlatform, machineTopology, type Platform } from "../platform/index.js";
import { type MemoryOperations, OperationsProvider } from "../providers/operations.js";
import {
  MEMKIND_ERROR_BADOPS,
  MEMKIND_ERROR_INVALID,
  MEMKIND_SUCCESS,
  MemkindError,
} from "./errors.js";
import type { Creation } from "./fixed-kind.js";
import type { Kind } from "./kind.js";
import { registerKind } from "./registry.js";

export interface KindOperations extends MemoryOperations {
  /** MEMKIND_SUCCESS, or the code that makes the kind unavailable now (default success). */
  readonly checkAvailable?: () => number;
  /** memkind_get_capacity: bytes the kind can hold (default -1, "not supported"). */
  readonly capacity?: () => number;
  /** memkind_destroy_kind, after the kind's chunks are unmapped: a code (default success). */
  readonly destroy?: () => number;
  /** At process exit, for a kind not destroyed by then. */
  readonly finalize?: () => void;
  /** Milliseconds a free dirty run waits before it is purged (default 10 s). */
  readonly decayMs?: number;
}

const FUNCTIONS = [
  "map",
  "unmap",
  "mmapFlags",
  "bind",
  "mbindMode",
  "mbindNodes",
  "advise",
  "ready",
  "purge",
  "checkAvailable",
  "capacity",
  "destroy",
  "finalize",
] as const;

/** Kinds whose `destroy` must not run: their creation failed after registration. */
const abandoned = new WeakSet<Kind>();
/** Live kinds with a `finalize`, run at exit. */
const toFinalize = new Map<Kind, () => void>();
let exitHook = false;

let memoryNodes: readonly number[] | undefined;
/** Every node with memory (memkind_default_get_mbind_nodemask), read once. */
function allNodes(): readonly number[] {
  memoryNodes ??= [...machineTopology().withMemory];
  return memoryNodes;
}

/** Why `operations` is malformed, or undefined. */
function malformed(operations: unknown): string | undefined {
  if (typeof operations !== "object" || operations === null) return "operations must be an object";
  const ops = operations as Record<string, unknown>;
  for (const name of FUNCTIONS) {
    if (ops[name] !== undefined && typeof ops[name] !== "function")
      return `operation ${name} must be a function`;
  }
  if (ops.zeroed !== undefined && typeof ops.zeroed !== "boolean")
    return "zeroed must be a boolean";
  if (ops.decayMs !== undefined && !(Number.isFinite(ops.decayMs) && (ops.decayMs as number) >= 0))
    return "decayMs must be a non-negative number";
  return undefined;
}

/** Creates and registers a user-defined kind named `name` over `operations`. */
export function createUserKind(
  name: unknown,
  operations: KindOperations,
  platform: Platform = defaultPlatform(),
): Creation {
  const bad = malformed(operations);
  if (bad) return { code: MEMKIND_ERROR_BADOPS, message: `memkind_create(): ${bad}` };
  if (typeof name !== "string")
    return { code: MEMKIND_ERROR_INVALID, message: "memkind_create(): the name must be a string" };
  const check = operations.checkAvailable;
  const memory: MemoryOperations = {
    ...operations,
    ready: () => {
      const code = check?.() ?? MEMKIND_SUCCESS;
      if (code !== MEMKIND_SUCCESS) throw new MemkindError(`kind ${name} is not available`, code);
      operations.ready?.();
    },
  };
  let kind: Kind | undefined;
  const registration = registerKind({
    name,
    provider: () => new OperationsProvider(`user kind ${name}`, platform, memory, allNodes),
    ...(check ? { checkAvailable: check } : {}),
    ...(operations.capacity ? { capacity: operations.capacity } : {}),
    ...(operations.decayMs !== undefined ? { decayMs: operations.decayMs } : {}),
    finalize: () => {
      toFinalize.delete(kind as Kind);
      if (abandoned.has(kind as Kind)) return MEMKIND_SUCCESS;
      return operations.destroy?.() ?? MEMKIND_SUCCESS;
    },
  });
  if (!("kind" in registration))
    return { code: registration.code, message: `memkind_create(): cannot register ${name}` };
  kind = registration.kind;
  if (operations.finalize) {
    toFinalize.set(kind, operations.finalize);
    if (!exitHook) {
      exitHook = true;
      process.once("exit", () => {
        for (const finalize of [...toFinalize.values()]) finalize();
      });
    }
  }
  return { code: MEMKIND_SUCCESS, kind };
}

/** Marks a kind whose creation failed after registration: destroying it skips `destroy`. */
export function abandonKind(kind: Kind): void {
  abandoned.add(kind);
}
