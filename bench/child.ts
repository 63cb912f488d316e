/**
 * One measurement in a fresh Node process (started by bench/run.ts): one workload, one
 * allocator. Prints exactly one JSON line on stdout (see bench/lib/results.ts).
 *
 *   node --expose-gc dist/bench/child.js TASK '{"alloc":"memkind","reps":5,...}'
 *
 * TASK: probe | small-pairs | detect-kind | detect-kind-map | churn | large-purge
 */
import {
  arrayBufferPairLoops,
  bufferPairLoops,
  detectKind,
  mapGet,
  memkindPairLoops,
  memkindTraceAllocator,
  replayTrace,
  sinkType,
  smallPairs,
  thingPairLoops,
  thingTraceAllocator,
} from "./lib/js-workloads.js";
import { loadMemkind, type MemkindC } from "./lib/memkind.js";
import type { FailedResult } from "./lib/results.js";
import { readTrace } from "./lib/trace.js";

/** Options passed by the runner as one JSON argument. */
export interface ChildOptions {
  /** memkind | thi.ng | arraybuffer | buffer */
  alloc?: string;
  reps?: number;
  minMs?: number;
  /** Trace file (churn, large-purge). */
  trace?: string;
  /** Ops of the trace to replay (0 or absent: all). */
  ops?: number;
  /** Pool size of @thi.ng/malloc in bytes. */
  poolBytes?: number;
  /** The runner's repetition index (detect-kind: which free variant runs first). */
  rep?: number;
}

async function memkindOrStatus(): Promise<MemkindC | string> {
  const load = await loadMemkind();
  return load.ok ? load.api : load.status;
}

async function run(task: string, o: ChildOptions): Promise<object> {
  const reps = o.reps ?? 5;
  const minMs = o.minMs ?? 50;
  const alloc = o.alloc ?? "memkind";
  switch (task) {
    case "probe": {
      const load = await loadMemkind();
      return { workload: "probe", ok: load.ok, status: load.ok ? "ok" : load.status };
    }
    case "small-pairs": {
      if (alloc === "memkind") {
        const api = await memkindOrStatus();
        if (typeof api === "string") return { workload: task, unavailable: api };
        return smallPairs(memkindPairLoops(api), reps, minMs);
      }
      if (alloc === "thi.ng") return smallPairs(thingPairLoops(), reps, minMs);
      if (alloc === "arraybuffer") return smallPairs(arrayBufferPairLoops(), reps, minMs);
      if (alloc === "buffer") return smallPairs(bufferPairLoops(), reps, minMs);
      break;
    }
    case "detect-kind": {
      const api = await memkindOrStatus();
      if (typeof api === "string") return { workload: task, unavailable: api };
      return detectKind(api, reps, minMs, o.rep ?? 0);
    }
    case "detect-kind-map":
      return mapGet(reps, minMs);
    case "churn":
    case "large-purge": {
      if (o.trace === undefined) throw new Error("no trace file");
      const trace = readTrace(o.trace);
      const nops = o.ops && o.ops < trace.nops ? o.ops : trace.nops;
      if (alloc === "memkind") {
        const api = await memkindOrStatus();
        if (typeof api === "string") return { workload: task, unavailable: api };
        return replayTrace(task, trace, nops, () => memkindTraceAllocator(api));
      }
      if (alloc === "thi.ng") {
        const poolBytes = o.poolBytes ?? 2 ** 31;
        return replayTrace(task, trace, nops, () => thingTraceAllocator(poolBytes));
      }
      break;
    }
  }
  throw new Error(`unknown task or allocator: ${task} ${alloc}`);
}

async function main(): Promise<void> {
  const task = process.argv[2] ?? "";
  const options = JSON.parse(process.argv[3] ?? "{}") as ChildOptions;
  let out: object;
  try {
    out = await run(task, options);
  } catch (err) {
    const failed: FailedResult = {
      workload: task,
      error: err instanceof Error ? err.message : String(err),
    };
    if (options.alloc !== undefined) failed.impl = options.alloc;
    out = failed;
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
  if (sinkType() === "never") process.stdout.write("\n");
}

await main();
