/**
 * The topology reader on sysfs trees recorded from the NUMA VM's real kernels
 * (test/fixtures/sysfs/<topology>, made by `scripts/numa-vm record-sysfs`) and from a
 * one-node host: every defined fact of each topology is read back.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readTopology } from "../../src/platform/index.js";
import { fixtureRoot } from "../helpers/paths.js";
import { TOPOLOGIES } from "../vm/topologies.js";

for (const expected of Object.values(TOPOLOGIES)) {
  describe(`topology reader on the recorded ${expected.name} tree`, () => {
    const topology = readTopology(fixtureRoot(expected.name));
    const node = (id: number) => {
      const found = topology.nodes.find((n) => n.id === id);
      assert.ok(found, `node ${id}`);
      return found;
    };

    it("reads the nodes, their CPUs and which have CPUs and memory", () => {
      assert.deepEqual(
        topology.online,
        expected.nodes.map((n) => n.id),
      );
      assert.deepEqual(
        topology.withCpu,
        expected.nodes.filter((n) => n.cpus.length > 0).map((n) => n.id),
      );
      for (const want of expected.nodes) assert.deepEqual(node(want.id).cpus, want.cpus);
      assert.equal(topology.current, undefined, "a recorded tree has no current CPU");
    });

    it("reads memory sizes just under the configured sizes", () => {
      for (const want of expected.nodes) {
        const configured = want.memoryMiB * 2 ** 20;
        assert.ok(
          node(want.id).memTotal <= configured && node(want.id).memTotal > configured * 0.8,
        );
      }
    });

    it("reads distances, HMAT attributes, caches, tiers and dax devices", () => {
      for (const [from, to, distance] of expected.distances)
        assert.equal(node(from).distances[to], distance);
      for (const want of expected.nodes) {
        const access = node(want.id).access0;
        assert.equal(access?.readBandwidth, want.readBandwidth);
        assert.equal(access?.readLatency, want.readLatency);
        assert.deepEqual(access?.initiators, want.initiators);
        assert.deepEqual(access?.targets, want.targets ?? []);
        assert.deepEqual(node(want.id).access1?.initiators, want.initiators);
      }
      const cache = expected.memorySideCache;
      assert.deepEqual(
        topology.nodes.flatMap((n) => n.memorySideCaches.map((c) => [n.id, c.size, c.lineSize])),
        cache ? [[cache.node, cache.size, cache.lineSize]] : [],
      );
      assert.deepEqual(
        topology.memoryTiers.map((t) => [t.id, t.nodes]),
        expected.memoryTiers.map(([id, nodes]) => [id, nodes]),
      );
      assert.deepEqual(
        topology.daxDevices.map((d) => [d.name, d.driver, d.targetNode]),
        expected.daxKmem ? [[expected.daxKmem.device, "kmem", expected.daxKmem.targetNode]] : [],
      );
    });

    it("reads the 2 MiB and 1 GiB hugepage pools, system-wide and per node", () => {
      assert.deepEqual(
        topology.hugepagePools.map((p) => p.pageSize),
        [2 ** 21, 2 ** 30],
      );
      for (const n of topology.nodes)
        assert.deepEqual(
          n.hugepages.map((p) => p.pageSize),
          [2 ** 21, 2 ** 30],
        );
    });
  });
}

describe("topology reader on the recorded one-node host tree", () => {
  const topology = readTopology(fixtureRoot("host"));

  it("reads one node with every CPU and no HMAT", () => {
    assert.deepEqual(topology.online, [0]);
    assert.deepEqual(
      topology.nodes.map((n) => n.id),
      [0],
    );
    assert.equal(topology.nodes[0]?.access0, undefined);
    assert.deepEqual(topology.nodes[0]?.cpus, topology.cpusOnline);
    assert.equal(topology.nodes[0]?.distances[0], 10);
  });
});

describe("topology reader on a missing tree", () => {
  it("falls back to one node 0 with nothing known", () => {
    const topology = readTopology("/nonexistent/sysfs");
    assert.deepEqual(topology.online, [0]);
    assert.deepEqual(
      topology.nodes.map((n) => [n.id, n.cpus.length, n.memTotal]),
      [[0, 0, 0]],
    );
    assert.deepEqual(topology.daxDevices, []);
  });
});
