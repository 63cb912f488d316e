/**
 * A caller's memory as the only source of a heap's pages (memkind_create_fixed): an
 * ArrayBuffer, a SharedArrayBuffer or an address range.
 *
 *   [addr, addr + size)    ┌────┬─────────────────────────────────────────┬────┐
 *                          │head│ interior: the whole pages, granted once │tail│
 *                          └────┴─────────────────────────────────────────┴────┘
 *
 * The provider grants the page-aligned interior as one chunk the first time the heap asks,
 * then reports ENOMEM: the heap's free runs manage the space from there (best fit,
 * coalescing, alignment inside the chunk), so freed memory is reused, which upstream's bump
 * allocator never does. The head and tail bytes are never read or written; the heap's
 * metadata is out of band, so nothing outside the caller's bytes is touched either.
 *
 * Purge does nothing (upstream's fixed extent hooks opt out of purging too): the memory
 * belongs to the caller, so it is neither discarded (MADV_DONTNEED would zero a JS buffer
 * under the caller's feet) nor given back; freed pages stay resident with their old bytes,
 * so `zeroed` is false and calloc zeroes what it hands out. Unmap only takes the interior
 * back (the kind's arena was destroyed); the memory is left as it is.
 */
import { hex, PlatformError } from "../platform/index.js";
import type { PageProvider, PageRange } from "./provider.js";

const PAGE = 4096;
const ENOMEM = 12;

export class FixedProvider implements PageProvider {
  readonly description: string;
  readonly zeroed = false;
  /** The whole pages of the caller's range (length 0 when it holds no whole page). */
  readonly interior: PageRange;
  private granted = false;

  /**
   * @param addr the range's first byte (any alignment)
   * @param size its length in bytes
   * @param viewOf makes a byte view of part of the range (the caller's buffer or a mapping)
   */
  constructor(
    readonly addr: number,
    readonly size: number,
    private readonly viewOf: (addr: number, length: number) => Uint8Array,
  ) {
    const start = Math.ceil(addr / PAGE) * PAGE;
    const end = Math.floor((addr + size) / PAGE) * PAGE;
    this.interior = { addr: start, length: Math.max(0, end - start) };
    this.description = `fixed memory of ${size} bytes at ${hex(addr)}`;
  }

  /** A fixed kind has no memory beyond its range: the heap uses `grant`. */
  map(length: number): number {
    throw new PlatformError(
      `${this.description}: map(${length})`,
      ENOMEM,
      "a fixed kind has no more memory",
    );
  }

  grant(length: number): PageRange {
    if (this.granted || this.interior.length === 0) {
      const why = this.granted ? "its memory is in use" : "it holds no whole page";
      throw new PlatformError(`${this.description}: grant(${length})`, ENOMEM, why);
    }
    this.granted = true;
    return this.interior;
  }

  unmap(addr: number, length: number): void {
    if (addr === this.interior.addr && length === this.interior.length) this.granted = false;
  }

  purge(): void {}

  view(addr: number, length: number): Uint8Array {
    return this.viewOf(addr, length);
  }
}
