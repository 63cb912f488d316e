/**
 * memkind's environment variables that the heap reads, parsed as upstream parses them
 * (reference/memkind.md section 2). Every tunable is here with its variable's name.
 */
import { availableParallelism } from "node:os";

/** C's strtoul(value, NULL, 10): leading space, a sign, digits; the rest ignored. */
export function strtoul(value: string): { value: bigint; digits: boolean; rest: string } {
  const match = /^\s*([+-]?)(\d*)(.*)$/s.exec(value) as RegExpExecArray;
  const digits = match[2] as string;
  if (digits === "") return { value: 0n, digits: false, rest: value };
  let parsed = BigInt(digits);
  const ULONG_MAX = 2n ** 64n - 1n;
  if (parsed > ULONG_MAX) parsed = ULONG_MAX; // strtoul saturates (and sets ERANGE)
  if (match[1] === "-") parsed = (ULONG_MAX + 1n - parsed) % (ULONG_MAX + 1n); // wraps, as C does
  return { value: parsed, digits: true, rest: match[3] as string };
}

const INT_MAX = 2n ** 31n - 1n;
const ARENA_LIMIT_PER_KIND = 256;

/** The smallest power of two >= n (n >= 1). */
export function roundUpPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}

/**
 * Arenas per arena kind: MEMKIND_ARENA_NUM_PER_KIND rounded up to a power of two, else
 * min(256, 4 * CPUs) rounded up. Returns undefined for a value upstream rejects (0, above
 * INT_MAX): the kind cannot be initialised (MEMKIND_ERROR_ENVIRON).
 */
export function arenasPerKind(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.MEMKIND_ARENA_NUM_PER_KIND;
  if (value === undefined)
    return roundUpPowerOfTwo(Math.min(ARENA_LIMIT_PER_KIND, 4 * availableParallelism()));
  const parsed = strtoul(value).value;
  if (parsed === 0n || parsed > INT_MAX) return undefined;
  return roundUpPowerOfTwo(Number(parsed));
}

/** MEMKIND_HOG_MEMORY: on iff the value starts with '1'. Never purge or unmap. */
export function hogMemory(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MEMKIND_HOG_MEMORY?.[0] === "1";
}

/** jemalloc's dirty_decay_ms for static kinds and the DEFAULT pmem policy. */
export const DEFAULT_DECAY_MS = 10_000;

/**
 * MEMKIND_BACKGROUND_THREAD_LIMIT, parsed as upstream's constructor does: a decimal below
 * 2^32 with nothing after it. Returns the limit (0: none), or undefined for a value upstream
 * rejects with MEMKIND_FATAL and abort(). Here purging runs on one timer per worker, so any
 * valid limit of one or more changes nothing.
 */
export function backgroundThreadLimit(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.MEMKIND_BACKGROUND_THREAD_LIMIT;
  if (value === undefined) return 0;
  const parsed = strtoul(value);
  // strtoul leaves `end` at the start when there are no digits: "" passes (0), "abc" does not.
  const rest = parsed.digits ? parsed.rest : value;
  if (rest !== "" || parsed.value > 2n ** 32n - 1n) return undefined;
  return Number(parsed.value);
}

/**
 * MEMKIND_HEAP_MANAGER: "TBB" selects Intel TBB's scalable allocator upstream; this
 * implementation has only its own jemalloc-style heap. Returns the warning to print, if any.
 */
export function heapManagerWarning(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MEMKIND_HEAP_MANAGER !== "TBB") return undefined;
  return "MEMKIND_HEAP_MANAGER=TBB: the TBB heap manager is not available in memkind for TypeScript; using its jemalloc-style heap";
}
