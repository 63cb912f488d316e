/**
 * Chunks of any page-aligned range (a fixed kind's buffer interior) on a simulated machine:
 * several chunks of different arenas in one 4 MiB slot row, chunks nested in another arena's
 * live large run, refusals of overlapping memory, and random layouts checked by fast-check.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { HeapCorruption } from "../../src/heap/arena.js";
import { Heap, NOT_OWNED, OK } from "../../src/heap/heap.js";
import { SLOT_SIZE } from "../../src/heap/page-map.js";
import {
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
  SimulatedPlatform,
} from "../../src/platform/index.js";
import { AnonymousProvider } from "../../src/providers/anonymous.js";
import { FixedProvider } from "../../src/providers/fixed.js";
import { fixtureRoot } from "../helpers/paths.js";

const PAGE = 4096;
const options = { decayMs: 10_000, hog: false };

function machine() {
  const os = new SimulatedPlatform({ sysfsRoot: fixtureRoot("host") });
  const heap = new Heap();
  /** A slot-aligned simulated mapping of `slots` slots, for carving fixed ranges out of. */
  const region = (slots = 1) => {
    const raw = os.mmap(
      0,
      (slots + 1) * SLOT_SIZE,
      PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS,
      -1,
      0,
    );
    return Math.ceil(raw / SLOT_SIZE) * SLOT_SIZE;
  };
  const fixed = (addr: number, size: number) =>
    heap.createArena(new FixedProvider(addr, size, (a, l) => os.view(a, l)), options);
  return { os, heap, region, fixed };
}

describe("heap chunks of any page range", () => {
  it("two fixed ranges in one slot share its row and keep their pages apart", () => {
    const { heap, region, fixed } = machine();
    const base = region();
    const a = fixed(base + 100, 1 << 20); // head of 100 bytes: the interior starts a page in
    const b = fixed(base + (1 << 20) + 3 * PAGE, 2 << 20);
    const pa = heap.malloc(a, 64);
    const pb = heap.malloc(b, 64);
    const la = heap.malloc(a, 100_000);
    assert.ok(pa >= base + PAGE && pa < base + (1 << 20), "a's block lies in a's interior");
    assert.ok(pb >= base + (1 << 20) + 3 * PAGE && pb < base + (3 << 20) + 3 * PAGE);
    assert.equal(heap.arenaOf(pa), a);
    assert.equal(heap.arenaOf(la), a);
    assert.equal(heap.arenaOf(pb), b);
    assert.equal(heap.pageMap.rowsNeeded(base, SLOT_SIZE), 0, "one row serves the slot");
    for (const outside of [base, base + 50, base + (1 << 20) + PAGE, base + (3 << 20) + 4 * PAGE])
      assert.equal(heap.status(outside), NOT_OWNED, `0x${outside.toString(16)} is nobody's`);
    heap.check();
    heap.destroyArena(a);
    assert.equal(heap.status(pa), NOT_OWNED, "a destroyed arena's pointers are foreign");
    assert.equal(heap.status(la), NOT_OWNED);
    assert.equal(heap.arenaOf(pb), b, "b lives on in the shared row");
    assert.equal(heap.free(pb), OK);
    heap.check();
    heap.destroyArena(b);
    assert.equal(heap.pageMap.rowsNeeded(base, SLOT_SIZE), 1, "the row was recycled");
    heap.check();
  });

  it("a fixed range that holds no whole page fails every allocation and stays consistent", () => {
    const { heap, region, fixed } = machine();
    const base = region();
    const arena = fixed(base + 10, PAGE + 100);
    assert.equal(heap.malloc(arena, 8), 0);
    assert.match(String(arena.lastError), /ENOMEM.*no whole page/);
    assert.equal(heap.malloc(arena, 8), 0);
    heap.check();
  });

  it("fills up with ENOMEM, frees, and fills the same memory again", () => {
    const { heap, region, fixed } = machine();
    const base = region();
    const arena = fixed(base, 1 << 20);
    const fill = (size: number) => {
      const blocks: number[] = [];
      for (;;) {
        const p = heap.malloc(arena, size);
        if (p === 0) break;
        blocks.push(p);
      }
      return blocks;
    };
    for (const size of [48, 20_000]) {
      const first = fill(size);
      assert.ok(first.length > 0);
      assert.match(String(arena.lastError), /ENOMEM/);
      heap.check();
      for (const p of first) assert.equal(heap.free(p), OK);
      arena.purgeAll();
      const second = fill(size);
      assert.equal(second.length, first.length, `as many ${size}-byte blocks the second time`);
      for (const p of second) heap.free(p);
      arena.purgeAll();
      heap.check();
    }
  });

  it("honours alignment inside a granted chunk and fails when the aligned run does not fit", () => {
    const { heap, region, fixed } = machine();
    const base = region(2);
    const arena = fixed(base + 5 * PAGE, SLOT_SIZE);
    const p = heap.memalign(arena, 1 << 20, 300_000);
    assert.equal(p % (1 << 20), 0);
    assert.equal(heap.memalign(arena, SLOT_SIZE, 300_000), 0, "no 4 MiB boundary leaves room");
    heap.check();
    heap.free(p);
    heap.check();
  });

  it("nests a fixed range in another arena's live large run and restores the run's entries", () => {
    const { os, heap, fixed } = machine();
    const host = heap.createArena(new AnonymousProvider(os), options);
    const lender = heap.malloc(host, 1 << 20);
    const arena = fixed(lender + 123, 600_000);
    const p = heap.malloc(arena, 5000);
    assert.ok(p > lender && p < lender + 600_000);
    assert.equal(heap.arenaOf(p), arena);
    heap.bytes(p, 5000).fill(7);
    heap.check();
    heap.destroyArena(arena);
    assert.equal(heap.status(lender), OK, "the lender is a live block again");
    assert.equal(heap.arenaOf(lender + 200_000), undefined, "interior of the lender");
    assert.equal(heap.free(lender), OK);
    heap.check();
  });

  it("refuses a range that overlaps heap memory other than inside one live large run", () => {
    const { os, heap, fixed } = machine();
    const host = heap.createArena(new AnonymousProvider(os), options);
    const small = heap.malloc(host, 64);
    const large = heap.malloc(host, 100_000);
    const cases = [
      [Math.floor(small / PAGE) * PAGE, PAGE], // a slab
      [large - PAGE, 2 * PAGE], // a large run and what precedes it
      [large + 200_000, 8 * PAGE], // free space of the chunk
    ] as const;
    for (const [addr, size] of cases) {
      const arena = fixed(addr, size);
      assert.equal(heap.malloc(arena, 8), 0);
      assert.ok(arena.lastError instanceof RangeError, String(arena.lastError));
      heap.check();
    }
    assert.equal(heap.free(small), OK);
    assert.equal(heap.free(large), OK);
    heap.check();
  });

  it("check() finds a row entry outside every chunk", () => {
    const { heap, region, fixed } = machine();
    const base = region();
    const arena = fixed(base + 8 * PAGE, 4 * PAGE);
    heap.malloc(arena, 8);
    heap.check();
    // The page before the chunk is in the same row but nobody's.
    const leaf = heap.pageMap.roots[Math.floor(base / SLOT_SIZE) >>> 12] as Int32Array;
    const row = (leaf[Math.floor(base / SLOT_SIZE) & 4095] as number) - 1;
    heap.pageMap.entries[row * 1024 + 7] = 1;
    assert.throws(() => heap.check(), HeapCorruption);
    heap.pageMap.entries[row * 1024 + 7] = 0;
    heap.check();
  });

  it("random layouts of fixed ranges across slots, with random work, keep every invariant", () => {
    const layout = fc.array(
      fc.record({
        gap: fc.integer({ min: 0, max: 700 }),
        pages: fc.integer({ min: 1, max: 900 }),
        head: fc.integer({ min: 0, max: 4095 }),
      }),
      { minLength: 1, maxLength: 6 },
    );
    const work = fc.array(
      fc.record({
        arena: fc.nat(),
        size: fc.integer({ min: 1, max: 300_000 }),
        free: fc.boolean(),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(layout, work, fc.nat(), (ranges, steps, destroyPick) => {
        const { heap, region, fixed } = machine();
        const base = region(4);
        let at = base;
        const arenas = ranges.map(({ gap, pages, head }) => {
          at += gap * PAGE;
          const arena = fixed(at + head, pages * PAGE);
          at += (pages + 1) * PAGE;
          return { arena, start: at - (pages + 1) * PAGE + head, end: at - PAGE + head };
        });
        fc.pre(at < base + 4 * SLOT_SIZE);
        const live: { ptr: number; owner: number }[] = [];
        for (const step of steps) {
          if (step.free && live.length > 0) {
            const [block] = live.splice(step.size % live.length, 1);
            assert.equal(heap.free((block as { ptr: number }).ptr), OK);
            continue;
          }
          const owner = step.arena % arenas.length;
          const { arena, start, end } = arenas[owner] as (typeof arenas)[number];
          const ptr = heap.malloc(arena, step.size);
          if (ptr === 0) continue;
          assert.ok(ptr >= start && ptr + step.size <= end, "the block lies in its range");
          assert.equal(heap.arenaOf(ptr), arena);
          live.push({ ptr, owner });
        }
        heap.check();
        const doomed = destroyPick % arenas.length;
        heap.destroyArena((arenas[doomed] as (typeof arenas)[number]).arena);
        for (const { ptr, owner } of live) {
          const expected = owner === doomed ? undefined : arenas[owner]?.arena;
          assert.equal(heap.arenaOf(ptr), expected);
        }
        heap.check();
      }),
      { numRuns: 60 },
    );
  });
});
