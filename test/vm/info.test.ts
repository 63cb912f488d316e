/**
 * In the NUMA VM: `memkind info --json` describes the machine the VM was defined as, and
 * `memkind demo` puts each kind's block on the nodes the kind stands for.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import type { DemoRow } from "../../src/cli/demo.js";
import type { InfoReport } from "../../src/cli/info.js";
import { cliPath } from "../helpers/paths.js";
import { currentTopology, OUTSIDE_VM } from "./topologies.js";

const expected = currentTopology();

describe(`memkind info in the ${expected?.name ?? "(no)"} VM`, {
  skip: expected ? false : OUTSIDE_VM,
}, () => {
  if (!expected) return;

  it("--json matches the topology's definition", () => {
    const result = spawnSync(process.execPath, [cliPath, "info", "--json"], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    const { topology } = JSON.parse(result.stdout) as InfoReport;
    assert.deepEqual(
      topology.nodes.map((node) => ({
        id: node.id,
        cpus: node.cpus,
        readBandwidth: node.access0?.readBandwidth,
        readLatency: node.access0?.readLatency,
        initiators: node.access0?.initiators,
      })),
      expected.nodes.map((node) => ({
        id: node.id,
        cpus: node.cpus,
        readBandwidth: node.readBandwidth,
        readLatency: node.readLatency,
        initiators: node.initiators,
      })),
    );
    for (const [from, to, distance] of expected.distances) {
      assert.equal(topology.nodes.find((node) => node.id === from)?.distances[to], distance);
    }
    assert.deepEqual(
      topology.memoryTiers.map((tier) => [tier.id, tier.nodes]),
      expected.memoryTiers.map(([id, nodes]) => [id, nodes]),
    );
    assert.equal(
      topology.daxDevices.filter((dev) => dev.driver === "kmem").length,
      expected.daxKmem ? 1 : 0,
    );
  });

  it("prints a block per node for a person, CPU-less nodes marked", () => {
    const result = spawnSync(process.execPath, [cliPath, "info"], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    for (const node of expected.nodes) {
      assert.match(result.stdout, new RegExp(`^node ${node.id}`, "m"));
    }
    const cpuless = expected.nodes.filter((node) => node.cpus.length === 0).length;
    assert.equal(result.stdout.match(/none \(CPU-less\)/g)?.length ?? 0, cpuless);
    if (expected.daxKmem)
      assert.match(result.stdout, /dax0\.0\s+system RAM \(kmem\), target node 1/);
  });

  it("memkind demo writes a block of each available kind where the kind puts it", () => {
    const result = spawnSync(process.execPath, [cliPath, "demo", "--json"], {
      encoding: "utf8",
      env: { ...process.env, MEMKIND_HBW_THRESHOLD: "50000" }, // the VMs' HBM: 80 000 MB/s
    });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    const rows = JSON.parse(result.stdout) as DemoRow[];
    const nodesOf = (name: string) => {
      const row = rows.find((r) => r.kind === name);
      assert.ok(row && row.skipped === undefined, `${name} was tried: ${row?.skipped}`);
      assert.equal(row.residentAfterPurge, 0, `${name}: its pages are gone after the purge`);
      return Object.keys(row.pagesByNode ?? {})
        .map(Number)
        .sort();
    };
    const withMemory = expected.nodes.filter((node) => node.memoryMiB > 0).map((node) => node.id);
    assert.deepEqual(nodesOf("memkind_interleave"), withMemory, "interleave spans every node");
    const hbwNodes: Record<string, number[]> = { hbw: [1], "hbw-cache": [1], "hbw-snc2": [2, 3] };
    const hbw = hbwNodes[expected.name];
    if (hbw) {
      for (const node of nodesOf("memkind_hbw"))
        assert.ok(hbw.includes(node), `memkind_hbw's pages on HBW node ${node}`);
    }
    if (expected.daxKmem)
      assert.deepEqual(nodesOf("memkind_dax_kmem"), [expected.daxKmem.targetNode]);
  });

  it("hbw-nodes and dax-kmem-nodes print this topology's nodes, or fail as upstream", () => {
    const run = (command: string) =>
      spawnSync(process.execPath, [cliPath, command], {
        encoding: "utf8",
        env: { ...process.env, MEMKIND_HBW_THRESHOLD: "50000" },
      });
    const hbw = run("hbw-nodes");
    const wantHbw: Record<string, string> = { hbw: "1", "hbw-cache": "1", "hbw-snc2": "2,3" };
    if (wantHbw[expected.name])
      assert.deepEqual([hbw.status, hbw.stdout], [0, `${wantHbw[expected.name]}\n`]);
    else assert.equal(hbw.status, 1);
    const dax = run("dax-kmem-nodes");
    if (expected.daxKmem)
      assert.deepEqual([dax.status, dax.stdout], [0, `${expected.daxKmem.targetNode}\n`]);
    else assert.equal(dax.status, 3);
  });
});
