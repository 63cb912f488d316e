/**
 * In the NUMA VM: every binding places pages where it says, on every node of the topology,
 * as move_pages, get_mempolicy and /proc/self/numa_maps all report.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  defaultPlatform,
  MADV_NOHUGEPAGE,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MPOL_BIND,
  MPOL_DEFAULT,
  MPOL_INTERLEAVE,
  MPOL_MF_MOVE,
  MPOL_MF_STRICT,
  MPOL_PREFERRED,
  PlatformError,
  PROT_READ,
  PROT_WRITE,
} from "../../src/platform/index.js";
import { numaMapsCounts } from "../helpers/proc.js";
import { currentTopology, OUTSIDE_VM } from "./topologies.js";

const expected = currentTopology();
const platform = defaultPlatform();
const page = platform.pageSize;
const PAGES = 512;

function withPages(pages: number, body: (addr: number, addresses: number[]) => void): void {
  const length = pages * page;
  const addr = platform.mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  try {
    platform.madvise(addr, length, MADV_NOHUGEPAGE); // page-by-page placement, no THP
    body(
      addr,
      Array.from({ length: pages }, (_, i) => addr + i * page),
    );
  } finally {
    platform.munmap(addr, length);
  }
}

function touch(addr: number, pages: number): void {
  const bytes = platform.view(addr, pages * page);
  for (let i = 0; i < pages; i++) bytes[i * page] = 0xa5;
}

describe(`page placement in the ${expected?.name ?? "(no)"} VM`, {
  skip: expected ? false : OUTSIDE_VM,
}, () => {
  if (!expected) return;
  const nodes = expected.nodes.map((n) => n.id);

  for (const node of nodes) {
    for (const [name, mode] of [
      ["MPOL_BIND", MPOL_BIND],
      ["MPOL_PREFERRED", MPOL_PREFERRED],
    ] as const) {
      it(`${name} to node ${node} puts all ${PAGES} pages on node ${node}`, () => {
        withPages(PAGES, (addr, addresses) => {
          platform.mbind(addr, PAGES * page, mode, [node], MPOL_MF_STRICT);
          touch(addr, PAGES);
          assert.deepEqual(new Set(platform.movePages(addresses)), new Set([node]));
          assert.deepEqual(numaMapsCounts(addr), { [node]: PAGES });
          assert.deepEqual(platform.getMempolicy(addr), { mode, nodes: [node] });
          assert.equal(platform.getPageNode(addr + 7 * page), node);
        });
      });
    }

    it(`set_mempolicy(MPOL_BIND, {${node}}) places the thread's new pages on node ${node}`, () => {
      platform.setMempolicy(MPOL_BIND, [node]);
      try {
        withPages(64, (addr, addresses) => {
          touch(addr, 64);
          assert.deepEqual(new Set(platform.movePages(addresses)), new Set([node]));
        });
      } finally {
        platform.setMempolicy(MPOL_DEFAULT, []);
      }
    });

    it(`move_pages moves touched pages to node ${node}`, () => {
      withPages(16, (addr, addresses) => {
        const other = nodes.find((n) => n !== node) as number;
        platform.mbind(addr, 16 * page, MPOL_BIND, [other], 0);
        touch(addr, 16);
        assert.deepEqual(new Set(platform.movePages(addresses)), new Set([other]));
        const moved = platform.movePages(addresses, new Array(16).fill(node), MPOL_MF_MOVE);
        assert.deepEqual(new Set(moved), new Set([node]));
        assert.deepEqual(new Set(platform.movePages(addresses)), new Set([node]));
      });
    });
  }

  it(`MPOL_INTERLEAVE over {${nodes.join(",")}} rotates page by page through every node`, () => {
    withPages(PAGES, (addr, addresses) => {
      platform.mbind(addr, PAGES * page, MPOL_INTERLEAVE, nodes, MPOL_MF_STRICT);
      touch(addr, PAGES);
      const status = [...platform.movePages(addresses)];
      for (let i = 1; i < status.length; i++) {
        const previous = nodes.indexOf(status[i - 1] as number);
        assert.equal(
          status[i],
          nodes[(previous + 1) % nodes.length],
          `page ${i} follows page ${i - 1}'s node`,
        );
      }
      const counts = numaMapsCounts(addr);
      for (const node of nodes)
        assert.equal(counts[node], PAGES / nodes.length, `node ${node} holds its share`);
    });
  });

  it("MPOL_BIND to a node outside the topology fails with EINVAL", () => {
    withPages(1, (addr) => {
      const absent = Math.max(...nodes) + 1;
      assert.throws(
        () => platform.mbind(addr, page, MPOL_BIND, [absent], 0),
        (e: unknown) => e instanceof PlatformError && e.code === "EINVAL",
      );
    });
  });

  it("getcpu names a CPU of a node that has CPUs", () => {
    const { cpu, node } = platform.getcpu();
    const owner = expected.nodes.find((n) => n.cpus.includes(cpu));
    assert.equal(owner?.id, node);
  });
});
