import { Heap } from "../heap/heap.js";

/**
 * The heap of this worker: every kind's arenas live in it, so that any pointer from any kind
 * is found by one page-map lookup. Each worker thread loads its own copy of this module and so
 * has its own heap, arenas and thread caches.
 */
export const heap = new Heap();
