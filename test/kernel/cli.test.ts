/** The `memkind` command, run as a user runs it. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { readTopology } from "../../src/platform/index.js";
import { cliPath } from "../helpers/paths.js";

function memkind(...args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("memkind info", () => {
  it("prints every node of this machine for a person", () => {
    const { status, stdout } = memkind("info");
    assert.equal(status, 0);
    for (const node of readTopology().nodes)
      assert.match(stdout, new RegExp(`^node ${node.id}`, "m"));
    assert.match(stdout, /^ {2}CPUs\s+\d/m);
    assert.match(stdout, /^hugepage pools$/m);
    assert.match(stdout, /^dax devices$/m);
  });

  it("prints the topology as JSON with --json", () => {
    const { status, stdout } = memkind("info", "--json");
    assert.equal(status, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.pageSize, 4096);
    assert.deepEqual(report.topology.online, readTopology().online);
    assert.deepEqual(
      report.topology.nodes.map((n: { id: number; cpus: number[] }) => [n.id, n.cpus]),
      readTopology().nodes.map((n) => [n.id, n.cpus]),
    );
    assert.ok(report.topology.online.includes(report.topology.current.node));
  });

  it("rejects an unknown option with a message and exit status 1", () => {
    const { status, stderr } = memkind("info", "--jsn");
    assert.equal(status, 1);
    assert.match(stderr, /^memkind: Unknown option '--jsn'/);
  });
});

describe("memkind command line", () => {
  it("rejects an unknown command with usage and exit status 2", () => {
    const { status, stderr } = memkind("frobnicate");
    assert.equal(status, 2);
    assert.match(stderr, /unknown command "frobnicate"/);
    assert.match(stderr, /usage: memkind/);
  });

  it("prints usage for help", () => {
    const { status, stdout } = memkind("help");
    assert.equal(status, 0);
    assert.match(stdout, /^usage: memkind/);
  });
});
