/**
 * The JS side of every workload. Each function runs in a fresh child process (bench/child.ts)
 * that measures one allocator only, so every call site in a timed loop sees one allocator
 * (monomorphic) and no allocator shares a heap or resident memory with another.
 *
 * Timed loops: one calibration run that doubles the iteration count until a run takes at
 * least `minMs` (this is also the warm-up: the loop is optimised by then), then `reps` timed
 * runs of that many iterations.
 */
import { MemPool } from "@thi.ng/malloc";
import { type MemkindC, memkindResidentBytes } from "./memkind.js";
import { readResident, residentKb } from "./proc.js";
import type { DetectResult, MapResult, PairsResult, ReplayResult } from "./results.js";
import { nowNs } from "./stats.js";
import { liveProfile, mulberry32, type Trace } from "./trace.js";

// ----- shared helpers ----------------------------------------------------------------------

/** The cycling size sequence of small-pairs (same as replay.c): 16 + (i * 97) mod 497. */
export const PAIR_SIZE_COUNT = 497;
export const PAIR_SIZES: Int32Array = Int32Array.from(
  { length: PAIR_SIZE_COUNT },
  (_, i) => 16 + ((i * 97) % PAIR_SIZE_COUNT),
);

/** Where allocated objects go so that V8 cannot drop the allocation. */
let sink: unknown;

/** Keeps `sink` observable (a JIT may not elide stores to it). */
export function sinkType(): string {
  return typeof sink;
}

/** A timed loop: runs `n` iterations and returns the elapsed nanoseconds. */
type Loop = (n: number) => number;

function calibrate(loop: Loop, minNs: number): number {
  let n = 1000;
  while (loop(n) < minNs && n < 2 ** 40) n *= 2;
  return n;
}

interface Series {
  iterations: number;
  nsPer: number[];
}

/** Calibrates (and so warms up) `loop`, then times `reps` runs. */
function timeLoop(loop: Loop, reps: number, minMs: number): Series {
  const iterations = calibrate(loop, minMs * 1e6);
  const nsPer: number[] = [];
  for (let r = 0; r < reps; r++) nsPer.push(loop(iterations) / iterations);
  return { iterations, nsPer };
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, seed: number): Uint32Array {
  const random = mulberry32(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

function checkFailures(what: string, failures: number): void {
  if (failures > 0) throw new Error(`${what}: ${failures} allocations failed`);
}

// ----- small-pairs -------------------------------------------------------------------------

/** Pair loops of one allocator: sizes 16..512 cycling, and 64 B. */
interface PairLoops {
  impl: string;
  mixed: Loop;
  fixed64: Loop;
}

export function memkindPairLoops(api: MemkindC): PairLoops {
  const malloc = api.memkind_malloc;
  const free = api.memkind_free;
  const kind = api.MEMKIND_DEFAULT;
  return {
    impl: "memkind",
    mixed(n) {
      const sizes = PAIR_SIZES;
      let failures = 0;
      let j = 0;
      const t0 = nowNs();
      for (let i = 0; i < n; i++) {
        const p = malloc(kind, sizes[j] as number);
        if (p === 0) failures++;
        free(kind, p);
        if (++j === PAIR_SIZE_COUNT) j = 0;
      }
      const t = nowNs() - t0;
      checkFailures("memkind_malloc", failures);
      return t;
    },
    fixed64(n) {
      let failures = 0;
      const t0 = nowNs();
      for (let i = 0; i < n; i++) {
        const p = malloc(kind, 64);
        if (p === 0) failures++;
        free(kind, p);
      }
      const t = nowNs() - t0;
      checkFailures("memkind_malloc", failures);
      return t;
    },
  };
}

export function thingPairLoops(): PairLoops {
  const pool = new MemPool({ size: 1 << 20 });
  return {
    impl: "@thi.ng/malloc MemPool",
    mixed(n) {
      const sizes = PAIR_SIZES;
      let failures = 0;
      let j = 0;
      const t0 = nowNs();
      for (let i = 0; i < n; i++) {
        const p = pool.malloc(sizes[j] as number);
        if (p === 0) failures++;
        pool.free(p);
        if (++j === PAIR_SIZE_COUNT) j = 0;
      }
      const t = nowNs() - t0;
      checkFailures("MemPool.malloc", failures);
      return t;
    },
    fixed64(n) {
      let failures = 0;
      const t0 = nowNs();
      for (let i = 0; i < n; i++) {
        const p = pool.malloc(64);
        if (p === 0) failures++;
        pool.free(p);
      }
      const t = nowNs() - t0;
      checkFailures("MemPool.malloc", failures);
      return t;
    },
  };
}

export function arrayBufferPairLoops(): PairLoops {
  return {
    impl: `new ArrayBuffer (node ${process.version})`,
    mixed(n) {
      const sizes = PAIR_SIZES;
      let j = 0;
      const t0 = nowNs();
      for (let i = 0; i < n; i++) {
        sink = new ArrayBuffer(sizes[j] as number);
        if (++j === PAIR_SIZE_COUNT) j = 0;
      }
      return nowNs() - t0;
    },
    fixed64(n) {
      const t0 = nowNs();
      for (let i = 0; i < n; i++) sink = new ArrayBuffer(64);
      return nowNs() - t0;
    },
  };
}

export function bufferPairLoops(): PairLoops {
  return {
    impl: `Buffer.allocUnsafe (node ${process.version})`,
    mixed(n) {
      const sizes = PAIR_SIZES;
      let j = 0;
      const t0 = nowNs();
      for (let i = 0; i < n; i++) {
        sink = Buffer.allocUnsafe(sizes[j] as number);
        if (++j === PAIR_SIZE_COUNT) j = 0;
      }
      return nowNs() - t0;
    },
    fixed64(n) {
      const t0 = nowNs();
      for (let i = 0; i < n; i++) sink = Buffer.allocUnsafe(64);
      return nowNs() - t0;
    },
  };
}

export function smallPairs(loops: PairLoops, reps: number, minMs: number): PairsResult {
  const mixed = timeLoop(loops.mixed, reps, minMs);
  const fixed = timeLoop(loops.fixed64, reps, minMs);
  return {
    workload: "small-pairs",
    impl: loops.impl,
    iterations_mixed: mixed.iterations,
    iterations_64: fixed.iterations,
    ns_per_pair_mixed: mixed.nsPer,
    ns_per_pair_64: fixed.nsPer,
  };
}

// ----- detect-kind -------------------------------------------------------------------------

/** Live pointers for detect-kind. */
export const DETECT_LIVE = 100_000;
/** Pointers per batch in the free(null) vs free(DEFAULT) comparison. */
export const FREE_BATCH = 10_000;

/**
 * memkind side of detect-kind: `memkind_detect_kind(p)` over 100 000 live pointers (sizes of
 * the small-pairs cycle) visited in a seeded random order; then `memkind_free(null, p)` vs
 * `memkind_free(MEMKIND_DEFAULT, p)` on batches of 10 000 fresh blocks (only the frees timed).
 */
export function detectKind(api: MemkindC, reps: number, minMs: number, firstRep = 0): DetectResult {
  const { memkind_malloc: malloc, memkind_free: free, memkind_detect_kind: detect } = api;
  const kind = api.MEMKIND_DEFAULT;
  const order = permutation(DETECT_LIVE, 0xdec7);
  const byAddress = new Float64Array(DETECT_LIVE);
  for (let i = 0; i < DETECT_LIVE; i++) {
    const p = malloc(kind, PAIR_SIZES[i % PAIR_SIZE_COUNT] as number);
    if (p === 0) throw new Error("memkind_malloc failed");
    byAddress[i] = p;
  }
  const ptrs = new Float64Array(DETECT_LIVE);
  for (let i = 0; i < DETECT_LIVE; i++) ptrs[i] = byAddress[order[i] as number] as number;

  // n = number of passes over the 100 000 pointers.
  let wrong = 0;
  const passes: Loop = (n) => {
    const t0 = nowNs();
    for (let pass = 0; pass < n; pass++) {
      for (let i = 0; i < DETECT_LIVE; i++) {
        if (detect(ptrs[i] as number) !== kind) wrong++;
      }
    }
    return nowNs() - t0;
  };
  const detectSeries = timeLoopPasses(passes, reps, minMs, DETECT_LIVE);
  if (wrong > 0) throw new Error(`memkind_detect_kind: ${wrong} wrong answers`);
  for (let i = 0; i < DETECT_LIVE; i++) free(kind, byAddress[i] as number);

  // free(null) vs free(DEFAULT): alternate the two, each rep accumulates >= minMs of frees.
  const batch = new Float64Array(FREE_BATCH);
  const batchOrder = permutation(FREE_BATCH, 0xf7ee);
  const fill = (): void => {
    for (let i = 0; i < FREE_BATCH; i++) {
      const p = malloc(kind, PAIR_SIZES[(batchOrder[i] as number) % PAIR_SIZE_COUNT] as number);
      if (p === 0) throw new Error("memkind_malloc failed");
      batch[i] = p;
    }
  };
  const freeNull = (): number => {
    fill();
    const t0 = nowNs();
    for (let i = 0; i < FREE_BATCH; i++) free(null, batch[i] as number);
    return nowNs() - t0;
  };
  const freeDefault = (): number => {
    fill();
    const t0 = nowNs();
    for (let i = 0; i < FREE_BATCH; i++) free(kind, batch[i] as number);
    return nowNs() - t0;
  };
  const perFree = (run: () => number): number => {
    let ns = 0;
    let batches = 0;
    while (ns < minMs * 1e6) {
      ns += run();
      batches++;
    }
    return ns / (batches * FREE_BATCH);
  };
  perFree(freeNull); // warm-up
  perFree(freeDefault);
  const nsNull: number[] = [];
  const nsDefault: number[] = [];
  for (let r = 0; r < reps; r++) {
    if ((firstRep + r) % 2 === 0) {
      nsNull.push(perFree(freeNull));
      nsDefault.push(perFree(freeDefault));
    } else {
      nsDefault.push(perFree(freeDefault));
      nsNull.push(perFree(freeNull));
    }
  }
  return {
    workload: "detect-kind",
    impl: "memkind",
    live: DETECT_LIVE,
    ns_per_detect: detectSeries,
    ns_per_free_null: nsNull,
    ns_per_free_default: nsDefault,
  };
}

/** Like timeLoop, for loops whose iteration is a pass of `perPass` operations. */
function timeLoopPasses(loop: Loop, reps: number, minMs: number, perPass: number): number[] {
  let n = 1;
  while (loop(n) < minMs * 1e6 && n < 2 ** 30) n *= 2;
  const out: number[] = [];
  for (let r = 0; r < reps; r++) out.push(loop(n) / (n * perPass));
  return out;
}

/**
 * The detect-kind reference: one `Map.get` on an integer key, in a Map of 100 000 distinct
 * integer keys (small integers, as a page-number -> kind table would use), visited in the same
 * kind of seeded random order.
 */
export function mapGet(reps: number, minMs: number): MapResult {
  const value = { kind: "DEFAULT" };
  const map = new Map<number, object>();
  const order = permutation(DETECT_LIVE, 0xdec7);
  const keys = new Int32Array(DETECT_LIVE);
  for (let i = 0; i < DETECT_LIVE; i++) {
    const key = ((order[i] as number) * 7919) % 2 ** 30;
    keys[i] = key;
    map.set(key, value);
  }
  let wrong = 0;
  const passes: Loop = (n) => {
    const t0 = nowNs();
    for (let pass = 0; pass < n; pass++) {
      for (let i = 0; i < DETECT_LIVE; i++) {
        if (map.get(keys[i] as number) !== value) wrong++;
      }
    }
    return nowNs() - t0;
  };
  const series = timeLoopPasses(passes, reps, minMs, DETECT_LIVE);
  if (wrong > 0) throw new Error(`Map.get: ${wrong} wrong answers`);
  return { workload: "detect-kind-map", impl: "Map.get", keys: DETECT_LIVE, ns_per_get: series };
}

// ----- trace replay (churn, large-purge) ---------------------------------------------------

/** An allocator as the trace replayer drives it. */
export interface TraceAllocator {
  impl: string;
  malloc(size: number): number;
  free(ptr: number): void;
  /** Writes the first byte and one byte per 4 KiB page of the block. */
  touch(ptr: number, size: number, value: number): void;
  /** After everything is freed (large-purge): give memory back if the allocator can. */
  purge(): void;
  /** The allocator's own resident statistic, if it has one. */
  residentBytes(): number | undefined;
}

const PAGE = 4096;

export function memkindTraceAllocator(api: MemkindC): TraceAllocator {
  const { memkind_malloc: malloc, memkind_free: free, view } = api;
  const kind = api.MEMKIND_DEFAULT;
  const purge = api.memkind_purge;
  return {
    impl: "memkind",
    malloc: (size) => malloc(kind, size),
    free: (ptr) => free(kind, ptr),
    touch(ptr, size, value) {
      const bytes = view(ptr, size);
      for (let off = 0; off < size; off += PAGE) bytes[off] = value;
    },
    purge() {
      purge?.(null);
    },
    residentBytes: () => memkindResidentBytes(api),
  };
}

/** @thi.ng/malloc over one ArrayBuffer of `poolBytes` (must stay below 4 GiB). */
export function thingTraceAllocator(poolBytes: number): TraceAllocator {
  const pool = new MemPool({ size: poolBytes });
  const u8 = new Uint8Array(pool.buf);
  return {
    impl: `@thi.ng/malloc MemPool (${Math.round(poolBytes / 2 ** 20)} MiB pool)`,
    malloc: (size) => pool.malloc(size),
    free: (ptr) => {
      pool.free(ptr);
    },
    touch(ptr, size, value) {
      for (let off = 0; off < size; off += PAGE) u8[ptr + off] = value;
    },
    purge() {},
    residentBytes: () => undefined,
  };
}

/** The first ops are also timed on their own (as in replay.c's FIRST_OPS). */
const FIRST_OPS = 2000;

/** Resident samples over the op phase besides the peak-live point (as in replay.c). */
const SAMPLES = 16;

declare const gc: (() => void) | undefined;

function collectGarbage(): void {
  if (typeof gc === "function") {
    gc();
    gc();
  }
}

/**
 * Replays the first `nops` ops of `trace` (same procedure as replay.c). `makeAllocator` runs
 * after the baseline sample, so whatever the allocator maps up front counts against it.
 */
export function replayTrace(
  workload: "churn" | "large-purge",
  trace: Trace,
  nops: number,
  makeAllocator: () => TraceAllocator,
): ReplayResult {
  const { nlive, warm, ops } = trace;
  const { peakLive, peakAt } = liveProfile(trace, nops);
  const slots = new Float64Array(nlive);
  const every = Math.max(1, Math.floor(nops / SAMPLES));
  let peakKb = 0;
  let atPeakKb = 0;
  let statPeak: number | undefined;
  const sample = (isPeak: boolean, a: TraceAllocator): void => {
    const rss = residentKb();
    if (rss > peakKb) peakKb = rss;
    if (isPeak) atPeakKb = rss;
    const stat = a.residentBytes();
    if (stat !== undefined && (statPeak === undefined || stat > statPeak)) statPeak = stat;
  };

  collectGarbage();
  const v8Baseline = process.memoryUsage().heapTotal;
  const baselineKb = residentKb();
  peakKb = baselineKb;
  const a = makeAllocator();

  let t0 = nowNs();
  for (let i = 0; i < nlive; i++) {
    const size = warm[i] as number;
    const p = a.malloc(size);
    if (p === 0) throw new Error(`${a.impl}: malloc(${size}) failed in the warm-up (block ${i})`);
    a.touch(p, size, 1);
    slots[i] = p;
  }
  const warmNs = nowNs() - t0;
  sample(peakAt === 0, a);

  let samplingNs = 0;
  let firstNs = 0;
  const firstOps = Math.min(nops, FIRST_OPS);
  t0 = nowNs();
  for (let k = 0; k < nops; k++) {
    const victim = ops[2 * k] as number;
    const size = ops[2 * k + 1] as number;
    a.free(slots[victim] as number);
    const p = a.malloc(size);
    if (p === 0) throw new Error(`${a.impl}: malloc(${size}) failed at op ${k}`);
    a.touch(p, size, k & 0xff);
    slots[victim] = p;
    if (k + 1 === peakAt || (k + 1) % every === 0) {
      const s0 = nowNs();
      sample(k + 1 === peakAt, a);
      samplingNs += nowNs() - s0;
    }
    if (k + 1 === firstOps) firstNs = nowNs() - t0 - samplingNs;
  }
  const opsNs = nowNs() - t0 - samplingNs;
  const endKb = residentKb();
  if (endKb > peakKb) peakKb = endKb;
  const hwmKb = readResident().hwmKb;
  const v8End = process.memoryUsage().heapTotal;

  let afterKb = -1;
  let freeAllNs = 0;
  let statAfter: number | undefined;
  if (workload === "large-purge") {
    t0 = nowNs();
    for (let i = 0; i < nlive; i++) a.free(slots[i] as number);
    a.purge();
    freeAllNs = nowNs() - t0;
    afterKb = residentKb();
    statAfter = a.residentBytes();
  }
  const result: ReplayResult = {
    workload,
    impl: a.impl,
    nlive,
    ops: nops,
    seed: trace.seed,
    ns_per_op: nops > 0 ? opsNs / nops : 0,
    warm_ns_per_alloc: warmNs / nlive,
    peak_live_bytes: peakLive,
    peak_at_op: peakAt,
    baseline_kb: baselineKb,
    peak_kb: peakKb,
    at_peak_kb: atPeakKb,
    hwm_kb: hwmKb,
    end_kb: endKb,
    after_kb: afterKb,
    free_all_ns: freeAllNs,
    first_ops: firstOps,
    first_ns_per_op: firstOps > 0 ? firstNs / firstOps : 0,
    v8_heap_baseline_bytes: v8Baseline,
    v8_heap_end_bytes: v8End,
  };
  if (statPeak !== undefined) result.stat_peak_bytes = statPeak;
  if (statAfter !== undefined) result.stat_after_bytes = statAfter;
  return result;
}
