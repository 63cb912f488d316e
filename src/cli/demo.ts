/**
 * `memkind demo`: allocations on this machine's real memory. For every kind that is available
 * here (the static kinds, and a PMEM kind in the temporary directory), one block is allocated
 * and every page written; the kernel then says where the pages are (move_pages) and, after
 * memkind_free and memkind_purge, that they are gone. Exit status 1 if a check fails.
 */
import { tmpdir } from "node:os";
import {
  MEMKIND_SUCCESS,
  memkind_check_available,
  memkind_create_pmem,
  memkind_destroy_kind,
  memkind_detect_kind,
  memkind_free,
  memkind_malloc,
  memkind_malloc_usable_size,
  memkind_purge,
  type memkind_t,
  view,
} from "../api/c.js";
import { hogMemory } from "../kinds/env.js";
import { errorMessage } from "../kinds/errors.js";
import { STATIC_KINDS } from "../kinds/static-kinds.js";
import { defaultPlatform } from "../platform/index.js";
import { formatBytes } from "./format.js";

const MiB = 2 ** 20;
const PAGE = 4096;
/** The block each kind allocates: 64 huge pages or 8192 pages of 4 KiB. */
const BLOCK = 32 * MiB;

/** One kind's line of the demo. */
export interface DemoRow {
  readonly kind: string;
  /** Why the kind was not tried (unavailable here, or the allocation failed). */
  readonly skipped?: string;
  readonly usable?: number;
  /** Resident 4 KiB pages of the block after writing it, by node. */
  readonly pagesByNode?: Readonly<Record<number, number>>;
  /** Pages of the block still resident after memkind_free + memkind_purge. */
  readonly residentAfterPurge?: number;
  /** memkind_detect_kind gave the kind back for the block. */
  readonly detected?: boolean;
}

/** Allocates, writes, locates, frees and purges one block of `kind`. */
function tryKind(kind: memkind_t, name: string): DemoRow {
  const available = memkind_check_available(kind);
  if (available !== MEMKIND_SUCCESS) return { kind: name, skipped: errorMessage(available) };
  const ptr = memkind_malloc(kind, BLOCK);
  if (ptr === 0) return { kind: name, skipped: `malloc(${formatBytes(BLOCK)}) returned NULL` };
  const usable = memkind_malloc_usable_size(kind, ptr);
  view(ptr, BLOCK).fill(0xa5);
  const detected = memkind_detect_kind(ptr) === kind;
  // Every page of the block (its first may start past a page boundary: a cache colour).
  const first = ptr - (ptr % PAGE);
  const pages = Array.from({ length: Math.ceil((ptr + BLOCK - first) / PAGE) }, (_, i) =>
    i === 0 ? ptr : first + i * PAGE,
  );
  const platform = defaultPlatform();
  const pagesByNode: Record<number, number> = {};
  for (const node of platform.movePages(pages))
    if (node >= 0) pagesByNode[node] = (pagesByNode[node] ?? 0) + 1;
  memkind_free(kind, ptr);
  memkind_purge(kind);
  // After the purge the pages are gone (move_pages: -ENOENT), unless the run was reused.
  const residentAfterPurge = [...platform.movePages(pages)].filter((node) => node >= 0).length;
  return { kind: name, usable, pagesByNode, residentAfterPurge, detected };
}

/** The demo's rows: every static kind, then a PMEM kind over a file in `pmemDir`. */
export function runDemo(pmemDir = tmpdir()): DemoRow[] {
  const rows = STATIC_KINDS.map((kind) => tryKind(kind, kind.name));
  const out: { value: memkind_t | null } = { value: null };
  const created = memkind_create_pmem(pmemDir, 2 * BLOCK, out);
  if (created !== MEMKIND_SUCCESS || !out.value) {
    rows.push({ kind: `pmem in ${pmemDir}`, skipped: errorMessage(created) });
  } else {
    rows.push(tryKind(out.value, `pmem in ${pmemDir}`));
    memkind_destroy_kind(out.value);
  }
  return rows;
}

/**
 * A row passed if its block was written, found on some node, detected, and given back to the
 * kernel (kept instead under MEMKIND_HOG_MEMORY=1, which never purges).
 */
export function rowPassed(row: DemoRow, hog = hogMemory()): boolean {
  if (row.skipped !== undefined) return true;
  const resident = Object.values(row.pagesByNode ?? {}).reduce((a, b) => a + b, 0);
  const givenBack = hog ? true : row.residentAfterPurge === 0;
  return resident > 0 && row.detected === true && givenBack;
}

export function formatDemo(rows: readonly DemoRow[]): string {
  const width = Math.max(...rows.map((row) => row.kind.length));
  const lines = rows.map((row) => {
    const name = row.kind.padEnd(width);
    if (row.skipped !== undefined) return `  ${name}  not tried: ${row.skipped}`;
    const nodes = Object.entries(row.pagesByNode ?? {})
      .map(([node, count]) => `node ${node}: ${count}`)
      .join(", ");
    const after = row.residentAfterPurge === 0 ? "none" : `${row.residentAfterPurge} pages`;
    const verdict = rowPassed(row) ? "" : "  FAILED";
    return `  ${name}  resident pages ${nodes || "none"}; after free + purge: ${after}${verdict}`;
  });
  return [
    `allocations on this machine's memory: one ${formatBytes(BLOCK)} block per kind, every byte`,
    "written, pages located with move_pages, then memkind_free + memkind_purge",
    "",
    ...lines,
  ].join("\n");
}
