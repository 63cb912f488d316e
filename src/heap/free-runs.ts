/**
 * An index of free page runs for best-fit allocation: one list per exact run length up to a
 * slot (1 .. 1024 pages), a bitmap of the non-empty lists, and one overflow list for longer
 * runs (dedicated chunks of huge allocations, rare).
 *
 *   nonEmpty bitmap: bit n set <=> heads[n] != -1
 *   heads[1]    ─► run ⇄ run ⇄ ...       (links are ExtentTable.next / prev)
 *   heads[2]    ─► -1
 *   ...
 *   heads[1024] ─► run
 *   overflow    ─► run (> 1024 pages) ⇄ ...
 *
 * bestFit(n) for n <= 1024 scans at most 32 bitmap words: O(1). Each arena keeps two of
 * these, for dirty runs (reused first: their pages are resident) and for clean (purged) runs.
 */
import type { ExtentTable } from "./extents.js";
import { PAGES_PER_SLOT } from "./page-map.js";

const WORDS = (PAGES_PER_SLOT >> 5) + 1;

export class FreeRuns {
  private readonly heads = new Int32Array(PAGES_PER_SLOT + 1).fill(-1);
  private readonly nonEmpty = new Int32Array(WORDS);
  private overflow = -1;
  /** Total pages in the index (for statistics). */
  pages = 0;
  /** Runs in the index. */
  count = 0;

  constructor(private readonly extents: ExtentTable) {}

  insert(id: number): void {
    const pages = this.extents.pages[id] as number;
    const head = pages <= PAGES_PER_SLOT ? (this.heads[pages] as number) : this.overflow;
    this.extents.next[id] = head;
    this.extents.prev[id] = -1;
    if (head >= 0) this.extents.prev[head] = id;
    if (pages <= PAGES_PER_SLOT) {
      this.heads[pages] = id;
      this.nonEmpty[pages >> 5] = (this.nonEmpty[pages >> 5] as number) | (1 << (pages & 31));
    } else {
      this.overflow = id;
    }
    this.pages += pages;
    this.count++;
  }

  remove(id: number): void {
    const pages = this.extents.pages[id] as number;
    const next = this.extents.next[id] as number;
    const prev = this.extents.prev[id] as number;
    if (next >= 0) this.extents.prev[next] = prev;
    if (prev >= 0) {
      this.extents.next[prev] = next;
    } else if (pages <= PAGES_PER_SLOT) {
      this.heads[pages] = next;
      if (next < 0)
        this.nonEmpty[pages >> 5] = (this.nonEmpty[pages >> 5] as number) & ~(1 << (pages & 31));
    } else {
      this.overflow = next;
    }
    this.extents.next[id] = -1;
    this.extents.prev[id] = -1;
    this.pages -= pages;
    this.count--;
  }

  /** The smallest run of at least `pages` pages, or -1. Not removed. */
  bestFit(pages: number): number {
    if (pages <= PAGES_PER_SLOT) {
      let word = pages >> 5;
      let bits = (this.nonEmpty[word] as number) & (-1 << (pages & 31));
      while (bits === 0) {
        if (++word >= WORDS) return this.bestOverflow(pages);
        bits = this.nonEmpty[word] as number;
      }
      const length = word * 32 + (31 - Math.clz32(bits & -bits));
      return this.heads[length] as number;
    }
    return this.bestOverflow(pages);
  }

  /** The ids of every run in the index (a snapshot: callers may change the index while walking it). */
  ids(): number[] {
    const ids: number[] = [];
    const collect = (head: number) => {
      for (let id = head; id >= 0; id = this.extents.next[id] as number) ids.push(id);
    };
    for (let length = 1; length <= PAGES_PER_SLOT; length++) collect(this.heads[length] as number);
    collect(this.overflow);
    return ids;
  }

  private bestOverflow(pages: number): number {
    let best = -1;
    for (let id = this.overflow; id >= 0; id = this.extents.next[id] as number) {
      const length = this.extents.pages[id] as number;
      if (length >= pages && (best < 0 || length < (this.extents.pages[best] as number))) best = id;
    }
    return best;
  }
}
