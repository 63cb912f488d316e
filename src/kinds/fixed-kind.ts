/**
 * Fixed kinds (memkind_create_fixed, reference/memkind.md section 1.11): a heap that lives in
 * a caller's memory only, an ArrayBuffer, a SharedArrayBuffer, a typed view of one, or an
 * address range (from mmap, or a live large block of another kind).
 *
 * - Name "fixed%p" of the range's start, as upstream ("fixed0x7f3a5c000010"), so two kinds
 *   over the same start collide (MEMKIND_ERROR_INVALID); capacity = size.
 * - Only the whole pages inside the range are used; the heap's metadata lives elsewhere, so no
 *   byte outside the range is written. Exhaustion: NULL with ENOMEM, the heap stays usable.
 * - Purging leaves the memory alone (see providers/fixed.ts); destroying the kind unregisters
 *   its pages and leaves the bytes as they are: nothing is unmapped or discarded.
 * - The kind holds the JS buffer alive until it is destroyed. A SharedArrayBuffer kind is
 *   used from the worker that created it: each worker has its own heap, and two workers'
 *   heaps over the same memory would hand out the same bytes.
 *
 * Checked (upstream checks nothing): size a non-negative integer within the buffer; a buffer
 * that can change size (resizable / growable) is refused; an address range must be mapped
 * readable and writable where the heap will work, and heap memory only inside one live large
 * allocation (which must outlive the fixed kind: freeing or resizing it first is refused,
 * Heap LENT).
 */
import { SMALL_MAX } from "../heap/size-classes.js";
import { defaultPlatform, hex, type Platform } from "../platform/index.js";
import { FixedProvider } from "../providers/fixed.js";
import { MEMKIND_ERROR_INVALID, MEMKIND_SUCCESS } from "./errors.js";
import { heap } from "./heap.js";
import type { Kind } from "./kind.js";
import { registerKind } from "./registry.js";

/** Memory a fixed kind can live in. */
export type FixedMemory = ArrayBuffer | SharedArrayBuffer | ArrayBufferView | number;

/** The outcome of creating a kind: the kind, or a MEMKIND_ERROR_* code and why. */
export type Creation =
  | { readonly code: typeof MEMKIND_SUCCESS; readonly kind: Kind }
  | { readonly code: number; readonly message: string };

/** Highest user-space address on Linux x86-64 (exclusive). */
const USER_ADDRESS_LIMIT = 2 ** 47;

interface Range {
  readonly addr: number;
  readonly size: number;
  readonly view: (addr: number, length: number) => Uint8Array;
}

function invalid(message: string): Creation {
  return { code: MEMKIND_ERROR_INVALID, message };
}

/** C's %p: "(nil)" for NULL, else 0x and lowercase hex. */
function pointerText(addr: number): string {
  return addr === 0 ? "(nil)" : hex(addr);
}

function isBuffer(value: unknown): value is ArrayBuffer | SharedArrayBuffer {
  return (
    value instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer)
  );
}

/** A buffer whose length can change: its memory may move or shrink under the heap. */
function canChangeSize(buffer: ArrayBuffer | SharedArrayBuffer): boolean {
  const flags = buffer as { resizable?: boolean; growable?: boolean };
  return flags.resizable === true || flags.growable === true;
}

/** The bytes `mem` and `size` describe, or why they describe none. */
function resolve(mem: unknown, size: unknown, platform: Platform): Range | string {
  if (!(Number.isSafeInteger(size) && (size as number) >= 0))
    return `size ${String(size)} is not a non-negative integer`;
  const bytes = size as number;
  if (typeof mem === "number") {
    if (!(Number.isSafeInteger(mem) && mem > 0 && mem + bytes <= USER_ADDRESS_LIMIT))
      return `address ${String(mem)} with size ${bytes} is not a user-space range`;
    return { addr: mem, size: bytes, view: (addr, length) => platform.view(addr, length) };
  }
  const buffer = isBuffer(mem) ? mem : ArrayBuffer.isView(mem) ? mem.buffer : undefined;
  if (!buffer || !isBuffer(buffer))
    return "memory must be an ArrayBuffer, a SharedArrayBuffer, a typed view of one, or an address";
  if (canChangeSize(buffer)) return "a resizable or growable buffer can change size under the heap";
  const offset = ArrayBuffer.isView(mem) ? mem.byteOffset : 0;
  const available = ArrayBuffer.isView(mem) ? mem.byteLength : buffer.byteLength;
  if (bytes > available) return `size ${bytes} exceeds the buffer's ${available} bytes`;
  const base = buffer.byteLength === 0 ? 0 : platform.bufferAddress(buffer);
  // Views of the caller's own buffer: the kind's memory reads and writes the caller's bytes.
  return {
    addr: base + offset,
    size: bytes,
    view: (addr, length) => new Uint8Array(buffer, addr - base, length),
  };
}

/**
 * Why the heap cannot work in these whole pages, or undefined: heap memory must lie inside
 * one live large allocation; other memory must be mapped readable and writable.
 */
function refusal(
  interior: { addr: number; length: number },
  platform: Platform,
): string | undefined {
  if (interior.length === 0) return undefined; // nothing will ever be touched
  const end = interior.addr + interior.length;
  const heapMemory = [...heap.chunks.all()].some(
    ([, chunk]) => chunk.addr < end && interior.addr < chunk.addr + chunk.length,
  );
  if (heapMemory) {
    const block = heap.allocationAt(interior.addr);
    const inside = block && block.usable > SMALL_MAX && end <= block.start + block.usable;
    return inside
      ? undefined
      : `${hex(interior.addr)} is heap memory but not inside one live large allocation`;
  }
  if (!platform.isReadWrite(interior.addr, interior.length))
    return `${interior.length} bytes at ${hex(interior.addr)} are not mapped readable and writable`;
  return undefined;
}

/** Creates and registers a fixed kind over `mem` (memkind_create_fixed's checks and rules). */
export function createFixedKind(
  mem: unknown,
  size: unknown,
  platform: Platform = defaultPlatform(),
): Creation {
  const range = resolve(mem, size, platform);
  if (typeof range === "string") return invalid(`memkind_create_fixed(): ${range}`);
  const provider = new FixedProvider(range.addr, range.size, range.view);
  const why = refusal(provider.interior, platform);
  if (why) return invalid(`memkind_create_fixed(): ${why}`);
  const name = `fixed${pointerText(range.addr)}`;
  const registration = registerKind({
    name,
    provider: () => provider,
    capacity: () => range.size,
    describe: () => ({ policy: "none", nodes: null, pageSize: 4096 }),
  });
  if (registration.code !== MEMKIND_SUCCESS || !("kind" in registration))
    return { code: registration.code, message: `memkind_create_fixed(): cannot register ${name}` };
  return { code: MEMKIND_SUCCESS, kind: registration.kind };
}
