/**
 * The native peers: glibc malloc, jemalloc 5.3 and mimalloc 2.0, all through one C program
 * (bench/peers/replay.c) compiled here with the machine's gcc; jemalloc and mimalloc are
 * Debian's shared libraries loaded with LD_PRELOAD. Missing pieces are installed with apt-get
 * when running as root; what cannot be had is reported as unavailable, never faked.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AnyResult, FailedResult } from "./results.js";

/** The repository root (this file is dist/bench/lib/peers.js). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Where compiled peers and trace files go (gitignored). */
export const CACHE_DIR = join(REPO_ROOT, ".cache", "bench");
export const REPLAY_SOURCE = join(REPO_ROOT, "bench", "peers", "replay.c");
export const REPLAY_BINARY = join(CACHE_DIR, "replay");
export const GCC_FLAGS = ["-O2", "-fno-builtin", "-Wall", "-Wextra"];

export type NativeName = "glibc" | "jemalloc" | "mimalloc";

export interface NativePeer {
  name: NativeName;
  /** Shared library to LD_PRELOAD (jemalloc, mimalloc). */
  preload?: string;
  /** Debian package providing it. */
  deb?: string;
  available: boolean;
  /** "ok", or why it is unavailable. */
  status: string;
}

export interface NativeSetup {
  /** The compiled replay program, if it could be built. */
  binary?: string;
  compiler?: string;
  peers: NativePeer[];
}

type Log = (line: string) => void;

const LIBS: { name: "jemalloc" | "mimalloc"; deb: string; file: RegExp; fallback: string }[] = [
  {
    name: "jemalloc",
    deb: "libjemalloc2",
    file: /\/libjemalloc\.so\.2$/,
    fallback: "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
  },
  {
    name: "mimalloc",
    deb: "libmimalloc2.0",
    file: /\/libmimalloc\.so\.2(\.0)?$/,
    fallback: "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2",
  },
];

function run(cmd: string, args: string[], timeoutMs: number): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    encoding: "utf8",
    timeout: timeoutMs,
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

function lastLines(text: string | null | undefined, n = 3): string {
  return (text ?? "").trim().split("\n").slice(-n).join(" | ");
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function haveCommand(cmd: string): boolean {
  return run("sh", ["-c", `command -v ${cmd}`], 10_000).status === 0;
}

/** apt-get install; on failure apt-get update and one more try. Returns an error or "". */
function aptInstall(packages: string[], log: Log): string {
  if (!isRoot()) return "not root: cannot apt-get install";
  if (!haveCommand("apt-get")) return "no apt-get on this machine";
  const install = (): SpawnSyncReturns<string> =>
    run("apt-get", ["install", "-y", "--no-install-recommends", ...packages], 600_000);
  log(`  apt-get install -y --no-install-recommends ${packages.join(" ")}`);
  let r = install();
  if (r.status === 0) return "";
  log("  apt-get install failed; apt-get update, then again");
  run("apt-get", ["update"], 600_000);
  r = install();
  return r.status === 0 ? "" : `apt-get install failed: ${lastLines(r.stderr || r.stdout)}`;
}

/** The library file of a Debian package, from `dpkg -L`. */
function findLib(deb: string, file: RegExp, fallback: string): string | undefined {
  const r = run("dpkg", ["-L", deb], 30_000);
  if (r.status === 0) {
    const hit = r.stdout
      .split("\n")
      .map((line) => line.trim())
      .find((line) => file.test(line) && existsSync(line));
    if (hit !== undefined) return hit;
  }
  return existsSync(fallback) ? fallback : undefined;
}

/** Finds or installs gcc, jemalloc and mimalloc, and compiles replay.c. */
export function setupNativePeers(log: Log): NativeSetup {
  mkdirSync(CACHE_DIR, { recursive: true });
  const setup: NativeSetup = { peers: [] };

  // The compiler.
  let compileError = "";
  if (!haveCommand("gcc")) {
    log("  gcc not found");
    compileError = aptInstall(["gcc", "libc6-dev"], log);
    if (compileError === "" && !haveCommand("gcc")) compileError = "gcc not found";
  }
  if (compileError === "") {
    const r = run("gcc", [...GCC_FLAGS, "-o", REPLAY_BINARY, REPLAY_SOURCE], 120_000);
    if (r.status === 0) {
      setup.binary = REPLAY_BINARY;
      setup.compiler = run("gcc", ["--version"], 10_000).stdout.split("\n")[0] ?? "gcc";
    } else {
      compileError = `gcc failed: ${lastLines(r.stderr)}`;
    }
  }

  // The preloaded allocators.
  const libs = new Map<string, string | undefined>();
  for (const lib of LIBS) libs.set(lib.name, findLib(lib.deb, lib.file, lib.fallback));
  const missing = LIBS.filter((lib) => libs.get(lib.name) === undefined);
  let installError = "";
  if (missing.length > 0) {
    installError = aptInstall(
      missing.map((lib) => lib.deb),
      log,
    );
    for (const lib of missing) libs.set(lib.name, findLib(lib.deb, lib.file, lib.fallback));
  }

  setup.peers.push({
    name: "glibc",
    available: setup.binary !== undefined,
    status: setup.binary !== undefined ? "ok" : compileError,
  });
  for (const lib of LIBS) {
    const path = libs.get(lib.name);
    const peer: NativePeer = { name: lib.name, deb: lib.deb, available: false, status: "" };
    if (path !== undefined) peer.preload = path;
    if (setup.binary === undefined) peer.status = compileError;
    else if (path === undefined) peer.status = `${lib.deb} not installed (${installError})`;
    else {
      peer.available = true;
      peer.status = "ok";
    }
    setup.peers.push(peer);
  }
  return setup;
}

/** Parses the last JSON line of a run's stdout. */
export function parseResult(
  workload: string,
  impl: string,
  r: SpawnSyncReturns<string>,
): AnyResult | FailedResult {
  const line = (r.stdout ?? "")
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .pop();
  if (line !== undefined) {
    try {
      return JSON.parse(line) as AnyResult | FailedResult;
    } catch {
      // reported below
    }
  }
  const why = r.error
    ? r.error.message
    : r.signal
      ? `killed by ${r.signal}`
      : `exit ${r.status}: ${lastLines(r.stderr)}`;
  return { workload, impl, error: `no result (${why})` };
}

/** Runs the replay program for one native peer. */
export function runNative(
  binary: string,
  peer: NativePeer,
  args: string[],
  timeoutMs: number,
): AnyResult | FailedResult {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LD_PRELOAD;
  if (peer.preload !== undefined) env.LD_PRELOAD = peer.preload;
  const r = spawnSync(binary, args, { encoding: "utf8", env, timeout: timeoutMs });
  const result = parseResult(args[0] ?? "", peer.name, r);
  // The program names the allocator that answered malloc: check that LD_PRELOAD took.
  const impl = (result as { impl?: unknown }).impl;
  if (!("error" in result) && (typeof impl !== "string" || !impl.startsWith(peer.name))) {
    return {
      workload: args[0] ?? "",
      impl: peer.name,
      error: `malloc is ${String(impl)}, not ${peer.name} (LD_PRELOAD=${peer.preload ?? ""})`,
    };
  }
  return result;
}
