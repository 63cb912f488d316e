/**
 * What one measurement run prints (one JSON line): the C peer (bench/peers/replay.c) and the
 * JS child (bench/child.ts) use the same field names, so the runner reads both alike.
 */

/** small-pairs: per repetition, ns per malloc+free pair. */
export interface PairsResult {
  workload: "small-pairs";
  impl: string;
  iterations_mixed: number;
  iterations_64: number;
  ns_per_pair_mixed: number[];
  ns_per_pair_64: number[];
}

/** churn / large-purge: one replay of a trace in a fresh process. */
export interface ReplayResult {
  workload: "churn" | "large-purge";
  impl: string;
  nlive: number;
  /** Ops replayed (a prefix of the trace when capped). */
  ops: number;
  seed: number;
  ns_per_op: number;
  warm_ns_per_alloc: number;
  /** Max over the replayed prefix of the sum of requested sizes of live blocks. */
  peak_live_bytes: number;
  peak_at_op: number;
  /** Resident before the first allocation. */
  baseline_kb: number;
  /** Max resident over the samples (end of warm-up, peak-live point, 16 periodic, end). */
  peak_kb: number;
  /** Resident at the point of peak live bytes. */
  at_peak_kb: number;
  /** VmHWM at the end of the op phase. */
  hwm_kb: number;
  end_kb: number;
  /** large-purge: resident after freeing everything (and memkind_purge); -1 for churn. */
  after_kb: number;
  free_all_ns: number;
  /** The first min(ops, 2000) ops timed on their own (warm-up, growth to the peak footprint). */
  first_ops: number;
  first_ns_per_op: number;
  /** memkind only: its own resident statistic, max over the samples / after purge. */
  stat_peak_bytes?: number;
  stat_after_bytes?: number;
  /** JS only: V8 heapTotal at the baseline and at the end of the op phase. */
  v8_heap_baseline_bytes?: number;
  v8_heap_end_bytes?: number;
}

/** detect-kind, memkind side. */
export interface DetectResult {
  workload: "detect-kind";
  impl: string;
  live: number;
  ns_per_detect: number[];
  ns_per_free_null: number[];
  ns_per_free_default: number[];
}

/** detect-kind, Map side. */
export interface MapResult {
  workload: "detect-kind-map";
  impl: string;
  keys: number;
  ns_per_get: number[];
}

/** A run that could not measure: the allocator is missing or failed. */
export interface FailedResult {
  workload: string;
  impl?: string;
  error?: string;
  unavailable?: string;
}

export type AnyResult = PairsResult | ReplayResult | DetectResult | MapResult;
