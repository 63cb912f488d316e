/**
 * The heap's reserved address range (provider.ts AddressReservation) over the OS: one
 * PROT_NONE, MAP_NORESERVE mapping (no memory, no commit charge), slot-aligned, from which
 * chunks are placed with MAP_FIXED. Free parts are kept as a sorted list of [start, end)
 * ranges, first fit: chunks are few (4 MiB and up) and each placement costs system calls
 * anyway.
 *
 *   base                                                              base + length
 *   │ chunk (rw) │ reserved │ chunk (rw, 16 MiB)   │ reserved ...                  │
 *
 * A chunk's range goes back with `give`: it is mapped PROT_NONE again with
 * MAP_FIXED_NOREPLACE, so memory that another part of the process mapped into the hole
 * meanwhile is never overwritten (that range is then dropped from the reservation).
 */
import {
  MAP_ANONYMOUS,
  MAP_FIXED_NOREPLACE,
  MAP_NORESERVE,
  MAP_PRIVATE,
  type Platform,
  PlatformError,
  PROT_NONE,
} from "../platform/index.js";
import type { AddressReservation } from "./provider.js";

const RESERVE_FLAGS = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

export class PlatformReservation implements AddressReservation {
  readonly base: number;
  readonly length: number;
  /** Free ranges, sorted, disjoint, not adjacent: [start0, end0, start1, end1, ...]. */
  private readonly free: number[];
  /** Bytes dropped because something else mapped into a hole. */
  lost = 0;

  /**
   * Reserves `length` bytes aligned to `alignment` (both multiples of the page size). Throws
   * PlatformError when the address space cannot be had (a low `ulimit -v`).
   */
  constructor(
    private readonly platform: Platform,
    length: number,
    alignment: number,
  ) {
    const raw = platform.mmap(0, length + alignment, PROT_NONE, RESERVE_FLAGS, -1, 0);
    const base = Math.ceil(raw / alignment) * alignment;
    if (base > raw) platform.munmap(raw, base - raw);
    const tail = raw + alignment - base;
    if (tail > 0) platform.munmap(base + length, tail);
    this.base = base;
    this.length = length;
    this.free = [base, base + length];
  }

  take(length: number, alignment: number): number {
    const free = this.free;
    for (let i = 0; i < free.length; i += 2) {
      const start = free[i] as number;
      const end = free[i + 1] as number;
      const at = Math.ceil(start / alignment) * alignment;
      if (at + length > end) continue;
      // Split [start, end) into [start, at) and [at + length, end), dropping empty parts.
      const parts: number[] = [];
      if (at > start) parts.push(start, at);
      if (at + length < end) parts.push(at + length, end);
      free.splice(i, 2, ...parts);
      return at;
    }
    return -1;
  }

  give(addr: number, length: number): void {
    let mapped: number;
    try {
      mapped = this.platform.mmap(
        addr,
        length,
        PROT_NONE,
        RESERVE_FLAGS | MAP_FIXED_NOREPLACE,
        -1,
        0,
      );
    } catch (error) {
      if (error instanceof PlatformError && error.code === "EEXIST") {
        this.lostRange(addr, length);
        return;
      }
      throw error;
    }
    if (mapped !== addr) {
      // A kernel before 4.17 takes MAP_FIXED_NOREPLACE as a hint: not our range.
      this.platform.munmap(mapped, length);
      this.lostRange(addr, length);
      return;
    }
    this.insertFree(addr, addr + length);
  }

  /** Bytes free in the reservation now. */
  get freeBytes(): number {
    let bytes = 0;
    for (let i = 0; i < this.free.length; i += 2)
      bytes += (this.free[i + 1] as number) - (this.free[i] as number);
    return bytes;
  }

  /**
   * Whether something other than the reservation may hold part of the range: EEXIST means
   * another mapping sits there, either the reservation itself (MAP_FIXED failed before it
   * unmapped anything) or memory mapped by someone else. Neither can be told apart cheaply,
   * so the range is given up (address space only: nothing is leaked but addresses).
   */
  private lostRange(_addr: number, length: number): void {
    this.lost += length;
  }

  /** Puts [start, end) back into the free list, merging with its neighbours. */
  private insertFree(start: number, end: number): void {
    const free = this.free;
    let i = 0;
    while (i < free.length && (free[i] as number) < start) i += 2;
    free.splice(i, 0, start, end);
    // Merge with the right neighbour, then with the left one.
    if (i + 2 < free.length && free[i + 1] === free[i + 2]) free.splice(i + 1, 2);
    if (i >= 2 && free[i - 1] === free[i]) free.splice(i - 1, 2);
  }
}
