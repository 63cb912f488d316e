/**
 * Huge pages on this machine: the test reserves a few 2 MiB pages through
 * /proc/sys/vm/nr_hugepages (root only), checks that HUGETLB allocations are backed by them,
 * and restores the setting. The allocating runs in a child process, so that its mappings
 * and reservations are gone before the pool is shrunk back.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { projectRoot } from "../helpers/paths.js";

const NR = "/proc/sys/vm/nr_hugepages";

function canReserve(): string | false {
  try {
    accessSync(NR, constants.W_OK);
  } catch {
    return "needs root to reserve huge pages through /proc/sys/vm/nr_hugepages (the VM suite has none either)";
  }
  return false;
}

const skip = canReserve();
let original = 0;

function setPool(pages: number): number {
  writeFileSync(NR, `${pages}\n`);
  return Number(readFileSync(NR, "utf8"));
}

function child(script: string) {
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: projectRoot,
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

const SURVEY = `
import * as mk from "./dist/src/c.js";
import { readFileSync } from "node:fs";
const free = () => Number(readFileSync("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "utf8"));
const out = { available: mk.memkind_check_available(mk.MEMKIND_HUGETLB), capacity: mk.memkind_get_capacity(mk.MEMKIND_HUGETLB), freeBefore: free() };
const p = mk.memkind_malloc(mk.MEMKIND_HUGETLB, 1 << 20);
out.ptr = p !== 0; out.errno = mk.errno();
if (p) {
  mk.view(p, 1 << 20).fill(7);
  out.freeAfter = free();
  const smaps = readFileSync("/proc/self/smaps", "utf8").split(/\\n(?=[0-9a-f]+-)/).find((b) => {
    const [s, e] = b.split(" ")[0].split("-").map((x) => parseInt(x, 16)); return p >= s && p < e; });
  out.kernelPageSize = /KernelPageSize:\\s+(\\d+) kB/.exec(smaps)[1];
  out.aligned = p % 16 === 0;
  mk.memkind_free(null, p);
  mk.memkind_purge(null);
}
console.log(JSON.stringify(out));
`;

describe("MEMKIND_HUGETLB on this machine", { skip }, () => {
  before(() => {
    original = Number(readFileSync(NR, "utf8"));
  });
  after(() => {
    setPool(original);
  });

  it("is unavailable (MEMKIND_ERROR_HUGETLB, malloc ENOMEM) with an empty pool", () => {
    setPool(0);
    const r = child(SURVEY);
    assert.equal(r.available, -18);
    assert.equal(r.capacity, 0);
    assert.deepEqual([r.ptr, r.errno], [false, 12]);
  });

  it("allocates from reserved 2 MiB pages, which back the memory", () => {
    assert.ok(setPool(8) >= 4, "the kernel granted at least 4 huge pages");
    const r = child(SURVEY);
    assert.equal(r.available, 0);
    assert.ok(r.capacity >= 4 * 2 ** 21);
    assert.equal(r.ptr, true);
    assert.equal(r.kernelPageSize, "2048", "the mapping is backed by 2 MiB pages");
    assert.ok(
      r.freeAfter < r.freeBefore,
      `huge pages were taken from the pool (${r.freeBefore} -> ${r.freeAfter})`,
    );
  });
});
