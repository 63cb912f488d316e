/**
 * Anonymous memory with an optional NUMA policy and madvise hints: the provider of the
 * DEFAULT, REGULAR, NUMA, HBW, DAX KMEM and huge-page kinds.
 */
import {
  MADV_DONTNEED,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MPOL_BIND,
  MPOL_DEFAULT,
  MPOL_NAMES,
  nodeMemFree,
  type Platform,
  PlatformError,
  PROT_READ,
  PROT_WRITE,
} from "../platform/index.js";
import { formatList } from "../platform/nodemask.js";
import type { PageProvider } from "./provider.js";

export interface AnonymousOptions {
  /** MPOL_* mode for mbind; MPOL_DEFAULT (no mbind call) when absent. */
  readonly mode?: number;
  /** The policy's nodes, or a function computing them at map time (closest to the caller). */
  readonly nodes?: readonly number[] | (() => readonly number[]);
  /** Extra mmap flags (MAP_HUGETLB | MAP_HUGE_2MB for huge-page kinds). */
  readonly mapFlags?: number;
  /** madvise advice applied to every new chunk (MADV_NOHUGEPAGE for interleave kinds). */
  readonly advice?: readonly number[];
  /**
   * For MPOL_BIND kinds: refuse a chunk (ENOMEM) that the bound nodes' free memory and page
   * cache cannot hold. The kernel would otherwise kill the process when it touches the pages
   * (binding never falls back). Checked when a chunk is mapped: memory mapped but not yet
   * touched can still overcommit the nodes, and a node that grows on demand (memory
   * hotplug, balloons) can be refused a chunk it would have found room for.
   */
  readonly refuseWhenFull?: boolean;
  /**
   * Page size of the mapping: 2 MiB for MAP_HUGETLB kinds. Purges round inwards to it (the
   * kernel drops huge pages whole), and huge-page mappings are reserved (no MAP_NORESERVE):
   * an empty pool fails the mmap with ENOMEM instead of killing the process at first touch.
   */
  readonly pageSize?: number;
}

export class AnonymousProvider implements PageProvider {
  readonly description: string;
  /** Purged 4 KiB pages read as zero; huge-page purges round inwards, so not all of a run. */
  readonly zeroed: boolean;
  /** 4 KiB pages without a room check: see PageProvider.growChunks. */
  readonly growChunks: boolean;

  constructor(
    private readonly platform: Platform,
    private readonly options: AnonymousOptions = {},
  ) {
    this.zeroed = (options.pageSize ?? 4096) === 4096;
    this.mapAt = this.zeroed ? (addr, length) => this.mapFixed(addr, length) : undefined;
    const mode = options.mode ?? MPOL_DEFAULT;
    this.growChunks = this.zeroed && !(options.refuseWhenFull && mode === MPOL_BIND);
    const nodes = typeof options.nodes === "function" ? "current" : formatList(options.nodes ?? []);
    this.description =
      mode === MPOL_DEFAULT ? "anonymous" : `anonymous ${MPOL_NAMES[mode]} {${nodes}}`;
  }

  map(length: number, alignment: number): number {
    const prot = PROT_READ | PROT_WRITE;
    const flags = this.mapFlags();
    // Try the exact length first (huge pages are scarce); when the kernel's address is not
    // aligned, over-map by the alignment and trim both ends.
    let addr = this.platform.mmap(0, length, prot, flags, -1, 0);
    if (addr % alignment !== 0) {
      this.platform.munmap(addr, length);
      const span = length + alignment;
      const raw = this.platform.mmap(0, span, prot, flags, -1, 0);
      addr = Math.ceil(raw / alignment) * alignment;
      if (addr > raw) this.platform.munmap(raw, addr - raw);
      const tail = raw + span - (addr + length);
      if (tail > 0) this.platform.munmap(addr + length, tail);
    }
    this.applyPolicy(addr, length);
    return addr;
  }

  /**
   * Maps at `addr` over the heap's reservation (PageProvider.mapAt). Not for huge pages: a
   * MAP_FIXED that fails for want of huge pages may or may not have unmapped the
   * reservation, so such kinds map where the kernel puts them.
   */
  readonly mapAt: ((addr: number, length: number) => void) | undefined;

  private mapFixed(addr: number, length: number): void {
    this.platform.mmap(addr, length, PROT_READ | PROT_WRITE, this.mapFlags() | MAP_FIXED, -1, 0);
    this.applyPolicy(addr, length);
  }

  private mapFlags(): number {
    const huge = (this.options.pageSize ?? 4096) > 4096;
    return MAP_PRIVATE | MAP_ANONYMOUS | (huge ? 0 : MAP_NORESERVE) | (this.options.mapFlags ?? 0);
  }

  /** mbind and madvise a fresh mapping; unmaps it and throws if either fails. */
  private applyPolicy(addr: number, length: number): void {
    try {
      const mode = this.options.mode ?? MPOL_DEFAULT;
      if (mode !== MPOL_DEFAULT) {
        const nodes =
          typeof this.options.nodes === "function"
            ? this.options.nodes()
            : (this.options.nodes ?? []);
        if (this.options.refuseWhenFull && mode === MPOL_BIND) this.checkRoom(nodes, length);
        this.platform.mbind(addr, length, mode, nodes, 0);
      }
      for (const advice of this.options.advice ?? []) this.platform.madvise(addr, length, advice);
    } catch (error) {
      this.platform.munmap(addr, length);
      throw error;
    }
  }

  /** ENOMEM unless the nodes' free memory holds `length` bytes (see `refuseWhenFull`). */
  private checkRoom(nodes: readonly number[], length: number): void {
    const free = nodes.reduce((sum, node) => sum + nodeMemFree(this.platform.sysfsRoot, node), 0);
    if (free < length) {
      throw new PlatformError(
        `${this.description}: ${length} bytes, ${free} free on {${formatList(nodes)}}`,
        12,
      );
    }
  }

  unmap(addr: number, length: number): void {
    this.platform.munmap(addr, length);
  }

  purge(addr: number, length: number): void {
    const page = this.options.pageSize ?? 4096;
    const start = Math.ceil(addr / page) * page;
    const end = Math.floor((addr + length) / page) * page;
    if (end > start) this.platform.madvise(start, end - start, MADV_DONTNEED);
  }

  view(addr: number, length: number): Uint8Array {
    return this.platform.view(addr, length);
  }
}
