/**
 * In the NUMA VM: every static kind (but the huge-page ones) binds its memory to the nodes the
 * reference says for this topology and the CPU the allocation runs on (get_mempolicy), and
 * its pages land there (move_pages: interleave kinds over all of them), or it is unavailable
 * (NULL with ENOMEM) where the topology lacks its kind of memory. HBW detection uses
 * MEMKIND_HBW_THRESHOLD=50000 (the VM's HBM is 80 000 MB/s, below upstream's 200 GB/s).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { onThisCpu } from "../helpers/affinity.js";
import { currentTopology, OUTSIDE_VM } from "./topologies.js";

process.env.MEMKIND_HBW_THRESHOLD = "50000";

const expected = currentTopology();
const mk = await import("../../src/c.js");
const { STATIC_KINDS } = await import("../../src/kinds/static-kinds.js");
const { defaultPlatform } = await import("../../src/platform/index.js");

type PerNode = Readonly<Record<number, readonly number[]>>;
/** Nodes per kind (short name) for allocations from CPUs of each node; absent: unavailable. */
type Expectation = Readonly<Record<string, PerNode>>;

const same = (nodes: readonly number[], initiators: readonly number[]): PerNode =>
  Object.fromEntries(initiators.map((i) => [i, nodes]));

function expectations(name: string): Expectation {
  switch (name) {
    case "hbw":
    case "hbw-cache": {
      const one = (nodes: number[]) => same(nodes, [0]);
      return {
        default: one([0]),
        hbw: one([1]),
        hbw_preferred: one([1]),
        hbw_interleave: one([1]),
        interleave: one([0, 1]),
        regular: one([0]),
        hbw_all: one([1]),
        highest_capacity: one([0]),
        highest_capacity_preferred: one([0]),
        highest_capacity_local: one([0]),
        highest_capacity_local_preferred: one([0]),
        lowest_latency_local: one([0]),
        lowest_latency_local_preferred: one([0]),
        highest_bandwidth_local: one([1]),
        highest_bandwidth_local_preferred: one([1]),
      };
    }
    case "hbw-snc2": {
      const local = (a: number[], b: number[]) => ({ 0: a, 1: b });
      return {
        default: local([0], [1]),
        hbw: local([2], [3]),
        hbw_preferred: local([2], [3]),
        hbw_interleave: local([2], [3]),
        interleave: same([0, 1, 2, 3], [0, 1]),
        regular: same([0, 1], [0, 1]),
        hbw_all: local([2], [3]),
        highest_capacity: same([1], [0, 1]),
        highest_capacity_preferred: same([1], [0, 1]),
        highest_capacity_local: local([0], [1]),
        highest_capacity_local_preferred: local([0], [1]),
        lowest_latency_local: local([0], [1]),
        lowest_latency_local_preferred: local([0], [1]),
        highest_bandwidth_local: local([2], [3]),
        highest_bandwidth_local_preferred: local([2], [3]),
      };
    }
    case "cxl":
    case "kmem-dax": {
      const one = (nodes: number[]) => same(nodes, [0]);
      const dax =
        name === "kmem-dax"
          ? {
              dax_kmem: one([1]),
              dax_kmem_all: one([1]),
              dax_kmem_preferred: one([1]),
              dax_kmem_interleave: one([1]),
            }
          : {};
      return {
        default: one([0]),
        interleave: one([0, 1]),
        regular: one([0]),
        ...dax,
        highest_capacity: one([1]),
        highest_capacity_preferred: one([1]),
        highest_capacity_local: one([1]),
        highest_capacity_local_preferred: one([1]),
        lowest_latency_local: one([0]),
        lowest_latency_local_preferred: one([0]),
        highest_bandwidth_local: one([0]),
        highest_bandwidth_local_preferred: one([0]),
      };
    }
    case "two-socket": {
      const local = { 0: [0], 1: [1] };
      return {
        default: local,
        interleave: same([0, 1], [0, 1]),
        regular: same([0, 1], [0, 1]),
        highest_capacity: same([1], [0, 1]),
        highest_capacity_preferred: same([1], [0, 1]),
        highest_capacity_local: local,
        highest_capacity_local_preferred: local,
        lowest_latency_local: local,
        lowest_latency_local_preferred: local,
        highest_bandwidth_local: local,
        highest_bandwidth_local_preferred: local,
      };
    }
    default:
      throw new Error(`no expectations for ${name}`);
  }
}

describe(`static kinds in the ${expected?.name ?? "(no)"} VM`, {
  skip: expected ? false : OUTSIDE_VM,
}, () => {
  if (!expected) return;
  const want = expectations(expected.name);
  const os = defaultPlatform();
  const PAGES = 256;

  for (const kind of STATIC_KINDS) {
    const short = kind.name.slice("memkind_".length);
    if (short.includes("hugetlb")) continue;
    const perNode = want[short];
    if (!perNode) {
      it(`${kind.name} is unavailable: NULL with ENOMEM`, () => {
        assert.notEqual(mk.memkind_check_available(kind), mk.MEMKIND_SUCCESS);
        assert.equal(mk.memkind_malloc(kind, 1 << 20), 0);
        assert.equal(mk.errno(), mk.ENOMEM);
      });
      continue;
    }
    it(`${kind.name} places pages on the nodes for the allocating CPU`, () => {
      assert.equal(mk.memkind_check_available(kind), mk.MEMKIND_SUCCESS);
      // A fresh chunk (4 MiB, a slot of its own), mapped and touched from one CPU: the thread
      // is pinned to it, as the kind's nodes and first-touch placement follow the CPU.
      onThisCpu(() => {
        const cpuNode = os.getcpu().node;
        const p = mk.memkind_malloc(kind, 3 << 20);
        assert.notEqual(p, 0);
        const bytes = mk.view(p, PAGES * 4096);
        for (let i = 0; i < PAGES; i++) bytes[i * 4096] = 1;
        const nodes = [
          ...new Set(os.movePages(Array.from({ length: PAGES }, (_, i) => p + i * 4096))),
        ].sort();
        const policy = os.getMempolicy(p);
        mk.memkind_free(kind, p);
        const set = perNode[cpuNode] ?? [];
        if (short !== "default") {
          assert.deepEqual(policy.nodes, set, `${kind.name} policy from node ${cpuNode}`);
        }
        if (short.includes("interleave")) {
          assert.deepEqual(nodes, set, `${kind.name} interleaves over all of its nodes`);
        } else {
          for (const node of nodes) {
            assert.ok(set.includes(node), `${kind.name}: a page on node ${node}, outside {${set}}`);
          }
        }
      });
    });
  }
});
