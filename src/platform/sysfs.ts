/**
 * Reading a sysfs tree: `/sys`, or a recorded copy of one (test fixtures). Every reader takes
 * the root and a path relative to it, and returns `undefined` where the kernel has no such
 * file, since which attributes exist depends on the kernel version and the machine.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { parseList } from "./nodemask.js";

export class Sysfs {
  constructor(readonly root: string) {}

  /** The file's text without the trailing newline, or undefined if it cannot be read. */
  text(path: string): string | undefined {
    try {
      return readFileSync(join(this.root, path), "utf8").replace(/\n$/, "");
    } catch {
      return undefined;
    }
  }

  /** The file as one integer, or undefined if missing or not an integer. */
  int(path: string): number | undefined {
    const text = this.text(path)?.trim();
    if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
    return Number(text);
  }

  /** The file in the kernel's list format ("0-3,8"), or undefined if missing. */
  list(path: string): number[] | undefined {
    const text = this.text(path);
    return text === undefined ? undefined : parseList(text);
  }

  /** The entries of a directory, sorted, or [] if it does not exist. */
  entries(path: string): string[] {
    try {
      return readdirSync(join(this.root, path)).sort();
    } catch {
      return [];
    }
  }

  /** Ids of the entries named `<prefix><number>` ("node3", "memory_tier4"), ascending. */
  numbered(path: string, prefix: string): number[] {
    const pattern = new RegExp(`^${prefix}(\\d+)$`);
    const ids: number[] = [];
    for (const entry of this.entries(path)) {
      const match = pattern.exec(entry);
      if (match) ids.push(Number(match[1]));
    }
    return ids.sort((a, b) => a - b);
  }

  /** The last component of a symlink's target ("kmem" for .../drivers/kmem), or undefined. */
  linkName(path: string): string | undefined {
    try {
      return basename(readlinkSync(join(this.root, path)));
    } catch {
      return undefined;
    }
  }

  /** `Key: value kB` lines of a meminfo file, in bytes, keyed by field name. */
  meminfo(path: string): Map<string, number> {
    const fields = new Map<string, number>();
    for (const line of (this.text(path) ?? "").split("\n")) {
      // Per-node files prefix each line with "Node <n> ".
      const match = /^(?:Node \d+ )?([\w()]+):\s+(\d+)(?: kB)?$/.exec(line.trim());
      if (match)
        fields.set(match[1] as string, Number(match[2]) * (line.endsWith("kB") ? 1024 : 1));
    }
    return fields;
  }
}
