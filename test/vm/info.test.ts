/** In the NUMA VM: `memkind info --json` describes the machine the VM was defined as. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
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
