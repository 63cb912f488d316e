/**
 * mbind, get_mempolicy, set_mempolicy, move_pages and getcpu on the real kernel (this machine
 * has one node, 0; the VM suite covers several), checked against /proc/self/numa_maps.
 */
import assert from "node:assert/strict";
import { cpus } from "node:os";
import { describe, it } from "node:test";
import {
  defaultPlatform,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MPOL_BIND,
  MPOL_DEFAULT,
  MPOL_INTERLEAVE,
  MPOL_MF_STRICT,
  MPOL_PREFERRED,
  PlatformError,
  PROT_READ,
  PROT_WRITE,
  readTopology,
} from "../../src/platform/index.js";
import { numaMapsCounts } from "../helpers/proc.js";

const platform = defaultPlatform();
const page = platform.pageSize;
const ENOENT = 2;
const EFAULT = 14;

function withMapping(pages: number, body: (addr: number) => void): void {
  const addr = platform.mmap(
    0,
    pages * page,
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS,
    -1,
    0,
  );
  try {
    body(addr);
  } finally {
    platform.munmap(addr, pages * page);
  }
}

function touchPages(addr: number, pages: number): void {
  const bytes = platform.view(addr, pages * page);
  for (let i = 0; i < pages; i++) bytes[i * page] = 1;
}

const pageAddresses = (addr: number, pages: number) =>
  Array.from({ length: pages }, (_, i) => addr + i * page);

describe("mbind", () => {
  for (const [name, mode] of [
    ["MPOL_BIND", MPOL_BIND],
    ["MPOL_PREFERRED", MPOL_PREFERRED],
    ["MPOL_INTERLEAVE", MPOL_INTERLEAVE],
  ] as const) {
    it(`${name} to node 0 places every page on node 0 and get_mempolicy reports the policy`, () => {
      withMapping(64, (addr) => {
        platform.mbind(addr, 64 * page, mode, [0], MPOL_MF_STRICT);
        touchPages(addr, 64);
        const status = platform.movePages(pageAddresses(addr, 64));
        assert.deepEqual([...status], new Array(64).fill(0));
        assert.deepEqual(platform.getMempolicy(addr), { mode, nodes: [0] });
        assert.equal(platform.getPageNode(addr + 10 * page), 0);
        assert.equal(numaMapsCounts(addr)[0], 64, "numa_maps counts 64 pages on N0");
      });
    });
  }

  it("fails with EINVAL for a node that does not exist", () => {
    withMapping(1, (addr) => {
      assert.throws(
        () => platform.mbind(addr, page, MPOL_BIND, [63], 0),
        (e: unknown) =>
          e instanceof PlatformError && e.code === "EINVAL" && e.call.includes("MPOL_BIND, {63}"),
      );
    });
  });

  it("fails with EINVAL for an empty node set under MPOL_BIND", () => {
    withMapping(1, (addr) => {
      assert.throws(
        () => platform.mbind(addr, page, MPOL_BIND, [], 0),
        (e: unknown) => e instanceof PlatformError && e.code === "EINVAL",
      );
    });
  });

  it("fails with EFAULT on unmapped memory", () => {
    let gone = 0;
    withMapping(1, (addr) => {
      gone = addr;
    });
    assert.throws(
      () => platform.mbind(gone, page, MPOL_BIND, [0], 0),
      (e: unknown) => e instanceof PlatformError && e.code === "EFAULT",
    );
  });
});

describe("set_mempolicy and get_mempolicy", () => {
  it("sets the thread policy, which new mappings then follow", () => {
    assert.deepEqual(platform.getMempolicy(), { mode: MPOL_DEFAULT, nodes: [] });
    platform.setMempolicy(MPOL_BIND, [0]);
    try {
      assert.deepEqual(platform.getMempolicy(), { mode: MPOL_BIND, nodes: [0] });
      withMapping(8, (addr) => {
        touchPages(addr, 8);
        assert.deepEqual([...platform.movePages(pageAddresses(addr, 8))], new Array(8).fill(0));
      });
    } finally {
      platform.setMempolicy(MPOL_DEFAULT, []);
    }
    assert.deepEqual(platform.getMempolicy(), { mode: MPOL_DEFAULT, nodes: [] });
  });

  it("rejects an unknown mode with EINVAL", () => {
    assert.throws(
      () => platform.setMempolicy(77, [0]),
      (e: unknown) => e instanceof PlatformError && e.code === "EINVAL",
    );
  });

  it("get_mempolicy of an unmapped address fails with EFAULT", () => {
    let gone = 0;
    withMapping(1, (addr) => {
      gone = addr;
    });
    assert.throws(
      () => platform.getMempolicy(gone),
      (e: unknown) => e instanceof PlatformError && e.code === "EFAULT",
    );
  });
});

describe("move_pages", () => {
  it("reports -ENOENT for pages not yet touched and the node once touched", () => {
    withMapping(4, (addr) => {
      touchPages(addr, 2);
      assert.deepEqual([...platform.movePages(pageAddresses(addr, 4))], [0, 0, -ENOENT, -ENOENT]);
    });
  });

  it("reports -EFAULT for an unmapped page", () => {
    let gone = 0;
    withMapping(1, (addr) => {
      gone = addr;
    });
    assert.deepEqual([...platform.movePages([gone])], [-EFAULT]);
  });

  it("moves pages to node 0 (where they already are) and reports success", () => {
    withMapping(4, (addr) => {
      touchPages(addr, 4);
      assert.deepEqual([...platform.movePages(pageAddresses(addr, 4), [0, 0, 0, 0])], [0, 0, 0, 0]);
    });
  });

  it("rejects a target list of the wrong length", () => {
    assert.throws(() => platform.movePages([0, 4096], [0]), RangeError);
  });

  it("fails with ENODEV for a target node that does not exist", () => {
    withMapping(1, (addr) => {
      touchPages(addr, 1);
      assert.throws(
        () => platform.movePages([addr], [63]),
        (e: unknown) => e instanceof PlatformError && e.code === "ENODEV",
      );
    });
  });
});

describe("getcpu", () => {
  it("returns an online CPU and the node that holds it", () => {
    const { cpu, node } = platform.getcpu();
    assert.ok(cpu >= 0 && cpu < cpus().length);
    const topology = readTopology();
    assert.ok(topology.cpusOnline.includes(cpu));
    assert.ok(topology.nodes.find((n) => n.id === node)?.cpus.includes(cpu));
  });
});
