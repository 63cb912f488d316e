import { Heap } from "../heap/heap.js";
import { backgroundThreadLimit, heapManagerWarning } from "./env.js";

/**
 * The heap of this worker: every kind's arenas live in it, so that any pointer from any kind
 * is found by one page-map lookup. Each worker thread loads its own copy of this module and so
 * has its own heap, arenas and thread caches.
 */
export const heap = new Heap();

// memkind_construct: the environment read once, when the library loads.
const warning = heapManagerWarning();
if (warning) process.stderr.write(`MEMKIND_WARNING: ${warning}\n`);
if (backgroundThreadLimit() === undefined) {
  process.stderr.write(
    `MEMKIND_FATAL: Error: Wrong value of MEMKIND_BACKGROUND_THREAD_LIMIT=${process.env.MEMKIND_BACKGROUND_THREAD_LIMIT}\n`,
  );
  process.exit(134); // upstream aborts (SIGABRT: exit status 134)
}
