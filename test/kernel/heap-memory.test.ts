/**
 * The heap on the real kernel: REGULAR pages on the nodes with CPUs, memory going back to the
 * OS (checked in /proc/self/smaps), MEMKIND_HOG_MEMORY, background purging and
 * MEMKIND_ARENA_NUM_PER_KIND, the last three in child processes with their own environment.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { heap } from "../../src/kinds/heap.js";
import { defaultPlatform, readTopology } from "../../src/platform/index.js";
import { projectRoot } from "../helpers/paths.js";
import { smapsEntry } from "../helpers/proc.js";

const MiB = 2 ** 20;
const platform = defaultPlatform();

/** Resident bytes of every chunk of the heap, from /proc/self/smaps. */
function heapResident(): number {
  let total = 0;
  const seen = new Set<number>();
  for (const [, chunk] of heap.chunks.all()) {
    const entry = smapsEntry(chunk.addr);
    if (seen.has(entry.start)) continue;
    seen.add(entry.start);
    total += entry.rss;
  }
  return total;
}

function touch(ptr: number, size: number): void {
  const bytes = mk.view(ptr, size);
  for (let offset = 0; offset < size; offset += 4096) bytes[offset] = 1;
}

/** Runs a script in a child process (ESM, project root as cwd) and returns its result. */
function child(script: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("REGULAR placement", () => {
  it("puts every page on a node that has CPUs", () => {
    const withCpu = readTopology().withCpu;
    const p = mk.memkind_malloc(mk.MEMKIND_REGULAR, 8 * MiB);
    touch(p, 8 * MiB);
    const pages = Array.from({ length: 2048 }, (_, i) => p + i * 4096);
    for (const node of platform.movePages(pages))
      assert.ok(withCpu.includes(node), `page on node ${node}`);
    assert.deepEqual(platform.getMempolicy(p).nodes, withCpu);
    mk.memkind_free(mk.MEMKIND_REGULAR, p);
  });
});

describe("cache-coloured large runs", () => {
  /** Whether the page holding `addr` is resident (move_pages: -ENOENT when it is not). */
  const resident = (addr: number) => (platform.movePages([addr])[0] as number) >= 0;

  it("a run's pad page costs no memory until the allocation reaches into it", () => {
    const size = MiB - 8192; // the 1 MiB class: 256 pages and a pad page
    mk.memkind_purge(mk.MEMKIND_DEFAULT); // no dirty run left: the run's pages are not resident
    const p = mk.memkind_malloc(mk.MEMKIND_DEFAULT, size);
    const colour = p % 4096;
    const run = p - colour;
    assert.equal(colour % 64, 0);
    assert.equal(mk.memkind_malloc_usable_size(null, p), MiB);
    mk.view(p, size).fill(1);
    assert.ok(resident(p + size - 1), "the request's last page");
    assert.equal(resident(run + MiB), false, "the pad page: the request ends before it");
    mk.view(p, MiB).fill(2);
    assert.equal(
      resident(run + MiB),
      colour > 0,
      `the whole usable size reaches into the pad page iff the colour (${colour}) is not 0`,
    );
    mk.memkind_free(null, p);
    heap.check();
  });
});

describe("memory goes back to the OS", () => {
  it("after freeing everything and memkind_purge, the heap's resident memory is near zero", () => {
    mk.memkind_purge(null);
    const baseline = heapResident();
    const blocks: number[] = [];
    for (let i = 0; i < 400; i++) {
      const size = 64 * 1024 + ((i * 7919) % 32) * 64 * 1024;
      const p = mk.memkind_malloc(mk.MEMKIND_DEFAULT, size);
      touch(p, size);
      blocks.push(p);
    }
    for (let i = 0; i < 20_000; i++) {
      const p = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 16 + (i % 1000));
      touch(p, 16);
      blocks.push(p);
    }
    const peak = heapResident();
    assert.ok(peak - baseline > 300 * MiB, `touched memory is resident (${peak - baseline})`);
    for (const p of blocks) mk.memkind_free(null, p);
    assert.ok(heapResident() > peak / 2, "freed pages stay dirty until the decay time");
    assert.equal(mk.memkind_purge(null), mk.MEMKIND_SUCCESS);
    const after = heapResident();
    assert.ok(
      after - baseline < 0.05 * (peak - baseline),
      `resident after purge ${after} vs peak ${peak}`,
    );
    mk.memkind_update_cached_stats();
    const resident = { value: 0 };
    mk.memkind_get_stat(mk.MEMKIND_DEFAULT, mk.MEMKIND_STAT_TYPE_RESIDENT, resident);
    assert.ok(
      resident.value < 1 * MiB,
      `the kind's resident statistic is back near zero (${resident.value})`,
    );
    heap.check();
  });

  it("memkind_purge of one kind leaves the others' dirty pages alone", () => {
    const a = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 4 * MiB);
    const b = mk.memkind_malloc(mk.MEMKIND_REGULAR, 4 * MiB);
    touch(a, 4 * MiB);
    touch(b, 4 * MiB);
    mk.memkind_free(null, a);
    mk.memkind_free(null, b);
    mk.memkind_purge(mk.MEMKIND_REGULAR);
    assert.equal(mk.MEMKIND_REGULAR.arena?.dirty.pages, 0);
    assert.ok((mk.MEMKIND_DEFAULT.arena?.dirty.pages ?? 0) >= 1024);
    mk.memkind_purge(null);
  });
});

const PURGE_SCRIPT = `
import * as mk from "./dist/src/c.js";
import { heap } from "./dist/src/kinds/heap.js";
const p = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 64 << 20);
const bytes = mk.view(p, 64 << 20);
for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 1;
mk.memkind_free(null, p);
mk.memkind_purge(null);
console.log(JSON.stringify({ dirty: mk.MEMKIND_DEFAULT.arena.dirty.pages }));
`;

describe("MEMKIND_HOG_MEMORY", () => {
  it("=1 keeps freed pages even through memkind_purge", () => {
    const hog = child(PURGE_SCRIPT, { MEMKIND_HOG_MEMORY: "1" });
    assert.equal(hog.status, 0, hog.stderr);
    assert.ok(JSON.parse(hog.stdout).dirty >= 16384);
  });

  it("unset or not starting with 1, freed pages go back", () => {
    for (const value of ["0", "yes"]) {
      const normal = child(PURGE_SCRIPT, { MEMKIND_HOG_MEMORY: value });
      assert.equal(normal.status, 0, normal.stderr);
      assert.equal(JSON.parse(normal.stdout).dirty, 0);
    }
  });
});

describe("memkind_set_bg_threads", () => {
  it("purges on a timer that does not keep the process alive", () => {
    const script = `
import * as mk from "./dist/src/c.js";
import { heap } from "./dist/src/kinds/heap.js";
mk.memkind_set_bg_threads(true);
const arena = mk.MEMKIND_DEFAULT.arena ?? mk.MEMKIND_DEFAULT.init();
arena.options.decayMs = 200;
const p = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 8 << 20);
mk.memkind_free(null, p);
const before = arena.dirty.pages;
setTimeout(() => console.log(JSON.stringify({ before, after: arena.dirty.pages, on: heap.backgroundPurge })), 2500);
`;
    const started = Date.now();
    const result = child(script, {});
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.ok(report.before >= 2048, "dirty right after free");
    assert.equal(report.after, 0, "purged by the timer");
    assert.equal(report.on, true);
    assert.ok(Date.now() - started < 20_000, "the timer did not keep the process alive");
  });

  it("rejects a non-boolean state", () => {
    assert.equal(mk.memkind_set_bg_threads("yes" as unknown as boolean), mk.MEMKIND_ERROR_INVALID);
  });
});

describe("MEMKIND_ARENA_NUM_PER_KIND", () => {
  const script = `
import * as mk from "./dist/src/c.js";
try {
  mk.memkind_malloc(mk.MEMKIND_REGULAR, 10);
  console.log(JSON.stringify({ count: mk.MEMKIND_REGULAR.arenaCount, index: mk.MEMKIND_REGULAR.arenaIndex }));
} catch (e) { console.log(JSON.stringify({ error: e.message, code: e.code })); }
`;

  it("sets the arenas per kind, rounded up to a power of two, ignoring trailing characters", () => {
    for (const [value, count] of [
      ["1", 1],
      ["3", 4],
      ["8", 8],
      ["5abc", 8],
      [" 17", 32],
    ] as const) {
      const result = child(script, { MEMKIND_ARENA_NUM_PER_KIND: value });
      const report = JSON.parse(result.stdout);
      assert.equal(report.count, count, `MEMKIND_ARENA_NUM_PER_KIND=${value}`);
      assert.ok(report.index >= 0 && report.index < count);
    }
  });

  it("0, above INT_MAX, negative or non-numeric values make the kind fail with MEMKIND_ERROR_ENVIRON", () => {
    for (const value of ["0", "2147483648", "-1", "abc", ""]) {
      const report = JSON.parse(child(script, { MEMKIND_ARENA_NUM_PER_KIND: value }).stdout);
      assert.equal(report.code, mk.MEMKIND_ERROR_ENVIRON, `MEMKIND_ARENA_NUM_PER_KIND=${value}`);
      assert.match(report.error, /\[memkind_regular\] Failed to create arena map/);
    }
  });

  it("defaults to min(256, 4 * CPUs) rounded up to a power of two", () => {
    const report = JSON.parse(child(script, {}).stdout);
    const cpus = (spawnSync("nproc", { encoding: "utf8" }).stdout ?? "2").trim();
    assert.equal(report.count, 2 ** Math.ceil(Math.log2(Math.min(256, 4 * Number(cpus)))));
  });
});
