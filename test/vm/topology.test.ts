/**
 * In the NUMA VM: the topology reader returns exactly the machine the VM was defined as, and
 * the recorded fixture of this topology (test/fixtures/sysfs/<name>) still reads the same.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { machineTopology, readTopology, type Topology } from "../../src/platform/index.js";
import { fixtureRoot } from "../helpers/paths.js";
import { currentTopology, OUTSIDE_VM } from "./topologies.js";

const expected = currentTopology();

describe(`topology reader in the ${expected?.name ?? "(no)"} VM`, {
  skip: expected ? false : OUTSIDE_VM,
}, () => {
  if (!expected) return;
  const topology = machineTopology();
  const ids = expected.nodes.map((node) => node.id);
  const node = (id: number) => {
    const found = topology.nodes.find((n) => n.id === id);
    assert.ok(found, `node ${id} is read`);
    return found;
  };

  it("finds the defined nodes, those with CPUs and those with memory", () => {
    assert.deepEqual(topology.online, ids);
    assert.deepEqual(
      topology.nodes.map((n) => n.id),
      ids,
    );
    assert.deepEqual(
      topology.withCpu,
      expected.nodes.filter((n) => n.cpus.length > 0).map((n) => n.id),
    );
    assert.deepEqual(topology.withMemory, ids);
    assert.deepEqual(topology.cpusOnline, [0, 1]);
  });

  it("reads each node's CPUs and memory size", () => {
    for (const want of expected.nodes) {
      const got = node(want.id);
      assert.deepEqual(got.cpus, want.cpus, `node ${want.id} CPUs`);
      assert.equal(got.hasCpu, want.cpus.length > 0);
      const configured = want.memoryMiB * 1024 * 1024;
      assert.ok(
        got.memTotal <= configured && got.memTotal > configured * 0.8,
        `node ${want.id}: MemTotal ${got.memTotal} is a little under the configured ${configured}`,
      );
      assert.ok(got.memFree > 0 && got.memFree <= got.memTotal);
    }
  });

  it("reads the SLIT distances", () => {
    for (const id of ids) assert.equal(node(id).distances[id], 10, `node ${id} to itself`);
    for (const [from, to, distance] of expected.distances) {
      assert.equal(node(from).distances[to], distance, `${from} -> ${to}`);
      assert.equal(node(to).distances[from], distance, `${to} -> ${from}`);
    }
  });

  it("reads HMAT bandwidth, latency, initiators and targets for both access classes", () => {
    for (const want of expected.nodes) {
      const got = node(want.id);
      for (const access of [got.access0, got.access1]) {
        assert.ok(access, `node ${want.id} has HMAT attributes`);
        assert.equal(access.readBandwidth, want.readBandwidth, `node ${want.id} read bandwidth`);
        assert.equal(access.writeBandwidth, want.readBandwidth, `node ${want.id} write bandwidth`);
        assert.equal(access.readLatency, want.readLatency, `node ${want.id} read latency`);
        assert.equal(access.writeLatency, want.readLatency, `node ${want.id} write latency`);
        assert.deepEqual(access.initiators, want.initiators, `node ${want.id} initiators`);
        assert.deepEqual(access.targets, want.targets ?? [], `node ${want.id} targets`);
      }
    }
  });

  it("reads memory-side caches where the topology has one, and none elsewhere", () => {
    for (const want of expected.nodes) {
      const caches = node(want.id).memorySideCaches;
      if (expected.memorySideCache?.node === want.id) {
        assert.deepEqual(caches, [
          {
            level: 1,
            size: expected.memorySideCache.size,
            lineSize: expected.memorySideCache.lineSize,
            indexing: 0,
            writePolicy: 0,
          },
        ]);
      } else {
        assert.deepEqual(caches, []);
      }
    }
  });

  it("reads the memory tiers and each node's tier", () => {
    assert.deepEqual(
      topology.memoryTiers.map((tier) => [tier.id, tier.nodes]),
      expected.memoryTiers.map(([id, nodes]) => [id, nodes]),
    );
    for (const [tier, nodes] of expected.memoryTiers) {
      for (const id of nodes) assert.equal(node(id).memoryTier, tier);
    }
  });

  it("reads dax devices with their driver and target node", () => {
    if (expected.daxKmem) {
      assert.deepEqual(
        topology.daxDevices.map((dev) => [dev.name, dev.driver, dev.targetNode]),
        [[expected.daxKmem.device, "kmem", expected.daxKmem.targetNode]],
      );
    } else {
      assert.deepEqual(topology.daxDevices, []);
    }
  });

  it("reads hugepage pools for 2 MiB pages, system-wide and per node", () => {
    assert.ok(topology.hugepagePools.some((pool) => pool.pageSize === 2 * 1024 * 1024));
    for (const id of ids)
      assert.ok(node(id).hugepages.some((pool) => pool.pageSize === 2 * 1024 * 1024));
  });

  it("reports the current CPU on the node that holds it", () => {
    assert.ok(topology.current);
    assert.ok(node(topology.current.node).cpus.includes(topology.current.cpu));
  });

  it("reads the recorded fixture of this topology exactly as the live kernel, but for run-time counters", () => {
    const root = fixtureRoot(expected.name);
    assert.ok(existsSync(root), `${root} is recorded`);
    // Free memory and huge-page pool sizes change as the machine runs: a huge-page test that
    // restores a pool while its pages are mapped leaves them in the pool (no overcommit).
    const stable = (t: Topology) => ({
      ...t,
      current: undefined,
      nodes: t.nodes.map((n) => ({
        ...n,
        memFree: 0,
        hugepages: n.hugepages.map((h) => ({ ...h, free: 0, total: 0, surplus: 0 })),
      })),
      hugepagePools: t.hugepagePools.map((p) => ({ ...p, free: 0, total: 0, surplus: 0 })),
    });
    assert.deepEqual(stable(readTopology(root)), stable(topology));
  });
});
