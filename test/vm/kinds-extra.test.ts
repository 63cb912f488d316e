/**
 * In the NUMA VM, on the topologies with high-bandwidth nodes: PREFERRED kinds fall back to
 * other nodes when the preferred node is full, BIND kinds refuse with ENOMEM instead;
 * hbw_verify_memory_region tells HBW pages from others; the HBW huge-page kinds are backed by
 * 2 MiB pages of the HBW node's own pool.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { onThisCpu } from "../helpers/affinity.js";
import { currentTopology, OUTSIDE_VM } from "./topologies.js";

process.env.MEMKIND_HBW_THRESHOLD = "50000";

const expected = currentTopology();
const mk = await import("../../src/c.js");
const { defaultPlatform, machineTopology } = await import("../../src/platform/index.js");
const { heap } = await import("../../src/kinds/heap.js");

/** The HBW node of each CPU node, in each topology that has HBW nodes. */
const HBW_OF: Record<string, Record<number, number>> = {
  hbw: { 0: 1 },
  "hbw-cache": { 0: 1 },
  "hbw-snc2": { 0: 2, 1: 3 },
};
const hbwOf = expected ? HBW_OF[expected.name] : undefined;
const skip = !expected ? OUTSIDE_VM : hbwOf ? false : "this topology has no HBW node";
const MiB = 2 ** 20;

describe(`HBW kinds in the ${expected?.name ?? "(no)"} VM`, { skip }, () => {
  if (!hbwOf) return;
  const os = defaultPlatform();

  /**
   * Runs `body` with the thread pinned to the CPU it is on and with that CPU's HBW node: node
   * choice (when a chunk is mapped) and verification both depend on it, and on hbw-snc2 each
   * node has one CPU, so the scheduler could otherwise move the thread to the other node.
   */
  function onOneNode(body: (hbwNode: number) => void): void {
    onThisCpu(() => body(hbwOf?.[os.getcpu().node] as number));
  }

  it("HBW_PREFERRED spills onto other nodes once its node is full, and keeps the data", () => {
    onOneNode((hbwNode) => {
      const node = machineTopology().nodes.find((n) => n.id === hbwNode);
      const size = Math.ceil(((node?.memFree ?? 0) + 64 * MiB) / MiB) * MiB;
      const p = mk.memkind_malloc(mk.MEMKIND_HBW_PREFERRED, size);
      assert.notEqual(p, 0);
      const counts = new Map<number, number>();
      for (let offset = 0; offset < size; offset += 64 * MiB) {
        const length = Math.min(64 * MiB, size - offset);
        const bytes = mk.view(p + offset, length);
        for (let i = 0; i < length; i += 4096) bytes[i] = 0xab;
        const pages = Array.from({ length: length / 4096 }, (_, i) => p + offset + i * 4096);
        for (const n of os.movePages(pages)) counts.set(n, (counts.get(n) ?? 0) + 1);
      }
      mk.memkind_free(null, p);
      mk.memkind_purge(null);
      assert.ok(
        (counts.get(hbwNode) ?? 0) > 0,
        `pages on HBW node ${hbwNode} (${node?.memFree} bytes free before; pages per node ${JSON.stringify([...counts])})`,
      );
      const elsewhere = [...counts].filter(([n]) => n !== hbwNode && n >= 0);
      assert.ok(
        elsewhere.length > 0,
        `the overflow went to other nodes (${JSON.stringify([...counts])})`,
      );
    });
  });

  it("BIND kinds refuse what their nodes cannot hold: NULL with ENOMEM, the heap intact", () => {
    onOneNode((hbwNode) => {
      const node = machineTopology().nodes.find((n) => n.id === hbwNode);
      const size = Math.ceil(((node?.memFree ?? 0) + 64 * MiB) / MiB) * MiB;
      for (const kind of [mk.MEMKIND_HBW, mk.MEMKIND_HBW_ALL]) {
        assert.equal(mk.memkind_malloc(kind, size), 0, kind.name);
        assert.equal(mk.errno(), mk.ENOMEM);
        const small = mk.memkind_malloc(kind, MiB);
        assert.notEqual(small, 0, "what fits is still served");
        mk.memkind_free(null, small);
      }
      heap.check();
    });
  });

  it("hbw_verify_memory_region: 0 for HBW pages, -1 for pages elsewhere", () => {
    const set = mk.hbw_set_policy(mk.HBW_POLICY_BIND);
    assert.ok(set === 0, `policy set (${set})`);
    onOneNode(() => {
      const p = mk.hbw_malloc(8 * MiB);
      const q = mk.memkind_malloc(mk.MEMKIND_REGULAR, 8 * MiB);
      try {
        assert.equal(mk.memkind_detect_kind(p), mk.MEMKIND_HBW);
        assert.equal(mk.hbw_verify_memory_region(p, 8 * MiB, mk.HBW_TOUCH_PAGES), 0);
        assert.equal(mk.hbw_verify_memory_region(q, 8 * MiB, mk.HBW_TOUCH_PAGES), -1);
      } finally {
        mk.hbw_free(p);
        mk.memkind_free(null, q);
        // Unmap the dedicated chunks: a retry from another node's CPU must map fresh ones.
        mk.memkind_purge(null);
      }
    });
  });

  it("the HBW huge-page kinds take 2 MiB pages from the HBW node's pool", () => {
    const pools = Object.values(hbwOf).map(
      (node) => `/sys/devices/system/node/node${node}/hugepages/hugepages-2048kB/nr_hugepages`,
    );
    const before = pools.map((pool) => Number(readFileSync(pool, "utf8")));
    const kinds = [
      mk.MEMKIND_HBW_HUGETLB,
      mk.MEMKIND_HBW_ALL_HUGETLB,
      mk.MEMKIND_HBW_PREFERRED_HUGETLB,
    ];
    for (const kind of kinds) {
      assert.equal(
        mk.memkind_check_available(kind),
        mk.MEMKIND_ERROR_HUGETLB,
        `${kind.name}: no pool yet`,
      );
    }
    for (const pool of pools) writeFileSync(pool, "16\n");
    try {
      for (const kind of kinds) {
        onOneNode((hbwNode) => {
          assert.equal(mk.memkind_check_available(kind), mk.MEMKIND_SUCCESS);
          const p = mk.memkind_malloc(kind, MiB);
          assert.notEqual(p, 0, kind.name);
          try {
            mk.view(p, MiB).fill(1);
            assert.deepEqual([...new Set(os.movePages([p, p + 4096 * 100]))], [hbwNode], kind.name);
            const smaps = readFileSync("/proc/self/smaps", "utf8")
              .split(/\n(?=[0-9a-f]+-)/)
              .find((block) => {
                const [start, end] = (block.split(" ")[0] as string)
                  .split("-")
                  .map((x) => Number.parseInt(x, 16));
                return p >= (start as number) && p < (end as number);
              });
            assert.match(smaps ?? "", /KernelPageSize:\s+2048 kB/, kind.name);
          } finally {
            mk.memkind_free(null, p);
            mk.memkind_purge(null);
          }
        });
      }
    } finally {
      for (const [i, pool] of pools.entries()) writeFileSync(pool, `${before[i]}\n`);
    }
  });
});
