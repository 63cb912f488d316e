/**
 * Anonymous memory with an optional NUMA policy and madvise hints: the provider of the
 * DEFAULT, REGULAR, NUMA, HBW, DAX KMEM and huge-page kinds.
 */
import {
  MADV_DONTNEED,
  MAP_ANONYMOUS,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MPOL_DEFAULT,
  MPOL_NAMES,
  type Platform,
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
}

export class AnonymousProvider implements PageProvider {
  readonly description: string;
  readonly zeroed = true;

  constructor(
    private readonly platform: Platform,
    private readonly options: AnonymousOptions = {},
  ) {
    const mode = options.mode ?? MPOL_DEFAULT;
    const nodes = typeof options.nodes === "function" ? "current" : formatList(options.nodes ?? []);
    this.description =
      mode === MPOL_DEFAULT ? "anonymous" : `anonymous ${MPOL_NAMES[mode]} {${nodes}}`;
  }

  map(length: number, alignment: number): number {
    const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (this.options.mapFlags ?? 0);
    // Over-map by the alignment, then trim both ends: the kernel aligns only to pages.
    const span = length + alignment;
    const raw = this.platform.mmap(0, span, PROT_READ | PROT_WRITE, flags, -1, 0);
    const addr = Math.ceil(raw / alignment) * alignment;
    if (addr > raw) this.platform.munmap(raw, addr - raw);
    const tail = raw + span - (addr + length);
    if (tail > 0) this.platform.munmap(addr + length, tail);
    try {
      const mode = this.options.mode ?? MPOL_DEFAULT;
      if (mode !== MPOL_DEFAULT) {
        const nodes =
          typeof this.options.nodes === "function"
            ? this.options.nodes()
            : (this.options.nodes ?? []);
        this.platform.mbind(addr, length, mode, nodes, 0);
      }
      for (const advice of this.options.advice ?? []) this.platform.madvise(addr, length, advice);
    } catch (error) {
      this.platform.munmap(addr, length);
      throw error;
    }
    return addr;
  }

  unmap(addr: number, length: number): void {
    this.platform.munmap(addr, length);
  }

  purge(addr: number, length: number): void {
    this.platform.madvise(addr, length, MADV_DONTNEED);
  }

  view(addr: number, length: number): Uint8Array {
    return this.platform.view(addr, length);
  }
}
