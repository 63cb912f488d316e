/**
 * Cache colours of large runs (arena.ts COLOURED_MIN) on a simulated machine: where a coloured
 * allocation starts, which pointers around it are its own, and which runs are not coloured.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { COLOURED_MIN, colourOf } from "../../src/heap/arena.js";
import { Heap, INTERIOR, NOT_LIVE, OK } from "../../src/heap/heap.js";
import { SimulatedPlatform } from "../../src/platform/index.js";
import { AnonymousProvider } from "../../src/providers/anonymous.js";
import type { PageProvider } from "../../src/providers/provider.js";
import { fixtureRoot } from "../helpers/paths.js";
import { plainProvider } from "../helpers/providers.js";

const PAGE = 4096;
const MiB = 2 ** 20;

function setup(provider?: (os: SimulatedPlatform) => PageProvider) {
  const os = new SimulatedPlatform({ sysfsRoot: fixtureRoot("host") });
  const heap = new Heap();
  const arena = heap.createArena(provider ? provider(os) : new AnonymousProvider(os), {
    decayMs: 10_000,
    hog: false,
  });
  return { heap, arena };
}

/** The run (extent) of a live large allocation. */
function runOf(heap: Heap, ptr: number): { start: number; pages: number } {
  const id = heap.pageMap.lookup(ptr);
  return { start: heap.extents.addr[id] as number, pages: heap.extents.pages[id] as number };
}

describe("cache colours of large runs", () => {
  it("colourOf: a multiple of 64 below a page, fixed by the address, all 64 of them over 4096 pages", () => {
    const seen = new Set<number>();
    for (let page = 0; page < 4096; page++) {
      const addr = 0x7f12_3450_0000 + page * PAGE;
      const colour = colourOf(addr);
      assert.ok(colour % 64 === 0 && colour >= 0 && colour < PAGE, `${colour}`);
      assert.equal(colourOf(addr), colour);
      seen.add(colour);
    }
    assert.equal(seen.size, 64);
  });

  it("a run from 256 KiB starts its allocation at its colour and has a pad page", () => {
    const { heap, arena } = setup();
    for (const size of [COLOURED_MIN - 4096, COLOURED_MIN, MiB + 1, 3 * MiB]) {
      const p = heap.malloc(arena, size);
      const usable = heap.usableSize(p);
      const run = runOf(heap, p);
      assert.equal(p, run.start + colourOf(run.start), `${size}: starts at its colour`);
      assert.equal(run.pages, usable / PAGE + 1, `${size}: one pad page`);
      assert.ok(p + usable <= run.start + run.pages * PAGE, "the whole usable size is in the run");
      heap.bytes(p, usable).fill(1);
    }
    heap.check();
  });

  it("below 256 KiB, page-aligned or aligned above 64 B: the run starts the allocation", () => {
    const { heap, arena } = setup();
    // 229 376 B is the class below 256 KiB.
    const blocks = [16 * 1024, 100_000, 229_376].map((size) => heap.malloc(arena, size));
    for (const alignment of [128, PAGE, 64 * 1024])
      blocks.push(heap.memalign(arena, alignment, 3 * MiB));
    for (const p of blocks) {
      const run = runOf(heap, p);
      assert.equal(p, run.start);
      assert.equal(run.pages * PAGE, heap.usableSize(p));
    }
    const coloured = heap.memalign(arena, 64, 3 * MiB);
    assert.equal(coloured % 64, 0);
    assert.equal(
      runOf(heap, coloured).pages,
      (3 * MiB) / PAGE + 1,
      "64 B alignment keeps a colour",
    );
    heap.check();
  });

  it("pointers into the colour gap or the pad page are no allocation's; frees of them change nothing", () => {
    const { heap, arena } = setup();
    // Colours are fixed by address: allocate until one is not 0 (63 in 64 are not).
    const held: number[] = [];
    let p = heap.malloc(arena, MiB);
    while (p === runOf(heap, p).start) {
      held.push(p);
      p = heap.malloc(arena, MiB);
    }
    const run = runOf(heap, p);
    assert.equal(heap.status(run.start), INTERIOR, "the run's first byte is before the allocation");
    assert.equal(heap.free(run.start), INTERIOR);
    assert.equal(heap.allocationAt(run.start), undefined);
    assert.deepEqual(heap.allocationAt(p + 12345), { start: p, usable: MiB });
    assert.deepEqual(heap.allocationAt(p + MiB - 1), { start: p, usable: MiB });
    assert.equal(heap.allocationAt(p + MiB), undefined, "the pad page's rest");
    assert.equal(heap.liveBytes(p + MiB - 10, 11), undefined, "a view past the usable size");
    assert.equal(heap.liveBytes(p + MiB - 10, 10)?.length, 10);
    heap.check();
    assert.equal(heap.free(p), OK);
    assert.equal(heap.free(p), NOT_LIVE);
    for (const q of held) heap.free(q);
    heap.check();
  });

  it("a run freed and taken again at the same address gets the same colour", () => {
    const { heap, arena } = setup();
    const keep = heap.malloc(arena, 64);
    const p = heap.malloc(arena, 2 * MiB);
    heap.free(p);
    assert.equal(heap.malloc(arena, 2 * MiB), p);
    heap.free(p);
    heap.free(keep);
    heap.check();
  });

  it("realloc in place keeps the colour and the pad page, growing and shrinking", () => {
    const { heap, arena } = setup();
    const p = heap.malloc(arena, MiB);
    const start = runOf(heap, p).start;
    heap.bytes(p, MiB).fill(7);
    assert.equal(
      heap.realloc(arena, p, 1.25 * MiB),
      p,
      "grown in place into the free pages after it",
    );
    assert.deepEqual(runOf(heap, p), { start, pages: (1.25 * MiB) / PAGE + 1 });
    assert.equal(heap.realloc(arena, p, 20_000), p, "shrunk in place, below 256 KiB");
    assert.deepEqual(runOf(heap, p), { start, pages: 20_480 / PAGE + 1 });
    assert.ok(heap.bytes(p, 20_000).every((byte) => byte === 7));
    heap.check();
    heap.free(p);
    heap.check();
  });

  it("a provider whose pages cost something before they are touched gets no colours", () => {
    const { heap, arena } = setup((os) => plainProvider(new AnonymousProvider(os), "no growth"));
    const p = heap.malloc(arena, 3 * MiB);
    assert.deepEqual(runOf(heap, p), { start: p, pages: (3 * MiB) / PAGE });
    heap.check();
  });
});
