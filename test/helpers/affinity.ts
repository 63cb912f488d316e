/**
 * Pinning the calling thread to one CPU (sched_setaffinity), for VM tests whose outcome depends
 * on the node the thread runs on: memkind picks a kind's nodes from the CPU at the time it
 * maps a chunk, and the scheduler may move the thread to another node's CPU in between.
 */
import koffi from "koffi";
import { defaultPlatform } from "../../src/platform/index.js";

const libc = koffi.load("libc.so.6");
const schedGetaffinity = libc.func(
  "int sched_getaffinity(int pid, size_t size, _Out_ uint8_t *mask)",
) as (pid: number, size: number, mask: Uint8Array) => number;
const schedSetaffinity = libc.func(
  "int sched_setaffinity(int pid, size_t size, const uint8_t *mask)",
) as (pid: number, size: number, mask: Uint8Array) => number;

/** Bytes of a CPU mask: 1024 CPUs, glibc's cpu_set_t. */
const MASK_BYTES = 128;

/** Runs `body` with the calling thread pinned to the CPU it is on now, then restores its mask. */
export function onThisCpu<T>(body: () => T): T {
  const saved = new Uint8Array(MASK_BYTES);
  if (schedGetaffinity(0, MASK_BYTES, saved) !== 0) throw new Error("sched_getaffinity failed");
  const { cpu } = defaultPlatform().getcpu();
  const pinned = new Uint8Array(MASK_BYTES);
  pinned[cpu >> 3] = 1 << (cpu & 7);
  if (schedSetaffinity(0, MASK_BYTES, pinned) !== 0) throw new Error("sched_setaffinity failed");
  try {
    return body();
  } finally {
    schedSetaffinity(0, MASK_BYTES, saved);
  }
}
