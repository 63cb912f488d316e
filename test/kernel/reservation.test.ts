/**
 * The heap's reserved window on the real kernel: chunks placed in it, ranges reserved again
 * when chunks go, and memory that something else maps into a hole never overwritten.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { Heap, INTERIOR, NOT_LIVE, NOT_OWNED, OK } from "../../src/heap/heap.js";
import { SLAB_ZONE_MAX, SLOT_SIZE } from "../../src/heap/page-map.js";
import { heap } from "../../src/kinds/heap.js";
import {
  defaultPlatform,
  MAP_ANONYMOUS,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
} from "../../src/platform/index.js";
import { AnonymousProvider } from "../../src/providers/anonymous.js";
import type { PageProvider } from "../../src/providers/provider.js";
import { PlatformReservation } from "../../src/providers/reservation.js";
import { isMemoryAt, smapsEntry } from "../helpers/proc.js";
import { plainProvider } from "../helpers/providers.js";

const os = defaultPlatform();

describe("reserved window", () => {
  it("the worker heap reserves 256 GiB of address space, with no memory behind it", () => {
    const reservation = heap.chunks.reservation;
    assert.ok(reservation, "the reservation was made");
    assert.equal(reservation.length, 256 * 2 ** 30);
    assert.equal(reservation.base % SLOT_SIZE, 0);
    const entry = smapsEntry(reservation.base + reservation.length - 4096);
    assert.equal(entry.perms, "---p", "the untouched end of the window is PROT_NONE");
    assert.equal(entry.rss, 0);
  });

  it("places DEFAULT chunks in the window and reserves a released chunk's range again", () => {
    const reservation = heap.chunks.reservation as PlatformReservation;
    const inWindow = (p: number) =>
      p >= reservation.base && p < reservation.base + reservation.length;
    const small = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 100);
    // 12 MiB and its pad page (a coloured run): a dedicated chunk of 4 slots
    const big = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 3 * SLOT_SIZE);
    assert.ok(inWindow(small) && inWindow(big));
    assert.equal(smapsEntry(big).perms.slice(0, 2), "rw");
    mk.view(big, 3 * SLOT_SIZE).fill(7);
    const free = reservation.freeBytes;
    mk.memkind_free(null, big);
    mk.memkind_purge(mk.MEMKIND_DEFAULT); // the wholly free dedicated chunk is unmapped
    assert.equal(isMemoryAt(big), false, "no memory is left at the released chunk");
    assert.equal(smapsEntry(big).perms, "---p", "its range is reserved again");
    assert.equal(reservation.freeBytes, free + 4 * SLOT_SIZE);
    assert.equal(mk.memkind_detect_kind(big), null);
    mk.memkind_free(null, small);
    assert.equal(reservation.lost, 0);
    heap.check();
  });

  it("never overwrites memory mapped into a hole of the reservation", () => {
    const reservation = new PlatformReservation(os, 4 * SLOT_SIZE, SLOT_SIZE);
    const at = reservation.take(SLOT_SIZE, SLOT_SIZE);
    assert.equal(at, reservation.base);
    // A provider's chunk goes; before the heap re-reserves, another mapping takes the hole.
    os.munmap(at, SLOT_SIZE);
    const rw = PROT_READ | PROT_WRITE;
    const other = os.mmap(
      at,
      SLOT_SIZE,
      rw,
      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
      -1,
      0,
    );
    assert.equal(other, at);
    os.view(other, SLOT_SIZE).fill(42);
    reservation.give(at, SLOT_SIZE);
    assert.equal(reservation.lost, SLOT_SIZE, "the range is given up, not re-reserved");
    assert.equal(os.view(other, SLOT_SIZE)[SLOT_SIZE - 1], 42, "the other mapping is intact");
    assert.equal(smapsEntry(other).perms.slice(0, 2), "rw");
    const next = reservation.take(SLOT_SIZE, SLOT_SIZE);
    assert.equal(next, at + SLOT_SIZE, "first fit skips the range that was given up");
    os.munmap(other, SLOT_SIZE);
    os.munmap(reservation.base + SLOT_SIZE, 3 * SLOT_SIZE);
  });

  it("hands out aligned ranges first fit and merges given-back ranges", () => {
    const reservation = new PlatformReservation(os, 8 * SLOT_SIZE, SLOT_SIZE);
    const base = reservation.base;
    const a = reservation.take(SLOT_SIZE, SLOT_SIZE);
    const b = reservation.take(2 * SLOT_SIZE, 2 * SLOT_SIZE); // aligned to 8 MiB
    assert.equal(a, base);
    assert.equal(b % (2 * SLOT_SIZE), 0);
    assert.ok(b >= base + SLOT_SIZE);
    assert.equal(reservation.take(16 * SLOT_SIZE, SLOT_SIZE), -1, "more than the reservation");
    for (const [addr, length] of [
      [a, SLOT_SIZE],
      [b, 2 * SLOT_SIZE],
    ] as const) {
      os.munmap(addr, length); // as a provider's unmap does
      reservation.give(addr, length);
    }
    assert.equal(reservation.freeBytes, 8 * SLOT_SIZE);
    assert.equal(reservation.take(8 * SLOT_SIZE, SLOT_SIZE), base, "the ranges merged back whole");
    os.munmap(base, 8 * SLOT_SIZE);
  });

  it("the worker heap's window is 4 GiB-aligned, so its slab zone is indexed by low bits", () => {
    const reservation = heap.chunks.reservation as PlatformReservation;
    assert.equal(reservation.base % SLAB_ZONE_MAX, 0);
    assert.equal(heap.pageMap.slabZoneLength, SLAB_ZONE_MAX);
    const p = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 64);
    assert.ok(heap.pageMap.inSlabZone(p, 64), "the first chunks are in the slab zone");
    mk.memkind_free(null, p);
  });

  it("frees slabs beyond the 4 GiB slab zone on the checked path, with the same checks", () => {
    // An 8 GiB window whose first 4 GiB are taken: the arena's chunks land past the zone.
    const reservation = new PlatformReservation(os, 2 * SLAB_ZONE_MAX, SLOT_SIZE);
    const local = new Heap({ reservation });
    assert.equal(local.pageMap.slabZoneLength, SLAB_ZONE_MAX);
    const zone = reservation.take(SLAB_ZONE_MAX, SLOT_SIZE);
    assert.equal(zone, reservation.base);
    const arena = local.createArena(new AnonymousProvider(os), { decayMs: 10_000, hog: false });
    const blocks = [16, 64, 100, 4096, 9000].map((size) => local.malloc(arena, size));
    for (const p of blocks) {
      assert.ok(p >= reservation.base + SLAB_ZONE_MAX, "placed beyond the zone");
      assert.equal(local.pageMap.inSlabZone(p, 1), false);
    }
    const [a, b, c] = blocks as [number, number, number];
    assert.equal(local.free(c + 16), INTERIOR, "an interior pointer is caught (112 B class)");
    assert.equal(local.free(b), OK);
    assert.equal(local.free(b), NOT_LIVE, "a second free is caught");
    // A pointer 4 GiB below a live region has the same low 32 bits: it is not taken for it.
    assert.equal(
      local.free(a - SLAB_ZONE_MAX),
      NOT_OWNED,
      "the alias in the zone is not heap memory",
    );
    local.check();
    for (const p of blocks) if (p !== b) assert.equal(local.free(p), OK);
    assert.equal(local.malloc(arena, 64), b, "the freed region is reused from the cache");
    local.check();
    local.destroyArena(arena);
    assert.equal(reservation.freeBytes, SLAB_ZONE_MAX, "all but the range taken by the test");
    os.munmap(reservation.base, reservation.length);
  });

  describe("chunk growth", () => {
    const MiB = 2 ** 20;
    /** A heap over a 2 GiB reservation of its own, and its arena's chunk lengths in MiB. */
    function grownHeap(provider: PageProvider = new AnonymousProvider(os)) {
      const reservation = new PlatformReservation(os, 512 * SLOT_SIZE, SLOT_SIZE);
      const local = new Heap({ reservation });
      const arena = local.createArena(provider, { decayMs: 10_000, hog: false });
      const lengths = () =>
        [...local.chunks.all()]
          .map(([, chunk]) => chunk)
          .sort((a, b) => a.addr - b.addr)
          .map((chunk) => chunk.length / MiB);
      return { reservation, heap: local, arena, lengths };
    }

    it("maps chunks of 4 MiB doubling to 256 MiB, untouched, so freed runs share long chunks", () => {
      const { reservation, heap: local, arena, lengths } = grownHeap();
      const blocks: number[] = [];
      while (lengths().length < 9) {
        const p = local.malloc(arena, 3 * MiB);
        assert.notEqual(p, 0);
        blocks.push(p);
      }
      assert.deepEqual(lengths(), [4, 8, 16, 32, 64, 128, 256, 256, 256]);
      const chunk = [...local.chunks.all()].map(([, c]) => c).find((c) => c.length === 256 * MiB);
      assert.ok(chunk && !chunk.dedicated && chunk.reserved);
      assert.equal(smapsEntry(chunk.addr + chunk.length - 4096).rss, 0, "untouched: no memory");
      // Four freed neighbours in one grown chunk coalesce into a run of three slots.
      const [a, b, c, d] = blocks.filter((p) => p >= chunk.addr && p < chunk.addr + chunk.length);
      for (const p of [a, b, c, d]) local.free(p as number);
      const big = local.malloc(arena, 12 * MiB);
      assert.equal(big, a, "a 12 MiB block reuses the four freed 3 MiB runs");
      local.check();
      local.free(big);
      for (const p of blocks) if (![a, b, c, d].includes(p)) local.free(p);
      local.check();
      local.destroyArena(arena);
      assert.equal(reservation.freeBytes, reservation.length);
      os.munmap(reservation.base, reservation.length);
    });

    it("gives a run longer than the next chunk length a dedicated chunk, unmapped when free", () => {
      const { reservation, heap: local, arena, lengths } = grownHeap();
      const small = local.malloc(arena, 64);
      assert.deepEqual(lengths(), [4]);
      const big = local.malloc(arena, 12 * MiB); // longer than the next length (8 MiB)
      assert.deepEqual(lengths(), [4, 16], "12 MiB and the run's pad page: 4 slots");
      local.free(big);
      local.purgeAll();
      assert.deepEqual(lengths(), [4], "the dedicated chunk went");
      assert.equal(isMemoryAt(big), false);
      local.free(small);
      local.destroyArena(arena);
      os.munmap(reservation.base, reservation.length);
    });

    it("falls back to the run's own length when the provider refuses a grown chunk", () => {
      const plain = new AnonymousProvider(os);
      let refused = 0;
      const picky = plainProvider(plain, "refuses chunks over 4 MiB", {
        growChunks: true,
        // As AnonymousProvider's room check: the chunk is mapped, refused and unmapped.
        mapAt: (addr, length) => {
          plain.mapAt?.(addr, length);
          if (length > SLOT_SIZE) {
            refused++;
            plain.unmap(addr, length);
            throw new RangeError("no room");
          }
        },
      });
      const { reservation, heap: local, arena, lengths } = grownHeap(picky);
      const blocks = [1, 2, 3].map(() => local.malloc(arena, 3 * MiB));
      assert.ok(blocks.every((p) => p !== 0));
      assert.deepEqual(lengths(), [4, 4, 4]);
      assert.ok(refused >= 2, "a grown chunk was asked for and refused");
      assert.equal(reservation.lost, 0);
      for (const p of blocks) local.free(p);
      local.check();
      local.destroyArena(arena);
      assert.equal(reservation.freeBytes, reservation.length);
      os.munmap(reservation.base, reservation.length);
    });

    it("keeps slot-sized chunks for providers that do not allow growth", () => {
      const plain = new AnonymousProvider(os);
      const fixedSize = plainProvider(plain, "no growth", {
        mapAt: (addr, length) => plain.mapAt?.(addr, length),
      });
      const { reservation, heap: local, arena, lengths } = grownHeap(fixedSize);
      const blocks = [1, 2, 3].map(() => local.malloc(arena, 3 * MiB));
      assert.deepEqual(lengths(), [4, 4, 4]);
      for (const p of blocks) local.free(p);
      local.destroyArena(arena);
      os.munmap(reservation.base, reservation.length);
    });
  });
});
