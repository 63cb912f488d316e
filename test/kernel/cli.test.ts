/** The `memkind` command, run as a user runs it. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { rowPassed } from "../../src/cli/demo.js";
import { readTopology } from "../../src/platform/index.js";
import { cliPath } from "../helpers/paths.js";

function memkind(...args: string[]) {
  return memkindWith({}, ...args);
}

function memkindWith(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("memkind demo", () => {
  it("writes a block of every available kind, finds its pages on this machine's nodes, and gives them back", () => {
    const { status, stdout } = memkind("demo", "--json");
    assert.equal(status, 0);
    const rows = JSON.parse(stdout) as {
      kind: string;
      skipped?: string;
      pagesByNode?: Record<string, number>;
      residentAfterPurge?: number;
      detected?: boolean;
      usable?: number;
    }[];
    const withMemory = readTopology().withMemory.map(String);
    for (const name of ["memkind_default", "memkind_regular"]) {
      const row = rows.find((r) => r.kind === name);
      assert.ok(row && row.skipped === undefined, `${name} was tried`);
      const pages = Object.values(row.pagesByNode ?? {}).reduce((a, b) => a + b, 0);
      assert.ok(pages >= 8192, `${name}: every page of the 32 MiB block is resident (${pages})`);
      for (const node of Object.keys(row.pagesByNode ?? {}))
        assert.ok(withMemory.includes(node), `${name}: pages on node ${node}, a node with memory`);
      assert.equal(row.residentAfterPurge, 0, `${name}: no page left after free + purge`);
      assert.equal(row.detected, true);
      assert.equal(row.usable, 32 * 2 ** 20);
    }
    assert.ok(
      rows.some((r) => r.kind.startsWith("pmem in ")),
      "a PMEM kind row",
    );
  });

  it("fails a row whose block was not found, not detected, or not given back", () => {
    const good = { kind: "k", pagesByNode: { 0: 8192 }, residentAfterPurge: 0, detected: true };
    assert.equal(rowPassed(good, false), true);
    assert.equal(rowPassed({ kind: "k", skipped: "unavailable" }, false), true);
    assert.equal(rowPassed({ ...good, pagesByNode: {} }, false), false);
    assert.equal(rowPassed({ ...good, detected: false }, false), false);
    assert.equal(rowPassed({ ...good, residentAfterPurge: 3 }, false), false);
    assert.equal(rowPassed({ ...good, residentAfterPurge: 3 }, true), true, "hog keeps pages");
  });

  it("rejects an unknown option with a message and exit status 1, allocating nothing", () => {
    const { status, stdout, stderr } = memkind("demo", "--jsn");
    assert.equal(status, 1);
    assert.match(stderr, /^memkind: Unknown option '--jsn'/);
    assert.equal(stdout, "");
  });

  it("keeps the pages under MEMKIND_HOG_MEMORY=1 and still exits 0", () => {
    const { status, stdout } = memkindWith({ MEMKIND_HOG_MEMORY: "1" }, "demo");
    assert.equal(status, 0);
    assert.match(
      stdout,
      /^ {2}memkind_default +resident pages node \d+: \d+; after free \+ purge: \d+ pages$/m,
    );
  });
});

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

describe("memkind info kinds", () => {
  it("lists every static kind with its availability and nodes for the current CPU", () => {
    const { status, stdout } = memkind("info", "--json");
    assert.equal(status, 0);
    const { kinds } = JSON.parse(stdout);
    assert.equal(kinds.length, 23);
    const byName = Object.fromEntries(kinds.map((k: { name: string }) => [k.name, k]));
    assert.deepEqual(
      [
        byName.memkind_regular.available,
        byName.memkind_regular.policy,
        byName.memkind_regular.nodes,
      ],
      [0, "MPOL_BIND", [0]],
    );
    // No HMAT and no CPU-less node here: the legacy rule finds no HBM.
    assert.equal(byName.memkind_hbw.available, -1);
    assert.match(byName.memkind_hbw.message, /Requested memory kind is not available/);
    assert.equal(byName.memkind_hugetlb.pageSize, 2 ** 21);
    const text = memkind("info").stdout;
    assert.match(text, /^ {2}memkind_regular\s+MPOL_BIND \{0\}$/m);
    assert.match(text, /^ {2}memkind_hbw\s+unavailable: Requested memory kind is not available$/m);
  });
});

describe("memkind hbw-nodes and dax-kmem-nodes", () => {
  it("hbw-nodes exits 1 without HBW nodes, prints them when there are, 2 for help or bad arguments", () => {
    assert.equal(memkind("hbw-nodes").status, 1);
    const named = memkindWith({ MEMKIND_HBW_NODES: "0" }, "hbw-nodes");
    assert.deepEqual([named.status, named.stdout], [0, "0\n"]);
    assert.equal(memkind("hbw-nodes", "--help").status, 2);
    assert.match(memkind("hbw-nodes", "-h").stdout, /^Usage: memkind hbw-nodes/);
    assert.equal(memkind("hbw-nodes", "--bogus").status, 2);
  });

  it("dax-kmem-nodes exits 3 without KMEM DAX nodes, prints them when there are, 0 for help, 2 for bad arguments", () => {
    assert.equal(memkind("dax-kmem-nodes").status, 3);
    const named = memkindWith({ MEMKIND_DAX_KMEM_NODES: "0" }, "dax-kmem-nodes");
    assert.deepEqual([named.status, named.stdout], [0, "0\n"]);
    assert.equal(memkind("dax-kmem-nodes", "--help").status, 0);
    assert.equal(memkind("dax-kmem-nodes", "--bogus").status, 2);
  });
});
