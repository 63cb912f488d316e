/**
 * The static kinds on this machine's real kernel: availability as upstream decides it, and
 * pages where each available kind's policy puts them (checked with move_pages and
 * get_mempolicy). Environment variants run in child processes, since detection reads the
 * environment once.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { projectRoot } from "../helpers/paths.js";

/** Each static kind's availability, errno of a 1 MiB malloc, and page nodes and policy. */
function survey(env: Record<string, string>) {
  const script = `
import * as mk from "./dist/src/c.js";
import { STATIC_KINDS } from "./dist/src/kinds/static-kinds.js";
import { defaultPlatform } from "./dist/src/platform/index.js";
const os = defaultPlatform();
const out = {};
for (const kind of STATIC_KINDS) {
  const available = mk.memkind_check_available(kind);
  const p = kind.name.includes("hugetlb") ? 0 : mk.memkind_malloc(kind, 1 << 20);
  const row = { available, ptr: p !== 0, errno: p === 0 ? mk.errno() : 0 };
  if (p !== 0) {
    const bytes = mk.view(p, 1 << 20);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 1;
    row.nodes = [...new Set(os.movePages(Array.from({ length: 256 }, (_, i) => p + i * 4096)))];
    row.policy = os.getMempolicy(p);
    mk.memkind_free(null, p);
  }
  out[kind.name] = row;
}
console.log(JSON.stringify(out));
`;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<
    string,
    {
      available: number;
      ptr: boolean;
      errno: number;
      nodes?: number[];
      policy?: { mode: number; nodes: number[] };
    }
  >;
}

const MPOL_DEFAULT = 0;
const MPOL_PREFERRED = 1;
const MPOL_BIND = 2;
const MPOL_INTERLEAVE = 3;
const ENOMEM = 12;
const MEMKIND_ERROR_UNAVAILABLE = -1;
const MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE = -20;

describe("static kinds on this one-node machine", () => {
  it("without overrides: kinds of memory it lacks are unavailable, and their malloc is NULL with ENOMEM", () => {
    const kinds = survey({ MEMKIND_HBW_NODES: "", MEMKIND_DAX_KMEM_NODES: "" });
    // An empty MEMKIND_HBW_NODES is an invalid node string: the environment error path.
    assert.equal(kinds.memkind_hbw?.available, -12);
    const plain = survey({});
    for (const name of [
      "memkind_hbw",
      "memkind_hbw_preferred",
      "memkind_hbw_all",
      "memkind_hbw_interleave",
    ]) {
      // No HMAT here and no CPU-less node: the legacy rule finds no HBM.
      assert.equal(plain[name]?.available, MEMKIND_ERROR_UNAVAILABLE, name);
      assert.deepEqual([plain[name]?.ptr, plain[name]?.errno], [false, ENOMEM], name);
    }
    for (const name of [
      "memkind_dax_kmem",
      "memkind_dax_kmem_all",
      "memkind_dax_kmem_preferred",
      "memkind_dax_kmem_interleave",
    ]) {
      assert.equal(plain[name]?.available, MEMKIND_ERROR_UNAVAILABLE, name);
      assert.equal(plain[name]?.ptr, false, name);
    }
    for (const name of ["memkind_lowest_latency_local", "memkind_highest_bandwidth_local"]) {
      assert.equal(
        plain[name]?.available,
        MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
        `${name}: no HMAT here`,
      );
    }
    for (const name of [
      "memkind_default",
      "memkind_regular",
      "memkind_interleave",
      "memkind_highest_capacity",
      "memkind_highest_capacity_local",
    ]) {
      assert.equal(plain[name]?.available, 0, name);
      assert.deepEqual(plain[name]?.nodes, [0], name);
    }
  });

  it("with node 0 named HBW and DAX KMEM: every such kind places its pages on node 0 with its policy", () => {
    const kinds = survey({ MEMKIND_HBW_NODES: "0", MEMKIND_DAX_KMEM_NODES: "0" });
    const modes: Record<string, number> = {
      memkind_default: MPOL_DEFAULT,
      memkind_hbw: MPOL_BIND,
      memkind_hbw_preferred: MPOL_PREFERRED,
      memkind_hbw_interleave: MPOL_INTERLEAVE,
      memkind_interleave: MPOL_INTERLEAVE,
      memkind_regular: MPOL_BIND,
      memkind_hbw_all: MPOL_BIND,
      memkind_dax_kmem: MPOL_BIND,
      memkind_dax_kmem_all: MPOL_BIND,
      memkind_dax_kmem_preferred: MPOL_PREFERRED,
      memkind_dax_kmem_interleave: MPOL_INTERLEAVE,
      memkind_highest_capacity: MPOL_BIND,
      memkind_highest_capacity_preferred: MPOL_PREFERRED,
      memkind_highest_capacity_local: MPOL_BIND,
      memkind_highest_capacity_local_preferred: MPOL_PREFERRED,
    };
    for (const [name, mode] of Object.entries(modes)) {
      const row = kinds[name];
      assert.equal(row?.available, 0, name);
      assert.deepEqual(row?.nodes, [0], `${name} pages on node 0`);
      assert.deepEqual(
        row?.policy,
        { mode, nodes: mode === MPOL_DEFAULT ? [] : [0] },
        `${name} policy`,
      );
    }
  });
});
