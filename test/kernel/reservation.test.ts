/**
 * The heap's reserved window on the real kernel: chunks placed in it, ranges reserved again
 * when chunks go, and memory that something else maps into a hole never overwritten.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { SLOT_SIZE } from "../../src/heap/page-map.js";
import { heap } from "../../src/kinds/heap.js";
import {
  defaultPlatform,
  MAP_ANONYMOUS,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
} from "../../src/platform/index.js";
import { PlatformReservation } from "../../src/providers/reservation.js";
import { isMemoryAt, smapsEntry } from "../helpers/proc.js";

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
    const big = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 3 * SLOT_SIZE); // a dedicated chunk
    assert.ok(inWindow(small) && inWindow(big));
    assert.equal(smapsEntry(big).perms.slice(0, 2), "rw");
    mk.view(big, 3 * SLOT_SIZE).fill(7);
    const free = reservation.freeBytes;
    mk.memkind_free(null, big);
    mk.memkind_purge(mk.MEMKIND_DEFAULT); // the wholly free dedicated chunk is unmapped
    assert.equal(isMemoryAt(big), false, "no memory is left at the released chunk");
    assert.equal(smapsEntry(big).perms, "---p", "its range is reserved again");
    assert.equal(reservation.freeBytes, free + 3 * SLOT_SIZE);
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
});
