/** MEMKIND_DEBUG, MEMKIND_HEAP_MANAGER and MEMKIND_BACKGROUND_THREAD_LIMIT, in child processes. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { projectRoot } from "../helpers/paths.js";

const SCRIPT = `import * as mk from "./dist/src/c.js";
const p = mk.memkind_malloc(mk.MEMKIND_REGULAR, 10); mk.memkind_free(null, p);
mk.memkind_malloc(mk.MEMKIND_HBW, 10);
console.log("ok");`;

function run(env: Record<string, string>) {
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", SCRIPT], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("MEMKIND_DEBUG", () => {
  it("=1 prints MEMKIND_INFO lines for kind initialisation and MEMKIND_ERROR lines for failed detection", () => {
    const { status, stderr } = run({ MEMKIND_DEBUG: "1" });
    assert.equal(status, 0);
    assert.match(stderr, /^MEMKIND_INFO: Initializing kind memkind_regular\.$/m);
    assert.match(
      stderr,
      /^MEMKIND_ERROR: High Bandwidth Memory is not supported by this NUMA configuration\.$/m,
    );
  });

  it("unset prints nothing; another value prints one warning", () => {
    assert.equal(run({}).stderr, "");
    const { stderr } = run({ MEMKIND_DEBUG: "yes" });
    assert.equal(
      stderr,
      'MEMKIND_WARNING: debug option "yes" unknown; Try man memkind for available options.\n',
    );
  });
});

describe("MEMKIND_HEAP_MANAGER", () => {
  it("=TBB says clearly that TBB is not available and runs on memkind's own heap", () => {
    const { status, stdout, stderr } = run({ MEMKIND_HEAP_MANAGER: "TBB" });
    assert.equal(status, 0);
    assert.equal(stdout, "ok\n");
    assert.match(
      stderr,
      /^MEMKIND_WARNING: MEMKIND_HEAP_MANAGER=TBB: the TBB heap manager is not available/m,
    );
  });

  it("any other value is the jemalloc-style heap, silently", () => {
    assert.deepEqual(
      [
        run({ MEMKIND_HEAP_MANAGER: "JEMALLOC" }).stderr,
        run({ MEMKIND_HEAP_MANAGER: "tbb" }).stderr,
      ],
      ["", ""],
    );
  });
});

describe("MEMKIND_BACKGROUND_THREAD_LIMIT", () => {
  it("accepts decimals below 2^32 (0 and the empty string: no limit)", () => {
    for (const value of ["0", "1", "4", "4294967295", ""]) {
      const { status, stdout } = run({ MEMKIND_BACKGROUND_THREAD_LIMIT: value });
      assert.deepEqual([status, stdout], [0, "ok\n"], value);
    }
  });

  it("stops the program as upstream (MEMKIND_FATAL, exit status 134) for anything else", () => {
    for (const value of ["-1", "4294967296", "2x", "abc", " 5 "]) {
      const { status, stdout, stderr } = run({ MEMKIND_BACKGROUND_THREAD_LIMIT: value });
      assert.equal(status, 134, value);
      assert.equal(stdout, "");
      assert.equal(
        stderr,
        `MEMKIND_FATAL: Error: Wrong value of MEMKIND_BACKGROUND_THREAD_LIMIT=${value}\n`,
      );
    }
  });
});
