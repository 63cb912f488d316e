/**
 * memkind's benchmark suite: `npm run bench [-- --quick] [--reps N] [--json FILE]`.
 *
 * Workloads (bench/README.md): small-pairs, churn, detect-kind, large-purge. Every number is
 * measured in this run, against peers measured in the same run: glibc malloc, jemalloc and
 * mimalloc (one C program, bench/peers/replay.c), @thi.ng/malloc, new ArrayBuffer,
 * Buffer.allocUnsafe and Map.get. Each allocator runs in its own process (a fresh one per
 * repetition where resident memory is measured). Timings are reported, never asserted.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  CACHE_DIR,
  type NativePeer,
  type NativeSetup,
  parseResult,
  runNative,
  setupNativePeers,
} from "./lib/peers.js";
import {
  evaluate,
  formatFactor,
  formatMiB,
  formatNs,
  formatPercent,
  type Metric,
  metricJson,
  type Row,
  renderMetric,
  type Target,
  type TargetResult,
} from "./lib/report.js";
import type {
  AnyResult,
  DetectResult,
  FailedResult,
  MapResult,
  PairsResult,
  ReplayResult,
} from "./lib/results.js";
import { ensureTraceFile, liveProfile, readTrace, type TraceSpec } from "./lib/trace.js";

// ----- configuration -----------------------------------------------------------------------

interface Config {
  reps: number;
  /** Minimum duration of one timed loop. */
  minMs: number;
  /** Ops of the churn trace replayed by memkind and the C peers. */
  churnOps: number;
  /** Ops of the churn trace replayed by @thi.ng/malloc (its free is O(live blocks)). */
  thingChurnOps: number;
  /** Ops of the large-purge trace. */
  largeOps: number;
  thingLargeOps: number;
}

const FULL: Config = {
  reps: 5,
  minMs: 50,
  churnOps: 1_000_000,
  thingChurnOps: 1_000,
  largeOps: 20_000,
  thingLargeOps: 20_000,
};

const QUICK: Config = {
  reps: 3,
  minMs: 50,
  churnOps: 200_000,
  thingChurnOps: 300,
  // As in a full run: fewer ops would time the warm-up (see large-purge/first-ops).
  largeOps: 20_000,
  thingLargeOps: 20_000,
};

/** churn: 100 000 live blocks, log-uniform 8 B - 64 KiB. Quick mode replays a prefix. */
const CHURN_TRACE: TraceSpec = {
  name: "churn",
  nlive: 100_000,
  nops: FULL.churnOps,
  minSize: 8,
  maxSize: 64 * 1024,
  seed: 0x6d656d31,
};

/** large-purge: 256 live blocks, log-uniform 64 KiB - 8 MiB. */
const LARGE_TRACE: TraceSpec = {
  name: "large",
  nlive: 256,
  nops: FULL.largeOps,
  minSize: 64 * 1024,
  maxSize: 8 * 1024 * 1024,
  seed: 0x6d656d32,
};

const WORKLOADS = ["small-pairs", "churn", "detect-kind", "large-purge"] as const;
type Workload = (typeof WORKLOADS)[number];

const CHILD = fileURLToPath(new URL("./child.js", import.meta.url));
const TIMEOUT_MS = 300_000;
const MiB = 2 ** 20;

// ----- running one measurement -------------------------------------------------------------

type Outcome = AnyResult | FailedResult;

interface Run {
  workload: string;
  allocator: string;
  rep?: number;
  result: Outcome;
}

const runs: Run[] = [];

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** One JS measurement in a fresh Node process (bench/child.ts). */
function runChild(task: string, options: object): Outcome {
  const r = spawnSync(process.execPath, ["--expose-gc", CHILD, task, JSON.stringify(options)], {
    encoding: "utf8",
    timeout: TIMEOUT_MS,
    maxBuffer: 16 * MiB,
  });
  const alloc = (options as { alloc?: string }).alloc ?? task;
  return parseResult(task, alloc, r);
}

function record(workload: string, allocator: string, result: Outcome, rep?: number): Outcome {
  const run: Run = { workload, allocator, result };
  if (rep !== undefined) run.rep = rep;
  runs.push(run);
  return result;
}

function describe(o: Outcome, show: (r: AnyResult) => string): string {
  if ("unavailable" in o && o.unavailable) return o.unavailable;
  if ("error" in o && o.error) return `error: ${o.error}`;
  return show(o as AnyResult);
}

/** A table row from the outcomes of one allocator. */
function makeRow(
  allocator: string,
  outcomes: readonly Outcome[],
  pick: (r: AnyResult) => number[],
  note?: string,
): Row {
  const row: Row = { allocator, values: [] };
  for (const o of outcomes) {
    if ("unavailable" in o && o.unavailable) {
      row.status = o.unavailable;
    } else if ("error" in o && o.error) {
      row.status = `error: ${o.error}`;
    } else {
      const r = o as AnyResult;
      row.impl = r.impl;
      row.values.push(...pick(r).filter((v) => Number.isFinite(v)));
    }
  }
  if (outcomes.length === 0) row.status = "not run";
  if (note !== undefined) row.note = note;
  return row;
}

function unavailableRow(allocator: string, status: string): Row {
  return { allocator, values: [], status };
}

// ----- the workloads -----------------------------------------------------------------------

interface Context {
  cfg: Config;
  native: NativeSetup;
  /** undefined when memkind works, otherwise why not ("not built yet ..."). */
  memkindStatus: string | undefined;
}

/** Rows of the native peers (or their unavailability) from per-peer outcomes. */
function nativeRows(
  ctx: Context,
  outcomes: Map<string, Outcome[]>,
  pick: (r: AnyResult) => number[],
): Row[] {
  return ctx.native.peers.map((peer) =>
    peer.available
      ? makeRow(peer.name, outcomes.get(peer.name) ?? [], pick)
      : unavailableRow(peer.name, `unavailable: ${peer.status}`),
  );
}

function memkindRow(
  ctx: Context,
  name: string,
  outcomes: readonly Outcome[],
  pick: (r: AnyResult) => number[],
): Row {
  return ctx.memkindStatus !== undefined
    ? unavailableRow(name, ctx.memkindStatus)
    : makeRow(name, outcomes, pick);
}

/**
 * The rows of a trace workload's table: memkind, its own statistic if given, the C peers,
 * then @thi.ng/malloc.
 */
function replayRows(
  ctx: Context,
  out: Map<string, Outcome[]>,
  pick: (r: AnyResult) => number[],
  options: { statRow?: Row; thingNote?: string | undefined } = {},
): Row[] {
  return [
    memkindRow(ctx, "memkind", out.get("memkind") ?? [], pick),
    ...(options.statRow ? [options.statRow] : []),
    ...nativeRows(ctx, out, pick),
    makeRow("thi.ng", out.get("thi.ng") ?? [], pick, options.thingNote),
  ];
}

function availablePeers(ctx: Context): NativePeer[] {
  return ctx.native.peers.filter((p) => p.available);
}

function relative(peer: string, bound: number, label: string, strict = false): Target {
  return { subject: "memkind", peer, bound, strict, label };
}

/** Appends `o` to the outcomes of `name`. */
function push(out: Map<string, Outcome[]>, name: string, o: Outcome): void {
  const list = out.get(name) ?? [];
  list.push(o);
  out.set(name, list);
}

function smallPairs(ctx: Context): Metric[] {
  const { reps, minMs } = ctx.cfg;
  const native = new Map<string, Outcome[]>();
  const js = new Map<string, Outcome[]>();
  const binary = ctx.native.binary;
  const jsPeers: [string, string][] = [
    ["memkind", "memkind"],
    ["thi.ng", "thi.ng"],
    ["ArrayBuffer", "arraybuffer"],
    ["Buffer.allocUnsafe", "buffer"],
  ];
  // Round robin: repetition r of every allocator, then r + 1; each one a fresh process.
  for (let rep = 0; rep < reps; rep++) {
    const tag = `rep ${rep + 1}/${reps}`;
    for (const peer of availablePeers(ctx)) {
      if (binary === undefined) continue;
      const args = ["small-pairs", "1", String(minMs)];
      const o = record("small-pairs", peer.name, runNative(binary, peer, args, TIMEOUT_MS), rep);
      push(native, peer.name, o);
      log(`  ${tag} ${peer.name}: ${describe(o, (r) => pairsLine(r as PairsResult))}`);
    }
    for (const [name, alloc] of jsPeers) {
      if (name === "memkind" && ctx.memkindStatus !== undefined) continue;
      const o = record(
        "small-pairs",
        name,
        runChild("small-pairs", { alloc, reps: 1, minMs }),
        rep,
      );
      push(js, name, o);
      log(`  ${tag} ${name}: ${describe(o, (r) => pairsLine(r as PairsResult))}`);
    }
  }
  const metric = (
    id: string,
    title: string,
    pick: (r: AnyResult) => number[],
    targets: Target[],
  ): Metric => ({
    id,
    workload: "small-pairs",
    title,
    unit: "ns per malloc+free pair, lower is better",
    ref: "glibc",
    rows: [
      memkindRow(ctx, "memkind", js.get("memkind") ?? [], pick),
      ...nativeRows(ctx, native, pick),
      makeRow("thi.ng", js.get("thi.ng") ?? [], pick),
      makeRow("ArrayBuffer", js.get("ArrayBuffer") ?? [], pick, "allocation only (GC frees)"),
      makeRow(
        "Buffer.allocUnsafe",
        js.get("Buffer.allocUnsafe") ?? [],
        pick,
        "allocation only (GC frees)",
      ),
    ],
    targets,
    format: formatNs,
    notes: [
      `${reps} repetition${reps === 1 ? "" : "s"}, round robin over the allocators, each a fresh process: a ` +
        `calibration (warm-up) run, then one timed loop of >= ${minMs} ms`,
    ],
  });
  return [
    metric(
      "small-pairs/mixed",
      "small-pairs: malloc+free pairs, sizes 16..512 B (fixed cycle of 497 sizes)",
      (r) => (r as PairsResult).ns_per_pair_mixed,
      [relative("glibc", 2, "memkind <= 2x"), relative("thi.ng", 1, "memkind faster", true)],
    ),
    metric(
      "small-pairs/64",
      "small-pairs: malloc+free pairs, 64 B",
      (r) => (r as PairsResult).ns_per_pair_64,
      [
        relative("ArrayBuffer", 1 / 20, "memkind >= 20x faster"),
        relative("Buffer.allocUnsafe", 1 / 3, "memkind >= 3x faster"),
        relative("thi.ng", 1, "memkind faster", true),
      ],
    ),
  ];
}

function pairsLine(r: PairsResult): string {
  const med = (xs: number[]): string =>
    formatNs([...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0);
  return `${med(r.ns_per_pair_mixed)} ns/pair mixed, ${med(r.ns_per_pair_64)} ns/pair 64 B (${r.impl})`;
}

function replayLine(r: ReplayResult): string {
  const overhead = ((r.peak_kb - r.baseline_kb) * 1024) / r.peak_live_bytes;
  const after =
    r.after_kb >= 0 ? `, kept ${formatMiB((r.after_kb - r.baseline_kb) / 1024)} MiB` : "";
  return `${formatNs(r.ns_per_op)} ns/op, overhead ${formatFactor(overhead)}${after}`;
}

/** Runs a trace workload: per repetition one fresh process per allocator. */
function replayRuns(
  ctx: Context,
  workload: "churn" | "large-purge",
  trace: string,
  ops: number,
  thingOps: number,
  thingPool: number,
): Map<string, Outcome[]> {
  const out = new Map<string, Outcome[]>();
  const add = (name: string, o: Outcome): void => {
    const list = out.get(name) ?? [];
    list.push(o);
    out.set(name, list);
  };
  const binary = ctx.native.binary;
  for (let rep = 0; rep < ctx.cfg.reps; rep++) {
    const tag = `rep ${rep + 1}/${ctx.cfg.reps}`;
    for (const peer of availablePeers(ctx)) {
      if (binary === undefined) continue;
      const t0 = Date.now();
      const o = record(
        workload,
        peer.name,
        runNative(binary, peer, [workload, trace, String(ops)], TIMEOUT_MS),
        rep,
      );
      add(peer.name, o);
      log(
        `  ${tag} ${peer.name}: ${describe(o, (r) => replayLine(r as ReplayResult))} (${Date.now() - t0} ms)`,
      );
    }
    if (ctx.memkindStatus === undefined) {
      const t0 = Date.now();
      const o = record(
        workload,
        "memkind",
        runChild(workload, { alloc: "memkind", trace, ops }),
        rep,
      );
      add("memkind", o);
      log(
        `  ${tag} memkind: ${describe(o, (r) => replayLine(r as ReplayResult))} (${Date.now() - t0} ms)`,
      );
    }
    const t0 = Date.now();
    const o = record(
      workload,
      "thi.ng",
      runChild(workload, { alloc: "thi.ng", trace, ops: thingOps, poolBytes: thingPool }),
      rep,
    );
    add("thi.ng", o);
    log(
      `  ${tag} thi.ng: ${describe(o, (r) => replayLine(r as ReplayResult))} (${Date.now() - t0} ms)`,
    );
  }
  return out;
}

/** A pool for @thi.ng/malloc sized to the workload (one ArrayBuffer below 4 GiB). */
function thingPoolBytes(peakLive: number, nlive: number): number {
  const want = Math.ceil((peakLive * 1.5 + nlive * 16 + 64 * MiB) / 8) * 8;
  return Math.min(want, 2 ** 32 - 64 * 1024);
}

function perRep(pick: (r: ReplayResult) => number): (r: AnyResult) => number[] {
  return (r) => [pick(r as ReplayResult)];
}

function churn(ctx: Context): Metric[] {
  const { cfg } = ctx;
  const path = ensureTraceFile(CACHE_DIR, CHURN_TRACE);
  const trace = readTrace(path);
  const ops = Math.min(cfg.churnOps, trace.nops);
  const thingOps = Math.min(cfg.thingChurnOps, trace.nops);
  const profile = liveProfile(trace, ops);
  const thingProfile = liveProfile(trace, thingOps);
  const pool = thingPoolBytes(thingProfile.peakLive, trace.nlive);
  log(
    `  trace ${path}: peak live ${formatMiB(profile.peakLive / MiB)} MiB after op ${profile.peakAt}`,
  );
  const out = replayRuns(ctx, "churn", path, ops, thingOps, pool);

  const thingNote = `first ${thingOps.toLocaleString("en-US")} ops only (free is O(live blocks))`;
  const time = perRep((r) => r.ns_per_op);
  const overhead = perRep((r) => ((r.peak_kb - r.baseline_kb) * 1024) / r.peak_live_bytes);
  const statOverhead = (r: AnyResult): number[] => {
    const x = r as ReplayResult;
    return x.stat_peak_bytes === undefined ? [] : [x.stat_peak_bytes / x.peak_live_bytes];
  };
  const memkindOutcomes = out.get("memkind") ?? [];
  const statRow = memkindRow(ctx, "memkind (own stat)", memkindOutcomes, statOverhead);
  if (
    ctx.memkindStatus === undefined &&
    statRow.values.length === 0 &&
    statRow.status === undefined
  ) {
    statRow.status = "no memkind_get_stat(MEMKIND_STAT_TYPE_RESIDENT)";
  }
  const workloadNote =
    `${trace.nlive.toLocaleString("en-US")} live blocks, log-uniform ${trace.minSize} B..` +
    `${trace.maxSize / 1024} KiB, ${ops.toLocaleString("en-US")} ops (free a random live ` +
    `block, allocate a new one; first byte + 1 byte/4 KiB written), seed ${trace.seed}; ` +
    `peak live ${formatMiB(profile.peakLive / MiB)} MiB; ${cfg.reps} fresh processes per allocator`;
  return [
    {
      id: "churn/time",
      workload: "churn",
      title: "churn: time per operation (free + malloc + touch)",
      unit: "ns per op, lower is better",
      ref: "jemalloc",
      rows: replayRows(ctx, out, time, { thingNote }),
      targets: [
        relative("jemalloc", 2, "memkind <= 2x"),
        relative("thi.ng", 1, "memkind faster", true),
      ],
      format: formatNs,
      notes: [workloadNote],
    },
    {
      id: "churn/overhead",
      workload: "churn",
      title: "churn: memory overhead",
      unit: "(peak resident - baseline resident) / peak live bytes, lower is better",
      ref: "jemalloc",
      rows: replayRows(ctx, out, overhead, { statRow, thingNote }),
      targets: [{ subject: "memkind", bound: 1.15, strict: false, label: "<= 1.15" }],
      format: formatFactor,
      notes: [
        "peak resident = max of VmRSS samples (end of warm-up, the peak-live point, 16 periodic, end); " +
          "baseline = VmRSS before the first allocation (JS: after loading the trace and a full GC)",
        "memkind (own stat): memkind_get_stat(null, MEMKIND_STAT_TYPE_RESIDENT) / peak live (no V8 noise)",
        "the issue's reference on this trace: jemalloc 1.29, mimalloc 1.13",
      ],
    },
  ];
}

function detectKind(ctx: Context): Metric[] {
  const { reps, minMs } = ctx.cfg;
  const memkind: Outcome[] = [];
  const maps: Outcome[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const tag = `rep ${rep + 1}/${reps}`;
    if (ctx.memkindStatus === undefined) {
      // `rep` alternates which of free(null) / free(DEFAULT) runs first.
      const options = { alloc: "memkind", reps: 1, minMs, rep };
      const o = record("detect-kind", "memkind", runChild("detect-kind", options), rep);
      memkind.push(o);
      log(
        `  ${tag} memkind: ${describe(o, (r) => {
          const d = r as DetectResult;
          return (
            `detect ${formatNs(d.ns_per_detect[0] ?? 0)} ns, ` +
            `free(null) ${formatNs(d.ns_per_free_null[0] ?? 0)} ns, ` +
            `free(DEFAULT) ${formatNs(d.ns_per_free_default[0] ?? 0)} ns`
          );
        })}`,
      );
    }
    const map = record(
      "detect-kind",
      "Map.get",
      runChild("detect-kind-map", { reps: 1, minMs }),
      rep,
    );
    maps.push(map);
    log(
      `  ${tag} Map.get: ${describe(map, (r) => `${formatNs((r as MapResult).ns_per_get[0] ?? 0)} ns`)}`,
    );
  }
  return [
    {
      id: "detect-kind/lookup",
      workload: "detect-kind",
      title: "detect-kind: memkind_detect_kind(p) over 100 000 live pointers vs Map.get",
      unit: "ns per lookup, lower is better",
      ref: "Map.get",
      rows: [
        memkindRow(ctx, "memkind", memkind, (r) => (r as DetectResult).ns_per_detect),
        makeRow("Map.get", maps, (r) => (r as MapResult).ns_per_get, "100 000 integer keys"),
      ],
      targets: [relative("Map.get", 1, "memkind no slower")],
      format: formatNs,
      notes: [
        "pointers (sizes 16..512 B) and keys are visited in a seeded random order; " +
          `${reps} repetition${reps === 1 ? "" : "s"} (fresh processes, round robin), each >= ${minMs} ms`,
      ],
    },
    {
      id: "detect-kind/free",
      workload: "detect-kind",
      title: "detect-kind: memkind_free(null, p) vs memkind_free(MEMKIND_DEFAULT, p)",
      unit: "ns per free, lower is better",
      ref: "free(DEFAULT)",
      rows: [
        memkindRow(ctx, "free(null)", memkind, (r) => (r as DetectResult).ns_per_free_null),
        memkindRow(ctx, "free(DEFAULT)", memkind, (r) => (r as DetectResult).ns_per_free_default),
      ],
      targets: [
        {
          subject: "free(null)",
          peer: "free(DEFAULT)",
          bound: 1.3,
          strict: false,
          label: "free(null) <= 1.3x",
        },
      ],
      format: formatNs,
      notes: [
        "batches of 10 000 blocks (16..512 B) allocated untimed, then freed timed; " +
          `the two variants alternate, each repetition >= ${minMs} ms of frees`,
      ],
    },
  ];
}

function largePurge(ctx: Context): Metric[] {
  const { cfg } = ctx;
  const path = ensureTraceFile(CACHE_DIR, LARGE_TRACE);
  const trace = readTrace(path);
  const ops = Math.min(cfg.largeOps, trace.nops);
  const thingOps = Math.min(cfg.thingLargeOps, trace.nops);
  const profile = liveProfile(trace, Math.max(ops, thingOps));
  const pool = thingPoolBytes(profile.peakLive, trace.nlive);
  log(`  trace ${path}: peak live ${formatMiB(profile.peakLive / MiB)} MiB`);
  const out = replayRuns(ctx, "large-purge", path, ops, thingOps, pool);
  const kept = perRep((r) => (r.after_kb - r.baseline_kb) / (r.peak_kb - r.baseline_kb));
  const keptMiB = perRep((r) => (r.after_kb - r.baseline_kb) / 1024);
  const time = perRep((r) => r.ns_per_op / 1000);
  const firstTime = perRep((r) => r.first_ns_per_op / 1000);
  const memkindOutcomes = out.get("memkind") ?? [];
  const statKept = (r: AnyResult): number[] => {
    const x = r as ReplayResult;
    return x.stat_after_bytes === undefined || !x.stat_peak_bytes
      ? []
      : [x.stat_after_bytes / x.stat_peak_bytes];
  };
  const statRow = memkindRow(ctx, "memkind (own stat)", memkindOutcomes, statKept);
  if (
    ctx.memkindStatus === undefined &&
    statRow.values.length === 0 &&
    statRow.status === undefined
  ) {
    statRow.status = "no memkind_get_stat(MEMKIND_STAT_TYPE_RESIDENT)";
  }
  const thingNote = thingOps === ops ? "never returns memory" : `first ${thingOps} ops`;
  const workloadNote =
    `${trace.nlive} live blocks, log-uniform 64 KiB..8 MiB, ${ops.toLocaleString("en-US")} ops, ` +
    `every page written, seed ${trace.seed}; peak live ${formatMiB(profile.peakLive / MiB)} MiB; ` +
    "then free everything: memkind also calls memkind_purge(null), the C peers call no trim";
  return [
    {
      id: "large-purge/kept",
      workload: "large-purge",
      title: "large-purge: resident after freeing everything (+ memkind_purge), share of peak",
      unit: "(resident after - baseline) / (peak resident - baseline), lower is better",
      ref: "glibc",
      rows: replayRows(ctx, out, kept, { statRow, thingNote }),
      targets: [{ subject: "memkind", bound: 0.05, strict: true, label: "< 5%" }],
      format: formatPercent,
      notes: [workloadNote],
    },
    {
      id: "large-purge/kept-mib",
      workload: "large-purge",
      title: "large-purge: resident after freeing everything, above baseline",
      unit: "MiB, lower is better",
      ref: "glibc",
      rows: replayRows(ctx, out, keptMiB, { thingNote }),
      targets: [],
      format: formatMiB,
      notes: [
        "the issue's figures for this workload: glibc ~127 MB, jemalloc 267 MB, mimalloc 457 MB",
      ],
    },
    {
      id: "large-purge/time",
      workload: "large-purge",
      title: "large-purge: time per operation (free + malloc + touch every page)",
      unit: "µs per op, lower is better",
      ref: "glibc",
      rows: replayRows(ctx, out, time, { thingNote: thingOps === ops ? undefined : thingNote }),
      targets: [relative("thi.ng", 1, "memkind faster", true)],
      format: formatNs,
      notes: [
        `all ${ops.toLocaleString("en-US")} ops; page faults of fresh memory weigh most (bench/README.md)`,
      ],
    },
    {
      id: "large-purge/first-ops",
      workload: "large-purge",
      title: "large-purge: time per operation over the first 2,000 ops (no target)",
      unit: "µs per op, lower is better",
      ref: "glibc",
      rows: replayRows(ctx, out, firstTime),
      targets: [],
      format: formatNs,
      notes: [
        "the same runs' first ops: the heaps grow to their peak footprint (most page faults " +
          "fall here), and V8 is still compiling the JS allocators' large paths",
      ],
    },
  ];
}

/** A target as one line of the summary: "memkind <= 2x glibc", "memkind faster than thi.ng". */
function longLabel(t: Target): string {
  if (t.peer === undefined) return `${t.subject} ${t.label}`;
  return /faster|slower/.test(t.label) ? `${t.label} than ${t.peer}` : `${t.label} ${t.peer}`;
}

// ----- main --------------------------------------------------------------------------------

/** The 1, 5 and 15 minute load averages. */
function loadavg(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

function machine(): Record<string, string | number> {
  const thp = (() => {
    try {
      return readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8").trim();
    } catch {
      return "?";
    }
  })();
  return {
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    cpu: os.cpus()[0]?.model ?? "?",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    thp,
    loadavg: loadavg(),
  };
}

const USAGE = `usage: node dist/bench/run.js [--quick] [--reps N] [--json FILE] [--only W,...]
  --quick      reduced run: fewer ops, 3 repetitions (under 2 minutes)
  --reps N     repetitions (default 5; quick 3)
  --json FILE  also write every result to FILE
  --only W,..  run only these workloads: ${WORKLOADS.join(", ")}
  --min-ms MS  minimum duration of one timed loop (default 50)`;

class UsageError extends Error {}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        reps: { type: "string" },
        json: { type: "string" },
        only: { type: "string" },
        "min-ms": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

async function main(): Promise<void> {
  const values = parseOptions();
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const cfg: Config = { ...(values.quick ? QUICK : FULL) };
  if (values.reps !== undefined) cfg.reps = Math.max(1, Number.parseInt(values.reps, 10) || 1);
  if (values["min-ms"] !== undefined) cfg.minMs = Math.max(1, Number(values["min-ms"]) || 50);
  const only = values.only?.split(",").map((w) => w.trim()) ?? [...WORKLOADS];
  for (const w of only) {
    if (!(WORKLOADS as readonly string[]).includes(w))
      throw new UsageError(`unknown workload ${w}`);
  }
  const started = Date.now();
  const info = machine();
  process.stdout.write(
    `memkind benchmarks (${values.quick ? "quick" : "full"}, ${cfg.reps} repetitions)\n` +
      `  node ${info.node}, ${info.kernel}, ${info.cpu}, ${info.cores} cores, ` +
      `${info.memoryGiB} GiB, THP ${info.thp}, load average ${info.loadavg}\n`,
  );
  const busy = (os.loadavg()[0] ?? 0) >= 0.75;
  if (busy) {
    process.stdout.write(
      "  warning: the machine is busy (load average >= 0.75): timings will be noisy\n",
    );
  }

  log("setup: memkind");
  const probe = runChild("probe", {});
  const memkindStatus =
    "status" in probe && probe.status === "ok"
      ? undefined
      : "status" in probe
        ? String(probe.status)
        : describe(probe, () => "?");
  log(`  memkind: ${memkindStatus ?? "ok"}`);
  log("setup: native peers");
  const native = setupNativePeers(log);
  for (const p of native.peers) {
    log(
      `  ${p.name}: ${p.available ? `ok${p.preload ? ` (LD_PRELOAD=${p.preload})` : ""}` : p.status}`,
    );
  }
  process.stdout.write(
    `  memkind: ${memkindStatus ?? "ok"}; C peers: ${native.compiler ?? "no compiler"}, ` +
      native.peers.map((p) => `${p.name} ${p.available ? "ok" : "unavailable"}`).join(", ") +
      "\n",
  );

  const ctx: Context = { cfg, native, memkindStatus };
  const metrics: Metric[] = [];
  const steps: Record<Workload, (c: Context) => Metric[]> = {
    "small-pairs": smallPairs,
    churn,
    "detect-kind": detectKind,
    "large-purge": largePurge,
  };
  for (const w of WORKLOADS) {
    if (!only.includes(w)) continue;
    const t0 = Date.now();
    log(`workload ${w}`);
    const ms = steps[w](ctx);
    log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    for (const m of ms) process.stdout.write(`\n${renderMetric(m)}\n`);
    metrics.push(...ms);
  }

  const verdicts: TargetResult[] = metrics.flatMap((m) =>
    m.targets.map((t) => ({ ...evaluate(m, t), label: `${m.id}: ${longLabel(t)}` })),
  );
  const count = (v: string): number => verdicts.filter((t) => t.verdict === v).length;
  process.stdout.write(
    `\ntargets: ${count("PASS")} PASS, ${count("FAIL")} FAIL, ${count("n/a")} n/a\n` +
      verdicts.map((t) => `  ${t.verdict.padEnd(4)}  ${t.label}`).join("\n") +
      `\nfinished in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(load average now ${loadavg()})\n`,
  );

  if (values.json !== undefined) {
    const doc = {
      date: new Date().toISOString(),
      mode: values.quick ? "quick" : "full",
      config: cfg,
      machine: info,
      memkind: memkindStatus ?? "ok",
      peers: native.peers,
      compiler: native.compiler ?? null,
      traces: { churn: CHURN_TRACE, large: LARGE_TRACE },
      metrics: metrics.map(metricJson),
      targets: verdicts,
      runs,
    };
    writeFileSync(values.json, `${JSON.stringify(doc, null, 2)}\n`);
    process.stdout.write(`results written to ${values.json}\n`);
  }
}

try {
  await main();
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`${err.message}\n${USAGE}\n`);
  process.exitCode = 2;
}
