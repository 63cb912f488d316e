/** The process's mappings from /proc/self/maps, to check that kinds leave none behind. */
import { readFileSync } from "node:fs";

export interface MapsLine {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  /** "start-end perms": the identity of a mapping. */
  readonly key: string;
}

export function mappings(): MapsLine[] {
  return readFileSync("/proc/self/maps", "latin1")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const [range = "", perms = ""] = line.split(" ");
      const [start = "0", end = "0"] = range.split("-");
      return {
        start: Number.parseInt(start, 16),
        end: Number.parseInt(end, 16),
        perms,
        key: `${range} ${perms}`,
      };
    });
}

/** The mappings that overlap [addr, addr + length), as keys. */
export function mappingsOver(addr: number, length: number): string[] {
  return mappings()
    .filter((m) => m.start < addr + length && addr < m.end)
    .map((m) => m.key);
}
