/**
 * Helpers for PMEM kind tests: scratch directories on tmpfs and on the root file system,
 * kinds made with memkind_create_pmem, their backing file seen independently of the
 * provider (fstat through Node, the /proc/self/fd link), and scratch mounts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as mk from "../../src/c.js";
import { pmemProvider } from "../../src/kinds/pmem.js";

export const MiB = 1024 * 1024;

/** The file systems PMEM kinds are tested on: tmpfs and the root file system (ext4 here). */
export const PARENTS = [
  { name: "tmpfs", parent: "/dev/shm" },
  { name: "root file system", parent: "/var/tmp" },
] as const;

export function scratchDir(parent: string): string {
  return mkdtempSync(join(parent, "memkind-pmem-"));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** memkind_create_pmem that must succeed. */
export function createPmem(dir: string, maxSize = 0): mk.memkind_t {
  const out: mk.Out<mk.memkind_t | null> = { value: null };
  assert.equal(mk.memkind_create_pmem(dir, maxSize, out), mk.MEMKIND_SUCCESS, `create in ${dir}`);
  assert.ok(out.value);
  return out.value;
}

/** The descriptor of a PMEM kind's (first) backing file. */
export function pmemFd(kind: mk.memkind_t): number {
  const fd = pmemProvider(kind)?.fds[0];
  assert.ok(fd !== undefined, `${kind.name} is a PMEM kind`);
  return fd;
}

/** Bytes of blocks the kind's file holds, from Node's fstat (st_blocks * 512). */
export function fileBlocks(kind: mk.memkind_t): number {
  return fstatSync(pmemFd(kind)).blocks * 512;
}

/** Where /proc/self/fd/<fd> points ("/dir/memkind.abc123 (deleted)"). */
export function fdTarget(fd: number): string {
  return readlinkSync(`/proc/self/fd/${fd}`);
}

/** Whether `fd` is open on a PMEM kind's file (a closed fd's number may be reused by others). */
export function isPmemFile(fd: number): boolean {
  try {
    return /\/memkind\.\w{6} \(deleted\)$/.test(fdTarget(fd));
  } catch {
    return false; // not open
  }
}

/** Mapping lines of /proc/self/maps that belong to PMEM files. */
export function pmemMappings(): string[] {
  return readFileSync("/proc/self/maps", "utf8")
    .split("\n")
    .filter((line) => line.includes("/memkind."));
}

/**
 * Mounts a scratch file system of `type` (root only) on a fresh directory, or gives the
 * reason when the kernel or the sandbox refuses.
 */
export function mountScratch(
  type: string,
  options: string,
): { dir: string; unmount: () => void } | { reason: string } {
  const dir = mkdtempSync("/var/tmp/memkind-mount-");
  const result = spawnSync("mount", ["-t", type, "-o", options, "none", dir], { encoding: "utf8" });
  if (result.status !== 0) {
    removeDir(dir);
    return { reason: `mount -t ${type} -o ${options} failed: ${result.stderr || result.error}` };
  }
  return {
    dir,
    unmount: () => {
      spawnSync("umount", [dir]);
      removeDir(dir);
    },
  };
}
