/** In the NUMA VM: node detection for the static kinds on the live kernel's sysfs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  daxKmemNodes,
  hbwNodes,
  highestCapacityNodes,
  localNodesBy,
  type NodeChoice,
} from "../../src/kinds/nodes.js";
import { machineTopology } from "../../src/platform/index.js";
import { currentTopology, OUTSIDE_VM } from "./topologies.js";

const expected = currentTopology();

const chosen = (choice: NodeChoice) =>
  choice.ok ? Object.fromEntries(choice.byInitiator) : "unavailable";

/** What detection must find in each topology (HBW with MEMKIND_HBW_THRESHOLD=50000). */
const EXPECTED: Record<string, Record<string, unknown>> = {
  hbw: {
    hbw: { 0: [1] },
    dax: "unavailable",
    capacity: { 0: [0] },
    bandwidth: { 0: [1] },
    latency: { 0: [0] },
  },
  "hbw-cache": {
    hbw: { 0: [1] },
    dax: "unavailable",
    capacity: { 0: [0] },
    bandwidth: { 0: [1] },
    latency: { 0: [0] },
  },
  "hbw-snc2": {
    hbw: { 0: [2], 1: [3] },
    dax: "unavailable",
    capacity: { 0: [1], 1: [1] },
    bandwidth: { 0: [2], 1: [3] },
    latency: { 0: [0], 1: [1] },
  },
  cxl: {
    hbw: "unavailable",
    dax: "unavailable",
    capacity: { 0: [1] },
    bandwidth: { 0: [0] },
    latency: { 0: [0] },
  },
  "kmem-dax": {
    hbw: "unavailable",
    dax: { 0: [1] },
    capacity: { 0: [1] },
    bandwidth: { 0: [0] },
    latency: { 0: [0] },
  },
  "two-socket": {
    hbw: "unavailable",
    dax: "unavailable",
    capacity: { 0: [1], 1: [1] },
    bandwidth: { 0: [0], 1: [1] },
    latency: { 0: [0], 1: [1] },
  },
};

describe(`node detection in the ${expected?.name ?? "(no)"} VM`, {
  skip: expected ? false : OUTSIDE_VM,
}, () => {
  if (!expected) return;
  const topology = machineTopology();
  const want = EXPECTED[expected.name] as Record<string, unknown>;

  it("finds the HBW nodes from HMAT bandwidth", () => {
    assert.deepEqual(
      chosen(hbwNodes(topology, { MEMKIND_HBW_THRESHOLD: "50000" }, "MULTIPLE")),
      want.hbw,
    );
  });

  it("finds the DAX KMEM nodes from the dax devices", () => {
    assert.deepEqual(chosen(daxKmemNodes(topology, {}, "MULTIPLE")), want.dax);
  });

  it("finds the highest-capacity node and the best local nodes", () => {
    assert.deepEqual(chosen(highestCapacityNodes(topology, "MULTIPLE")), want.capacity);
    assert.deepEqual(chosen(localNodesBy(topology, "BANDWIDTH")), want.bandwidth);
    assert.deepEqual(chosen(localNodesBy(topology, "LATENCY")), want.latency);
  });
});
