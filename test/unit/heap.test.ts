/**
 * The heap on a simulated machine: purging, decay, MEMKIND_HOG_MEMORY, chunk release and
 * the pointer checks, with time and memory fully under the test's control.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HeapCorruption } from "../../src/heap/arena.js";
import {
  extentAt,
  Heap,
  INTERIOR,
  NOT_LIVE,
  NOT_OWNED,
  OK,
  REGION_SIZE,
  regionAt,
} from "../../src/heap/heap.js";
import { SLOT_SIZE } from "../../src/heap/page-map.js";
import {
  CLASS_SIZES,
  classSize,
  SMALL_CLASSES,
  sizeClass,
  slabPages,
  slabRegions,
  usableSize,
} from "../../src/heap/size-classes.js";
import { SimulatedPlatform } from "../../src/platform/index.js";
import { AnonymousProvider } from "../../src/providers/anonymous.js";
import { PlatformReservation } from "../../src/providers/reservation.js";
import { JEMALLOC_CLASSES } from "../helpers/conformance.js";
import { fixtureRoot } from "../helpers/paths.js";
import { plainProvider } from "../helpers/providers.js";

function setup(options: { decayMs?: number; hog?: boolean } = {}) {
  const os = new SimulatedPlatform({ sysfsRoot: fixtureRoot("host") });
  const heap = new Heap();
  const arena = heap.createArena(new AnonymousProvider(os), {
    decayMs: options.decayMs ?? 10_000,
    hog: options.hog ?? false,
  });
  return { os, heap, arena };
}

describe("size classes", () => {
  it("are jemalloc 5.3's", () => {
    assert.deepEqual(CLASS_SIZES.slice(0, JEMALLOC_CLASSES.length), JEMALLOC_CLASSES);
    assert.equal(CLASS_SIZES[SMALL_CLASSES - 1], 14336);
  });

  it("map every request to the smallest class that holds it", () => {
    for (let size = 1; size <= 70_000; size++) {
      const cls = sizeClass(size);
      assert.ok(
        (CLASS_SIZES[cls] as number) >= size &&
          (cls === 0 || (CLASS_SIZES[cls - 1] as number) < size),
        `${size}`,
      );
    }
    for (const size of [2 ** 20 + 1, 2 ** 30 - 1, 2 ** 40 + 3])
      assert.ok(usableSize(size) >= size && usableSize(size) < size * 1.25);
  });

  it("map the sizes around every large class boundary up to 2^40, on both sides of 2^31", () => {
    for (let lg = 13; lg < 40; lg++) {
      for (let k = 0; k <= 4; k++) {
        const boundary = 2 ** lg + k * 2 ** (lg - 2);
        for (const size of [boundary - 1, boundary, boundary + 1]) {
          const cls = sizeClass(size);
          assert.ok(classSize(cls) >= size, `class of ${size} holds it`);
          assert.ok(classSize(cls - 1) < size, `class of ${size} is the smallest`);
        }
      }
    }
  });

  it("give slabs that hold whole regions in the fewest pages", () => {
    for (let cls = 0; cls < SMALL_CLASSES; cls++) {
      assert.equal((slabPages(cls) * 4096) % (CLASS_SIZES[cls] as number), 0);
      assert.ok(slabRegions(cls) >= 1 && slabRegions(cls) <= 512);
    }
  });

  it("give the region of every byte of every slab by multiply and shift, as a divide would", () => {
    for (let cls = 0; cls < SMALL_CLASSES; cls++) {
      const size = CLASS_SIZES[cls] as number;
      assert.equal(REGION_SIZE[cls], size);
      const bytes = slabPages(cls) * 4096;
      assert.ok(bytes <= 2 ** 15, "the multiplier is exact below 2^15 only");
      for (let offset = 0; offset < bytes; offset++) {
        if (regionAt(offset, cls) !== Math.floor(offset / size))
          assert.fail(`class ${cls} (${size} B), offset ${offset}: ${regionAt(offset, cls)}`);
      }
    }
  });
});

describe("heap on a simulated machine", () => {
  it("classifies pointers: live, interior, freed, foreign", () => {
    const { heap, arena } = setup();
    const small = heap.malloc(arena, 100);
    const large = heap.malloc(arena, 100_000);
    assert.equal(heap.status(small), OK);
    assert.equal(heap.status(small + 8), INTERIOR);
    assert.equal(heap.status(large + 4096), INTERIOR);
    assert.equal(heap.status(2 ** 40), NOT_OWNED);
    assert.equal(heap.free(small), OK);
    assert.equal(heap.free(small), NOT_LIVE, "a freed region in the thread cache");
    assert.equal(heap.free(large), OK);
    assert.equal(heap.free(large), NOT_LIVE);
    heap.check();
  });

  it("purges every dirty page on purgeAll, and memory reads zero afterwards", () => {
    const { heap, arena } = setup();
    const blocks = Array.from({ length: 100 }, (_, i) => heap.malloc(arena, 1000 + i * 3000));
    for (const p of blocks) heap.bytes(p, 1000).fill(0xee);
    for (const p of blocks) heap.free(p);
    assert.ok(arena.dirty.pages > 0);
    heap.purgeAll();
    assert.equal(arena.dirty.pages, 0);
    assert.equal(arena.activePages, 0, "empty slabs are released too");
    heap.check();
    const again = heap.malloc(arena, 1000);
    assert.ok(
      heap.bytes(again, 1000).every((b) => b === 0),
      "purged pages come back zeroed",
    );
  });

  it("purges dirty runs once they are older than the decay time", () => {
    const { heap, arena } = setup({ decayMs: 50 });
    const p = heap.malloc(arena, 1_000_000);
    heap.free(p);
    assert.ok(arena.dirty.pages >= 244);
    arena.decay(performance.now() + 10);
    assert.ok(arena.dirty.pages >= 244, "not yet due");
    arena.decay(performance.now() + 1000);
    assert.equal(arena.dirty.pages, 0);
    heap.check();
  });

  it("purges at once with a decay time of 0 (the CONSERVATIVE policy)", () => {
    const { heap, arena } = setup({ decayMs: 0 });
    heap.free(heap.malloc(arena, 1_000_000));
    assert.equal(arena.dirty.pages, 0);
    heap.check();
  });

  it("never purges with hog set (MEMKIND_HOG_MEMORY)", () => {
    const { heap, arena } = setup({ decayMs: 0, hog: true });
    heap.free(heap.malloc(arena, 1_000_000));
    assert.equal(heap.purgeAll(), 0);
    arena.decay(performance.now() + 100_000);
    assert.ok(arena.dirty.pages > 0);
    heap.check();
  });

  it("unmaps a dedicated chunk of a huge block once it is free and purged, keeps ordinary chunks", () => {
    const { heap, arena } = setup();
    const small = heap.malloc(arena, 64);
    const mappedBefore = arena.mapped;
    const huge = heap.malloc(arena, 40 * 2 ** 20);
    assert.ok(arena.mapped >= mappedBefore + 40 * 2 ** 20);
    heap.free(huge);
    heap.purgeAll();
    assert.equal(arena.mapped, mappedBefore, "the dedicated chunk is gone");
    assert.equal(heap.status(huge), NOT_OWNED, "and its pointers are foreign");
    heap.free(small);
    heap.purgeAll();
    assert.equal(arena.mapped, SLOT_SIZE, "the ordinary chunk is retained");
    heap.check();
  });

  it("returns 0 and keeps the heap consistent when the provider cannot map", () => {
    const { heap, arena } = setup();
    assert.equal(heap.malloc(arena, 2 ** 46), 0);
    assert.ok(arena.lastError instanceof Error);
    heap.check();
  });

  it("grows a large block in place into a free neighbour, and shrinks it in place", () => {
    const { heap, arena } = setup();
    const a = heap.malloc(arena, 64 * 1024);
    const b = heap.malloc(arena, 64 * 1024);
    assert.equal(b, a + 64 * 1024, "neighbours");
    heap.free(b);
    assert.equal(heap.realloc(arena, a, 120 * 1024), a);
    assert.equal(heap.usableSize(a), 128 * 1024);
    assert.equal(heap.realloc(arena, a, 20 * 1024), a);
    assert.equal(heap.usableSize(a), 20 * 1024);
    heap.check();
  });

  it("coalesces a freed run with a dirty run beyond the clean gap an aligned carve left", () => {
    const { heap, arena } = setup();
    const a = heap.memalign(arena, 4096, 40 * 1024); // pages 0-9 of a fresh chunk
    heap.free(a); // dirty 0-9, beside the long clean rest
    // 64 KiB at 64 KiB: not in the 10 dirty pages; from the clean run, which leaves a clean
    // lead of pages 10-15 between the dirty run and the block (16-31).
    const b = heap.memalign(arena, 64 * 1024, 64 * 1024);
    assert.equal(b, a + 16 * 4096);
    heap.free(b);
    assert.equal(arena.dirty.pages, 32, "one dirty run: the block, the gap and the run before it");
    heap.check();
  });

  it("keeps a freed run apart from a long clean run beside it, and merges them when a request needs both", () => {
    const { heap, arena } = setup();
    const a = heap.malloc(arena, 64 * 1024); // 16 pages at the start of a fresh 4 MiB chunk
    assert.equal(arena.clean.pages, 1024 - 16, "the rest of the chunk is one clean run");
    heap.free(a);
    assert.equal(arena.dirty.pages, 16, "the dirty (maybe resident) figure is the freed run only");
    assert.equal(arena.clean.pages, 1024 - 16, "the untouched rest was not counted dirty");
    heap.check();
    // A short clean run beside a freed one is taken in.
    const b = heap.malloc(arena, 64 * 1024);
    const c = heap.malloc(arena, 192 * 1024); // 48 pages (not coloured): from the clean run
    const d = heap.malloc(arena, 64 * 1024); // keeps c's run apart from the long clean run
    assert.equal(b, a);
    heap.free(c);
    arena.purgeAll(); // c's run is now clean: 48 pages, short
    heap.free(b);
    assert.equal(arena.dirty.pages, 16 + 48, "b's run took in the short clean run beside it");
    heap.free(d);
    heap.check();
    // 4 MiB needs the whole chunk: the dirty run and the long clean one are merged, no new chunk.
    // (Page-aligned: a coloured run would need a pad page more than the chunk has.)
    const mapped = arena.mapped;
    const whole = heap.memalign(arena, 4096, 4 * 1024 * 1024);
    assert.equal(whole, a, "the request got the whole chunk");
    assert.equal(arena.mapped, mapped, "no chunk was mapped for it");
    heap.check();
    heap.free(whole);
    heap.check();
  });

  it("detects corrupted metadata in check()", () => {
    const { heap, arena } = setup();
    const p = heap.malloc(arena, 100);
    arena.activePages += 1;
    assert.throws(() => heap.check(), HeapCorruption);
    arena.activePages -= 1;
    heap.check();
    heap.free(p);
  });

  it("destroying an arena makes its pointers foreign", () => {
    const { heap, arena } = setup();
    const p = heap.malloc(arena, 100);
    heap.destroyArena(arena);
    assert.equal(heap.status(p), NOT_OWNED);
    heap.check();
  });

  it("the free path's inlined page-map lookup agrees with PageMap.lookup everywhere", () => {
    const os = new SimulatedPlatform({ sysfsRoot: fixtureRoot("host") });
    const reservation = new PlatformReservation(os, 64 * SLOT_SIZE, SLOT_SIZE);
    const heap = new Heap({ reservation });
    const inside = heap.createArena(new AnonymousProvider(os), { decayMs: 10_000, hog: false });
    // A provider that cannot map at an address (as a huge-page or a user mmap one): its
    // chunks land outside the window, in the radix table.
    const elsewhere = plainProvider(new AnonymousProvider(os), "anywhere");
    const outside = heap.createArena(elsewhere, { decayMs: 10_000, hog: false });
    const blocks = [64, 5000, 100_000, 9_000_000].flatMap((size) => [
      heap.malloc(inside, size),
      heap.malloc(outside, size),
    ]);
    assert.ok(blocks.every((p) => p !== 0));
    const { entries, windowBase, windowLength } = heap.pageMap;
    const chunks = [...heap.chunks.all()].map(([, chunk]) => chunk);
    assert.ok(chunks.some((c) => heap.pageMap.inWindow(c.addr, c.length)));
    assert.ok(chunks.some((c) => !heap.pageMap.inWindow(c.addr, c.length)));
    const probes = [0, -1, Number.NaN, 2 ** 49, 2 ** 49 - 1, 2 ** 48 - 1, 2 ** 60, windowBase - 1];
    probes.push(windowBase, windowBase + windowLength - 1, windowBase + windowLength);
    for (const chunk of chunks) {
      for (let offset = -8192; offset <= chunk.length + 8192; offset += 4096 - 8)
        probes.push(chunk.addr + offset);
    }
    for (const addr of probes) {
      const fast = extentAt(entries, windowBase, windowLength, heap.pageMap, addr);
      assert.equal(fast, heap.pageMap.lookup(addr), `address ${addr}`);
    }
    for (const p of blocks) heap.free(p);
    heap.check();
  });

  it("places chunks in its reservation and gives their ranges back when they are unmapped", () => {
    const os = new SimulatedPlatform({ sysfsRoot: fixtureRoot("host") });
    const reservation = new PlatformReservation(os, 16 * SLOT_SIZE, SLOT_SIZE);
    const heap = new Heap({ reservation });
    const arena = heap.createArena(new AnonymousProvider(os), { decayMs: 0, hog: false });
    const small = heap.malloc(arena, 64);
    // 20 MiB, a class, and its pad page (a coloured run): a dedicated chunk of 6 slots
    const big = heap.malloc(arena, 5 * SLOT_SIZE);
    for (const p of [small, big]) {
      assert.ok(p >= reservation.base && p < reservation.base + reservation.length);
    }
    assert.equal(reservation.freeBytes, 16 * SLOT_SIZE - 7 * SLOT_SIZE);
    heap.free(big); // decay 0: purged, wholly free, unmapped, its range reserved again
    assert.equal(reservation.freeBytes, 16 * SLOT_SIZE - SLOT_SIZE);
    assert.equal(heap.status(big), NOT_OWNED);
    // Bigger than what is left: mapped outside the window, still found by pointer.
    const huge = heap.malloc(arena, 20 * SLOT_SIZE);
    assert.ok(
      huge !== 0 && !(huge >= reservation.base && huge < reservation.base + reservation.length),
    );
    assert.equal(heap.status(huge), OK);
    heap.free(huge);
    heap.free(small);
    heap.check();
    heap.destroyArena(arena);
    assert.equal(
      reservation.freeBytes,
      16 * SLOT_SIZE,
      "destroying the arena gives every range back",
    );
    assert.equal(reservation.lost, 0);
  });
});
