/**
 * SimulatedPlatform: a machine in JS memory over a recorded sysfs tree, for fast tests of
 * the code above the platform layer. These tests pin down the kernel behaviour it models.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  MADV_DONTNEED,
  MADV_REMOVE,
  MAP_ANONYMOUS,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  MAP_SHARED,
  MPOL_BIND,
  MPOL_DEFAULT,
  MPOL_INTERLEAVE,
  MPOL_PREFERRED,
  PlatformError,
  PROT_READ,
  PROT_WRITE,
  SimulatedPlatform,
} from "../../src/platform/index.js";
import { fixtureRoot } from "../helpers/paths.js";

const RW = PROT_READ | PROT_WRITE;
const PAGE = 4096;

function machine(name = "hbw") {
  return new SimulatedPlatform({ sysfsRoot: fixtureRoot(name) });
}

function anonymous(os: SimulatedPlatform, pages: number): number {
  return os.mmap(0, pages * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

const pagesOf = (addr: number, count: number) =>
  Array.from({ length: count }, (_, i) => addr + i * PAGE);
const code = (name: string) => (e: unknown) => e instanceof PlatformError && e.code === name;

describe("SimulatedPlatform memory", () => {
  it("maps zeroed memory at synthetic addresses from 2^48, never reused", () => {
    const os = machine();
    const a = anonymous(os, 4);
    assert.ok(a >= 2 ** 48);
    assert.equal(
      os.view(a, 4 * PAGE).every((b) => b === 0),
      true,
    );
    os.munmap(a, 4 * PAGE);
    const b = anonymous(os, 4);
    assert.ok(b > a, "addresses are not reused");
    assert.throws(() => os.view(a, 1), code("EFAULT"));
  });

  it("keeps the contents of a mapping and zeroes them on MADV_DONTNEED", () => {
    const os = machine();
    const a = anonymous(os, 2);
    os.view(a, 2 * PAGE).fill(7);
    assert.equal(os.view(a + PAGE, 1)[0], 7);
    os.madvise(a, PAGE, MADV_DONTNEED);
    assert.equal(os.view(a, 1)[0], 0);
    assert.equal(os.view(a + PAGE, 1)[0], 7, "only the advised page is dropped");
  });

  it("reports the kernel's errors", () => {
    const os = machine();
    assert.throws(() => anonymous(os, 0), code("EINVAL"));
    const a = anonymous(os, 2);
    assert.throws(
      () => os.mmap(a, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
      code("EEXIST"),
    );
    assert.throws(() => os.munmap(a + 1, PAGE), code("EINVAL"));
    assert.throws(() => os.madvise(a, PAGE, 12345), code("EINVAL"));
    assert.throws(() => os.madvise(a, PAGE, MADV_REMOVE), code("EINVAL"));
    assert.throws(() => os.mbind(a, PAGE, MPOL_BIND, [7], 0), code("EINVAL"));
    assert.throws(() => os.mbind(a, PAGE, MPOL_BIND, [], 0), code("EINVAL"));
    assert.throws(() => os.mbind(2 ** 47, PAGE, MPOL_BIND, [0], 0), code("EFAULT"));
    assert.throws(() => os.movePages([a], [9]), code("ENODEV"));
  });
});

describe("SimulatedPlatform NUMA placement on the hbw machine", () => {
  it("puts MPOL_BIND pages on the bound node, reported by move_pages and get_mempolicy", () => {
    const os = machine();
    const a = anonymous(os, 8);
    os.mbind(a, 8 * PAGE, MPOL_BIND, [1], 0);
    assert.deepEqual(
      [...os.movePages(pagesOf(a, 8))],
      new Array(8).fill(-2),
      "not present before first touch",
    );
    os.view(a, 8 * PAGE).fill(1);
    assert.deepEqual([...os.movePages(pagesOf(a, 8))], new Array(8).fill(1));
    assert.deepEqual(os.getMempolicy(a), { mode: MPOL_BIND, nodes: [1] });
    assert.equal(os.getPageNode(a), 1);
  });

  it("places default-policy pages on the current CPU's node and follows set_mempolicy", () => {
    const os = machine();
    const a = anonymous(os, 2);
    os.view(a, 2 * PAGE);
    assert.deepEqual([...os.movePages(pagesOf(a, 2))], [0, 0]);
    os.setMempolicy(MPOL_BIND, [1]);
    const b = anonymous(os, 2);
    os.view(b, 2 * PAGE);
    assert.deepEqual([...os.movePages(pagesOf(b, 2))], [1, 1]);
    os.setMempolicy(MPOL_DEFAULT, []);
    assert.deepEqual(os.getMempolicy(), { mode: MPOL_DEFAULT, nodes: [] });
  });

  it("interleaves page by page over the policy's nodes", () => {
    const os = machine("hbw-snc2");
    const a = anonymous(os, 8);
    os.mbind(a, 8 * PAGE, MPOL_INTERLEAVE, [0, 1, 2, 3], 0);
    os.view(a, 8 * PAGE);
    const nodes = [...os.movePages(pagesOf(a, 8))];
    for (let i = 1; i < 8; i++) assert.equal(nodes[i], ((nodes[i - 1] as number) + 1) % 4);
  });

  it("fails a touch of a full MPOL_BIND node with ENOMEM, while MPOL_PREFERRED falls back", () => {
    const os = machine();
    const hbmPages = Math.floor((os.topology.nodes[1]?.memFree ?? 0) / PAGE);
    const filler = anonymous(os, hbmPages);
    os.mbind(filler, hbmPages * PAGE, MPOL_BIND, [1], 0);
    os.view(filler, hbmPages * PAGE);
    const bound = anonymous(os, 1);
    os.mbind(bound, PAGE, MPOL_BIND, [1], 0);
    assert.throws(() => os.view(bound, PAGE), code("ENOMEM"));
    const preferred = anonymous(os, 1);
    os.mbind(preferred, PAGE, MPOL_PREFERRED, [1], 0);
    os.view(preferred, PAGE);
    assert.deepEqual([...os.movePages([preferred])], [0], "fell back to node 0");
  });

  it("moves pages with move_pages", () => {
    const os = machine();
    const a = anonymous(os, 2);
    os.view(a, 2 * PAGE);
    assert.deepEqual([...os.movePages(pagesOf(a, 2), [1, 1])], [1, 1]);
    assert.equal(os.getPageNode(a + PAGE), 1);
  });

  it("reports the CPU it was given", () => {
    const os = new SimulatedPlatform({
      sysfsRoot: fixtureRoot("two-socket"),
      cpu: { cpu: 1, node: 1 },
    });
    assert.deepEqual(os.getcpu(), { cpu: 1, node: 1 });
    assert.deepEqual(machine("two-socket").getcpu(), { cpu: 0, node: 0 });
  });
});

describe("SimulatedPlatform files", () => {
  it("counts blocks, punches holes and shares MAP_SHARED pages with the file", () => {
    const os = machine();
    const fd = os.openTmpfile("/tmp");
    os.fallocate(fd, 0, 0, 16 * PAGE);
    assert.equal(os.fstat(fd).blocks, (16 * PAGE) / 512);
    os.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4 * PAGE, 8 * PAGE);
    assert.deepEqual([os.fstat(fd).size, os.fstat(fd).blocks], [16 * PAGE, (8 * PAGE) / 512]);
    const a = os.mmap(0, 16 * PAGE, RW, MAP_SHARED, fd, 0);
    const b = os.mmap(0, 16 * PAGE, RW, MAP_SHARED, fd, 0);
    os.view(a, PAGE)[5] = 9;
    assert.equal(os.view(b, PAGE)[5], 9, "two shared mappings see one file");
    os.madvise(a, 16 * PAGE, MADV_REMOVE);
    assert.equal(os.fstat(fd).blocks, 0);
    assert.equal(os.view(b, PAGE)[5], 0);
    os.close(fd);
  });

  it("reports ENOSPC when a directory is full, ENOENT for a missing one, EBADF after close", () => {
    const os = new SimulatedPlatform({
      sysfsRoot: fixtureRoot("hbw"),
      directories: { "/pmem": 8 * PAGE },
    });
    const fd = os.openTmpfile("/pmem");
    assert.throws(() => os.fallocate(fd, 0, 0, 9 * PAGE), code("ENOSPC"));
    assert.equal(os.fstat(fd).blocks, 0, "nothing allocated by the failed call");
    os.fallocate(fd, 0, 0, 8 * PAGE);
    assert.equal(os.statvfs("/pmem").freeBytes, 0);
    assert.throws(() => os.openTmpfile("/missing"), code("ENOENT"));
    assert.throws(() => os.mkstemp("/missing/fileXXXXXX"), code("ENOENT"));
    os.close(fd);
    assert.throws(() => os.fstat(fd), code("EBADF"));
  });
});
