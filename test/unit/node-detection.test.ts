/**
 * Node detection for the static kinds (reference/memkind.md section 3) on topologies
 * recorded from real multi-node kernels.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MEMKIND_ERROR_ENVIRON,
  MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
  MEMKIND_ERROR_RUNTIME,
  MEMKIND_ERROR_UNAVAILABLE,
} from "../../src/kinds/errors.js";
import {
  closestNodes,
  daxKmemNodes,
  hbwNodes,
  highestCapacityNodes,
  localNodes,
  localNodesBy,
  type NodeChoice,
  parseNodeString,
} from "../../src/kinds/nodes.js";
import { isXeonPhi, readTopology, type Topology } from "../../src/platform/index.js";
import { fixtureRoot } from "../helpers/paths.js";

const topology = (name: string) => readTopology(fixtureRoot(name));
const hbw = topology("hbw");
const snc2 = topology("hbw-snc2");
const cxl = topology("cxl");
const kmemDax = topology("kmem-dax");
const twoSocket = topology("two-socket");
const host = topology("host");

/** The chosen nodes as { initiator: nodes }, or the error code. */
function chosen(choice: NodeChoice): Record<number, readonly number[]> | number {
  return choice.ok ? Object.fromEntries(choice.byInitiator) : choice.error;
}

const LOW_THRESHOLD = { MEMKIND_HBW_THRESHOLD: "50000" };

describe("MEMKIND_HBW_NODES / MEMKIND_DAX_KMEM_NODES node strings", () => {
  it("parse lists, ranges, all and complements of existing nodes", () => {
    assert.deepEqual(parseNodeString("1", hbw), [1]);
    assert.deepEqual(parseNodeString("1-3", snc2), [1, 2, 3]);
    assert.deepEqual(parseNodeString("0,2", snc2), [0, 2]);
    assert.deepEqual(parseNodeString("all", snc2), [0, 1, 2, 3]);
    assert.deepEqual(parseNodeString("!0", snc2), [1, 2, 3]);
  });

  it("reject malformed strings and nodes that do not exist", () => {
    for (const text of ["", "abc", "1-", "-1", "9", "0-9", "1,,2", "!"]) {
      assert.equal(parseNodeString(text, snc2), undefined, `"${text}"`);
    }
  });
});

describe("closest nodes (set_closest_numanode)", () => {
  it("keeps the destinations at the smallest distance from each initiator", () => {
    assert.deepEqual(chosen(closestNodes(snc2, [2, 3], "MULTIPLE")), { 0: [2], 1: [3] });
    assert.deepEqual(chosen(closestNodes(snc2, [2, 3], "ALL")), { 0: [2, 3], 1: [2, 3] });
  });

  it("SINGLE fails with MEMKIND_ERROR_RUNTIME when two are equally close", () => {
    const tie: Topology = {
      ...hbw,
      nodes: hbw.nodes.map((n) => (n.id === 0 ? { ...n, distances: { 0: 10, 1: 31, 2: 31 } } : n)),
    };
    assert.deepEqual(chosen(closestNodes(tie, [1, 2], "MULTIPLE")), { 0: [1, 2] });
    assert.equal(chosen(closestNodes(tie, [1, 2], "SINGLE")), MEMKIND_ERROR_RUNTIME);
  });
});

describe("HBW nodes", () => {
  it("from HMAT: targets at or above the threshold from each initiator", () => {
    assert.deepEqual(chosen(hbwNodes(hbw, LOW_THRESHOLD, "MULTIPLE")), { 0: [1] });
    assert.deepEqual(chosen(hbwNodes(hbw, LOW_THRESHOLD, "SINGLE")), { 0: [1] });
    assert.deepEqual(chosen(hbwNodes(snc2, LOW_THRESHOLD, "MULTIPLE")), { 0: [2], 1: [3] });
    assert.deepEqual(chosen(hbwNodes(snc2, LOW_THRESHOLD, "ALL")), { 0: [2], 1: [3] });
  });

  it("from HMAT: unavailable when an initiator has none (the 200 GB/s default, CXL, two sockets)", () => {
    for (const t of [hbw, cxl, twoSocket]) {
      const result = hbwNodes(t, {}, "MULTIPLE");
      assert.equal(chosen(result), MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE);
      assert.ok(!result.ok && /No HBW Nodes for init node 0\./.test(result.message));
    }
  });

  it("without HMAT attributes: the legacy rule (CPU-less nodes), unavailable on a one-node host", () => {
    const withoutHmat = (t: Topology): Topology => ({
      ...t,
      nodes: t.nodes.map(({ access0: _a0, access1: _a1, ...rest }) => rest),
    });
    assert.deepEqual(chosen(hbwNodes(withoutHmat(hbw), {}, "MULTIPLE")), { 0: [1] });
    assert.deepEqual(chosen(hbwNodes(withoutHmat(snc2), {}, "MULTIPLE")), { 0: [2], 1: [3] });
    assert.equal(chosen(hbwNodes(host, {}, "MULTIPLE")), MEMKIND_ERROR_UNAVAILABLE);
    assert.equal(
      chosen(hbwNodes(withoutHmat(twoSocket), {}, "MULTIPLE")),
      MEMKIND_ERROR_UNAVAILABLE,
    );
  });

  it("MEMKIND_HBW_NODES overrides detection", () => {
    assert.deepEqual(chosen(hbwNodes(snc2, { MEMKIND_HBW_NODES: "2,3" }, "MULTIPLE")), {
      0: [2],
      1: [3],
    });
    assert.deepEqual(chosen(hbwNodes(host, { MEMKIND_HBW_NODES: "0" }, "MULTIPLE")), { 0: [0] });
    assert.deepEqual(chosen(hbwNodes(cxl, { MEMKIND_HBW_NODES: "1" }, "ALL")), { 0: [1] });
  });

  it("an invalid MEMKIND_HBW_NODES or MEMKIND_HBW_THRESHOLD gives MEMKIND_ERROR_ENVIRON", () => {
    for (const value of ["abc", "9", "1-", ""]) {
      assert.equal(
        chosen(hbwNodes(hbw, { MEMKIND_HBW_NODES: value }, "MULTIPLE")),
        MEMKIND_ERROR_ENVIRON,
        value,
      );
    }
    for (const value of ["-1", "12abc", "abc", "4294967296"]) {
      assert.equal(
        chosen(hbwNodes(hbw, { MEMKIND_HBW_THRESHOLD: value }, "MULTIPLE")),
        MEMKIND_ERROR_ENVIRON,
        value,
      );
    }
    // "" reads as 0, as strtoull reads it: every readable target qualifies.
    assert.deepEqual(chosen(hbwNodes(hbw, { MEMKIND_HBW_THRESHOLD: "" }, "ALL")), { 0: [0, 1] });
    assert.deepEqual(chosen(hbwNodes(hbw, { MEMKIND_HBW_THRESHOLD: "" }, "MULTIPLE")), { 0: [0] });
  });
});

describe("HBW nodes on a Xeon Phi (the legacy rule)", () => {
  it("are the CPU-less nodes when half of 2, 4 or 8 nodes have no CPUs", () => {
    assert.deepEqual(chosen(hbwNodes(hbw, {}, "MULTIPLE", true)), { 0: [1] });
    assert.deepEqual(chosen(hbwNodes(snc2, {}, "MULTIPLE", true)), { 0: [2], 1: [3] });
    assert.deepEqual(chosen(hbwNodes(snc2, {}, "ALL", true)), { 0: [2, 3], 1: [2, 3] });
  });

  it("are unavailable on other layouts", () => {
    for (const t of [twoSocket, host]) {
      const result = hbwNodes(t, {}, "MULTIPLE", true);
      assert.equal(chosen(result), MEMKIND_ERROR_UNAVAILABLE);
      assert.ok(!result.ok && /not supported by this NUMA configuration/.test(result.message));
    }
  });

  it("recognises Knights Landing and Knights Mill from /proc/cpuinfo", () => {
    const cpuinfo = (vendor: string, family: number, model: number) =>
      `processor\t: 0\nvendor_id\t: ${vendor}\ncpu family\t: ${family}\nmodel\t\t: ${model}\n`;
    assert.equal(isXeonPhi(cpuinfo("GenuineIntel", 6, 87)), true);
    assert.equal(isXeonPhi(cpuinfo("GenuineIntel", 6, 133)), true);
    assert.equal(isXeonPhi(cpuinfo("GenuineIntel", 6, 85)), false);
    assert.equal(isXeonPhi(cpuinfo("AuthenticAMD", 6, 87)), false);
    assert.equal(isXeonPhi(""), false);
  });
});

describe("DAX KMEM nodes", () => {
  it("are the target nodes of dax devices onlined by kmem", () => {
    assert.deepEqual(chosen(daxKmemNodes(kmemDax, {}, "MULTIPLE")), { 0: [1] });
    assert.deepEqual(chosen(daxKmemNodes(kmemDax, {}, "SINGLE")), { 0: [1] });
  });

  it("are unavailable without such a device, unless MEMKIND_DAX_KMEM_NODES names them", () => {
    assert.equal(chosen(daxKmemNodes(cxl, {}, "MULTIPLE")), MEMKIND_ERROR_UNAVAILABLE);
    assert.deepEqual(chosen(daxKmemNodes(cxl, { MEMKIND_DAX_KMEM_NODES: "1" }, "MULTIPLE")), {
      0: [1],
    });
    assert.equal(
      chosen(daxKmemNodes(cxl, { MEMKIND_DAX_KMEM_NODES: "x" }, "MULTIPLE")),
      MEMKIND_ERROR_ENVIRON,
    );
  });
});

describe("highest capacity nodes", () => {
  it("are the nodes of the largest MemTotal", () => {
    assert.deepEqual(chosen(highestCapacityNodes(cxl, "MULTIPLE")), { 0: [1] });
    assert.deepEqual(chosen(highestCapacityNodes(twoSocket, "SINGLE")), { 0: [1], 1: [1] });
    assert.deepEqual(chosen(highestCapacityNodes(snc2, "MULTIPLE")), { 0: [1], 1: [1] });
  });

  it("PREFERRED (SINGLE) fails on a tie", () => {
    const tie: Topology = {
      ...twoSocket,
      nodes: twoSocket.nodes.map((n) => ({ ...n, memTotal: 2 ** 30 })),
    };
    assert.deepEqual(chosen(highestCapacityNodes(tie, "MULTIPLE")), { 0: [0, 1], 1: [0, 1] });
    assert.equal(chosen(highestCapacityNodes(tie, "SINGLE")), MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE);
  });
});

describe("*_LOCAL nodes", () => {
  it("local nodes are the initiator and the CPU-less nodes it is best initiator of", () => {
    assert.deepEqual(localNodes(hbw, 0), [0, 1]);
    assert.deepEqual(localNodes(snc2, 0), [0, 2]);
    assert.deepEqual(localNodes(snc2, 1), [1, 3]);
    assert.deepEqual(localNodes(twoSocket, 1), [1]);
  });

  it("pick the largest capacity, highest bandwidth and lowest latency per initiator", () => {
    assert.deepEqual(chosen(localNodesBy(hbw, "CAPACITY")), { 0: [0] });
    assert.deepEqual(chosen(localNodesBy(hbw, "BANDWIDTH")), { 0: [1] });
    assert.deepEqual(chosen(localNodesBy(hbw, "LATENCY")), { 0: [0] });
    assert.deepEqual(chosen(localNodesBy(cxl, "CAPACITY")), { 0: [1] });
    assert.deepEqual(chosen(localNodesBy(cxl, "BANDWIDTH")), { 0: [0] });
    assert.deepEqual(chosen(localNodesBy(snc2, "BANDWIDTH")), { 0: [2], 1: [3] });
    assert.deepEqual(chosen(localNodesBy(snc2, "CAPACITY")), { 0: [0], 1: [1] });
  });

  it("are unavailable without HMAT for bandwidth and latency (a one-node host), not for capacity", () => {
    assert.equal(chosen(localNodesBy(host, "BANDWIDTH")), MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE);
    assert.equal(chosen(localNodesBy(host, "LATENCY")), MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE);
    assert.deepEqual(chosen(localNodesBy(host, "CAPACITY")), { 0: [0] });
  });
});
