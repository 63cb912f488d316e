/**
 * Fixed allocation traces: generated once from a seeded PRNG into a binary file that the C
 * peer (bench/peers/replay.c) and the JS replayers read, so every allocator replays exactly the
 * same sequence of requests.
 *
 * File layout (little-endian u32 words):
 *
 * ```
 * ┌──────────────────────── header, 32 bytes ────────────────────────┐
 * │ magic "RTKM" │ version │ nlive │ nops │ minSize │ maxSize │ seed │ 0 │
 * ├──────────────────────────────────────────────────────────────────┤
 * │ warm[nlive]         u32 size of each warm-up block, slot i        │
 * ├──────────────────────────────────────────────────────────────────┤
 * │ ops[nops]           u32 victim slot, u32 new size                 │
 * └──────────────────────────────────────────────────────────────────┘
 * ```
 *
 * Replay: allocate warm[i] into slot i; then op k frees slot ops[2k] and allocates a block of
 * ops[2k+1] bytes into the same slot. Sizes are log-uniform in [minSize, maxSize], victims
 * uniform over the slots.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const TRACE_MAGIC = 0x4d4b5452;
export const TRACE_VERSION = 1;
export const TRACE_HEADER_BYTES = 32;
const HEADER_WORDS = TRACE_HEADER_BYTES / 4;

/** What a trace is made of. */
export interface TraceSpec {
  /** Short name used in the file name: "churn", "large". */
  name: string;
  /** Live blocks (slots). */
  nlive: number;
  /** Operations after the warm-up (each: free one live block, allocate one). */
  nops: number;
  /** Smallest request in bytes. */
  minSize: number;
  /** Largest request in bytes. */
  maxSize: number;
  /** PRNG seed. */
  seed: number;
}

/** A trace in memory: the spec and the two arrays of the file. */
export interface Trace extends TraceSpec {
  warm: Uint32Array;
  ops: Uint32Array;
}

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A log-uniform integer size in [min, max]. */
export function logUniform(random: () => number, min: number, max: number): number {
  const lo = Math.log(min);
  const hi = Math.log(max + 1);
  return Math.min(max, Math.max(min, Math.floor(Math.exp(lo + random() * (hi - lo)))));
}

/** Generates the file image of a trace. */
export function generateTrace(spec: TraceSpec): Uint8Array {
  const random = mulberry32(spec.seed);
  const words = new Uint32Array(HEADER_WORDS + spec.nlive + 2 * spec.nops);
  words.set([
    TRACE_MAGIC,
    TRACE_VERSION,
    spec.nlive,
    spec.nops,
    spec.minSize,
    spec.maxSize,
    spec.seed,
    0,
  ]);
  let at = HEADER_WORDS;
  for (let i = 0; i < spec.nlive; i++) words[at++] = logUniform(random, spec.minSize, spec.maxSize);
  for (let k = 0; k < spec.nops; k++) {
    words[at++] = Math.floor(random() * spec.nlive);
    words[at++] = logUniform(random, spec.minSize, spec.maxSize);
  }
  return new Uint8Array(words.buffer);
}

/** The cache file of a spec (its name encodes every parameter). */
export function tracePath(dir: string, spec: TraceSpec): string {
  return join(
    dir,
    `${spec.name}-v${TRACE_VERSION}-l${spec.nlive}-o${spec.nops}-${spec.minSize}-${spec.maxSize}-s${spec.seed}.bin`,
  );
}

/** Writes the trace file of `spec` under `dir` unless a valid one is there; returns its path. */
export function ensureTraceFile(dir: string, spec: TraceSpec): string {
  const path = tracePath(dir, spec);
  if (existsSync(path)) {
    try {
      readTrace(path);
      return path;
    } catch {
      // rewritten below
    }
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, generateTrace(spec));
  renameSync(tmp, path);
  return path;
}

/** Reads and checks a trace file. */
export function readTrace(path: string): Trace {
  const bytes = readFileSync(path);
  if (bytes.byteLength < TRACE_HEADER_BYTES) throw new Error(`${path}: not a trace file`);
  // Copy into a fresh, aligned buffer: Node's file buffers may sit at any byte offset.
  const words = new Uint32Array(bytes.byteLength >>> 2);
  new Uint8Array(words.buffer).set(bytes.subarray(0, words.byteLength));
  const [magic, version, nlive, nops, minSize, maxSize, seed] = words;
  if (magic !== TRACE_MAGIC || version !== TRACE_VERSION) throw new Error(`${path}: bad header`);
  if (
    nlive === undefined ||
    nops === undefined ||
    minSize === undefined ||
    maxSize === undefined ||
    seed === undefined ||
    words.length < HEADER_WORDS + nlive + 2 * nops
  ) {
    throw new Error(`${path}: truncated`);
  }
  return {
    name: path,
    nlive,
    nops,
    minSize,
    maxSize,
    seed,
    warm: words.subarray(HEADER_WORDS, HEADER_WORDS + nlive),
    ops: words.subarray(HEADER_WORDS + nlive, HEADER_WORDS + nlive + 2 * nops),
  };
}

/** Live bytes over the first `nops` ops of a trace: the peak and when it is reached. */
export interface LiveProfile {
  /** Max over the trace of the sum of requested sizes of the live blocks. */
  peakLive: number;
  /** Ops completed when live bytes first reach the peak (0 = at the end of the warm-up). */
  peakAt: number;
}

export function liveProfile(trace: Trace, nops: number): LiveProfile {
  const sizes = trace.warm.slice();
  let live = 0;
  for (let i = 0; i < sizes.length; i++) live += sizes[i] ?? 0;
  let peakLive = live;
  let peakAt = 0;
  for (let k = 0; k < nops; k++) {
    const victim = trace.ops[2 * k] ?? 0;
    const size = trace.ops[2 * k + 1] ?? 0;
    live += size - (sizes[victim] ?? 0);
    sizes[victim] = size;
    if (live > peakLive) {
      peakLive = live;
      peakAt = k + 1;
    }
  }
  return { peakLive, peakAt };
}
