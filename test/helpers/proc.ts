/**
 * Independent views of the process's memory from /proc, to check what the platform layer
 * claims against what the kernel reports.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface SmapsEntry {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  /** Resident bytes. */
  readonly rss: number;
  /** Two-letter VmFlags ("rd", "wr", "hg", "nh", ...). */
  readonly flags: readonly string[];
}

/** The /proc/self/smaps entry of the mapping that contains `addr`. */
export function smapsEntry(addr: number): SmapsEntry {
  const text = readFileSync("/proc/self/smaps", "utf8");
  const blocks = text.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
  for (const block of blocks) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(block);
    if (!header) continue;
    const start = Number.parseInt(header[1] as string, 16);
    const end = Number.parseInt(header[2] as string, 16);
    if (addr < start || addr >= end) continue;
    const rss = Number(/^Rss:\s+(\d+) kB/m.exec(block)?.[1] ?? 0) * 1024;
    const flags = (/^VmFlags:\s*(.*)$/m.exec(block)?.[1] ?? "").trim().split(/\s+/);
    return { start, end, perms: header[3] as string, rss, flags };
  }
  throw new Error(`no mapping contains 0x${addr.toString(16)}`);
}

/** True if some mapping of this process contains `addr`. */
export function isMapped(addr: number): boolean {
  try {
    smapsEntry(addr);
    return true;
  } catch {
    return false;
  }
}

/**
 * True if memory is mapped at `addr`: a mapping that can be read or written. The heap's
 * reserved address range (PROT_NONE) holds no memory, so a chunk given back to it is not.
 */
export function isMemoryAt(addr: number): boolean {
  try {
    return smapsEntry(addr).perms.slice(0, 3) !== "---";
  } catch {
    return false;
  }
}

/** The process's open file descriptors. */
export function openFds(): number[] {
  return readdirSync("/proc/self/fd").map(Number);
}

/** The node of each page of a mapping as /proc/self/numa_maps counts them: {node: pages}. */
export function numaMapsCounts(addr: number): Record<number, number> {
  const line = readFileSync("/proc/self/numa_maps", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${addr.toString(16)} `));
  const counts: Record<number, number> = {};
  for (const match of (line ?? "").matchAll(/ N(\d+)=(\d+)/g))
    counts[Number(match[1])] = Number(match[2]);
  return counts;
}
