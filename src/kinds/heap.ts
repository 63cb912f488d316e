import { Heap, type HeapOptions } from "../heap/heap.js";
import { SLAB_ZONE_MAX } from "../heap/page-map.js";
import { defaultPlatform } from "../platform/index.js";
import { PlatformReservation } from "../providers/reservation.js";
import { backgroundThreadLimit, heapManagerWarning } from "./env.js";

/** Address space the heap reserves for its chunks (no memory: PROT_NONE, MAP_NORESERVE). */
const RESERVED_BYTES = 256 * 2 ** 30;
/** Chunks outside the reservation (fixed kinds, user mmap operations, huge pages): 64 GiB. */
const SLOTS_OUTSIDE = 2 ** 14;

/**
 * Heap options with the reservation: the range in which pointers are found with one load. If
 * the address space cannot be had (a low `ulimit -v`), every chunk goes through the radix
 * table instead: slower lookups, the same behaviour.
 */
function withReservation(): HeapOptions {
  try {
    return {
      // Aligned to 4 GiB: the slab zone's page index is then the low 32 bits of an address.
      reservation: new PlatformReservation(defaultPlatform(), RESERVED_BYTES, SLAB_ZONE_MAX),
      maxSlots: SLOTS_OUTSIDE,
    };
  } catch {
    return {};
  }
}

/**
 * The heap of this worker: every kind's arenas live in it, so that any pointer from any kind
 * is found by one page-map lookup. Each worker thread loads its own copy of this module and so
 * has its own heap, arenas and thread caches.
 */
export const heap = new Heap(withReservation());

// memkind_construct: the environment read once, when the library loads.
const warning = heapManagerWarning();
if (warning) process.stderr.write(`MEMKIND_WARNING: ${warning}\n`);
if (backgroundThreadLimit() === undefined) {
  process.stderr.write(
    `MEMKIND_FATAL: Error: Wrong value of MEMKIND_BACKGROUND_THREAD_LIMIT=${process.env.MEMKIND_BACKGROUND_THREAD_LIMIT}\n`,
  );
  process.exit(134); // upstream aborts (SIGABRT: exit status 134)
}
