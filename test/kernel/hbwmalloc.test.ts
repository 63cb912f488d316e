/**
 * hbwmalloc, memkind_create_kind, memkind_get_capacity and memkind_error_message, in child
 * processes where the environment or the one-shot hbw policy must start fresh.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { readTopology } from "../../src/platform/index.js";
import { projectRoot } from "../helpers/paths.js";

function child(script: string, env: Record<string, string> = {}) {
  const result = spawnSync(
    process.execPath,
    ["--input-type=module", "-e", `import * as mk from "./dist/src/c.js";\n${script}`],
    {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      encoding: "utf8",
    },
  );
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

describe("hbwmalloc", () => {
  it("hbw_set_policy: EINVAL for unknown modes, the first valid call sets it, then EPERM or 0", () => {
    const r =
      child(`console.log(JSON.stringify([mk.hbw_get_policy(), mk.hbw_set_policy(0), mk.hbw_set_policy(5),
      mk.hbw_set_policy(mk.HBW_POLICY_BIND), mk.hbw_get_policy(), mk.hbw_set_policy(mk.HBW_POLICY_BIND),
      mk.hbw_set_policy(mk.HBW_POLICY_PREFERRED), mk.hbw_get_policy()]))`);
    assert.deepEqual(r, [
      mk.HBW_POLICY_PREFERRED,
      mk.EINVAL,
      mk.EINVAL,
      0,
      mk.HBW_POLICY_BIND,
      0,
      mk.EPERM,
      mk.HBW_POLICY_BIND,
    ]);
  });

  it("the first allocation freezes the policy", () => {
    const r = child(`const p = mk.hbw_malloc(64); mk.hbw_free(p);
      console.log(JSON.stringify([mk.hbw_set_policy(mk.HBW_POLICY_BIND), mk.hbw_set_policy(mk.HBW_POLICY_PREFERRED)]))`);
    assert.deepEqual(r, [mk.EPERM, 0]);
  });

  it("PREFERRED falls back to DEFAULT without HBW memory; BIND then fails with ENOMEM", () => {
    const r = child(`const p = mk.hbw_malloc(100);
      const out = [mk.hbw_check_available(), mk.memkind_detect_kind(p)?.name, mk.hbw_malloc_usable_size(p), mk.hbw_verify_memory_region(p, 100, 0)];
      mk.hbw_free(p); console.log(JSON.stringify(out))`);
    assert.deepEqual(r, [mk.ENODEV, "memkind_default", 112, -1]);
    const bind = child(
      `mk.hbw_set_policy(mk.HBW_POLICY_BIND); console.log(JSON.stringify([mk.hbw_malloc(100), mk.errno()]))`,
    );
    assert.deepEqual(bind, [0, mk.ENOMEM]);
  });

  it("with node 0 named HBW: every policy allocates from its HBW kind, and verify finds the pages on it", () => {
    for (const [policy, kind] of [
      [mk.HBW_POLICY_PREFERRED, "memkind_hbw_preferred"],
      [mk.HBW_POLICY_BIND, "memkind_hbw"],
      [mk.HBW_POLICY_BIND_ALL, "memkind_hbw_all"],
      [mk.HBW_POLICY_INTERLEAVE, "memkind_hbw_interleave"],
    ] as const) {
      const r = child(
        `mk.hbw_set_policy(${policy}); const p = mk.hbw_calloc(10, 1000); const q = mk.hbw_realloc(p, 50000);
        const out = { avail: mk.hbw_check_available(), kind: mk.memkind_detect_kind(q)?.name,
          untouched: mk.hbw_verify_memory_region(q, 50000, 0), touched: mk.hbw_verify_memory_region(q, 50000, mk.HBW_TOUCH_PAGES),
          bad: [mk.hbw_verify_memory_region(0, 10, 0), mk.hbw_verify_memory_region(q, 0, 0), mk.hbw_verify_memory_region(q, 10, 2)] };
        const m = { value: 0 }; out.align = mk.hbw_posix_memalign(m, 4096, 100); out.aligned = m.value % 4096;
        out.psize2mInterleave = mk.hbw_posix_memalign_psize(m, 4096, 100, mk.HBW_PAGESIZE_2MB);
        out.psizeBad = mk.hbw_posix_memalign_psize(m, 4096, 100, 7);
        mk.hbw_free(q); console.log(JSON.stringify(out));`,
        { MEMKIND_HBW_NODES: "0" },
      );
      assert.equal(r.avail, 0);
      assert.equal(r.kind, kind, `policy ${policy}`);
      assert.equal(r.touched, 0, "touched pages are on the HBW node");
      assert.ok(r.untouched === 0 || r.untouched === -1);
      assert.deepEqual(r.bad, [mk.EINVAL, mk.EINVAL, mk.EINVAL]);
      assert.deepEqual([r.align, r.aligned], [0, 0]);
      // 2 MiB pages: EINVAL with INTERLEAVE; otherwise the huge-page kind, which needs a pool.
      const pool = readTopology().hugepagePools.find((p) => p.pageSize === 2 ** 21);
      const hugeResult = (pool?.free ?? 0) >= 4 ? 0 : mk.ENOMEM;
      assert.equal(
        r.psize2mInterleave,
        policy === mk.HBW_POLICY_INTERLEAVE ? mk.EINVAL : hugeResult,
      );
      assert.equal(r.psizeBad, mk.EINVAL);
    }
  });
});

describe("memkind_create_kind", () => {
  it("maps the supported triples, with DEFAULT for an unavailable PREFERRED_LOCAL", () => {
    const out = { value: null as mk.memkind_t | null };
    assert.equal(
      mk.memkind_create_kind(mk.MEMKIND_MEMTYPE_DEFAULT, mk.MEMKIND_POLICY_PREFERRED_LOCAL, 0, out),
      0,
    );
    assert.equal(out.value, mk.MEMKIND_DEFAULT);
    assert.equal(
      mk.memkind_create_kind(
        mk.MEMKIND_MEMTYPE_DEFAULT | mk.MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
        mk.MEMKIND_POLICY_INTERLEAVE_ALL,
        0,
        out,
      ),
      0,
    );
    assert.equal(out.value, mk.MEMKIND_INTERLEAVE);
    // No HBW memory here: PREFERRED_LOCAL falls back to DEFAULT, the others are not available.
    assert.equal(
      mk.memkind_create_kind(
        mk.MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
        mk.MEMKIND_POLICY_PREFERRED_LOCAL,
        0,
        out,
      ),
      0,
    );
    assert.equal(out.value, mk.MEMKIND_DEFAULT);
    assert.equal(
      mk.memkind_create_kind(
        mk.MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
        mk.MEMKIND_POLICY_BIND_LOCAL,
        0,
        out,
      ),
      mk.MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
    );
  });

  it("rejects everything else with MEMKIND_ERROR_INVALID, in upstream's order", () => {
    const out = { value: null as mk.memkind_t | null };
    const cases: [number, number, number, { value: mk.memkind_t | null } | null][] = [
      [0, mk.MEMKIND_POLICY_BIND_LOCAL, 0, out],
      [4, mk.MEMKIND_POLICY_BIND_LOCAL, 0, out],
      [mk.MEMKIND_MEMTYPE_DEFAULT, mk.MEMKIND_POLICY_PREFERRED_LOCAL, 22, out],
      [mk.MEMKIND_MEMTYPE_DEFAULT, mk.MEMKIND_POLICY_MAX_VALUE, 0, out],
      [mk.MEMKIND_MEMTYPE_DEFAULT, mk.MEMKIND_POLICY_PREFERRED_LOCAL, 0, null],
      [mk.MEMKIND_MEMTYPE_DEFAULT, mk.MEMKIND_POLICY_BIND_LOCAL, 0, out],
      [mk.MEMKIND_MEMTYPE_HIGH_BANDWIDTH, mk.MEMKIND_POLICY_INTERLEAVE_LOCAL, 0, out],
      [
        mk.MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
        mk.MEMKIND_POLICY_INTERLEAVE_ALL,
        mk.MEMKIND_MASK_PAGE_SIZE_2MB,
        out,
      ],
      [
        mk.MEMKIND_MEMTYPE_DEFAULT | mk.MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
        mk.MEMKIND_POLICY_BIND_ALL,
        0,
        out,
      ],
    ];
    for (const [memtype, policy, flags, kind] of cases) {
      assert.equal(
        mk.memkind_create_kind(memtype, policy, flags, kind),
        mk.MEMKIND_ERROR_INVALID,
        `${memtype} ${policy} ${flags}`,
      );
    }
  });
});

describe("memkind_get_capacity", () => {
  it("is the memory of the kind's nodes, -1 for PREFERRED kinds and non-kinds", () => {
    const total = readTopology().nodes.reduce((sum, node) => sum + node.memTotal, 0);
    assert.equal(mk.memkind_get_capacity(mk.MEMKIND_DEFAULT), total);
    assert.equal(mk.memkind_get_capacity(mk.MEMKIND_REGULAR), total);
    assert.equal(mk.memkind_get_capacity(mk.MEMKIND_INTERLEAVE), total);
    assert.equal(mk.memkind_get_capacity(mk.MEMKIND_HBW_PREFERRED), -1);
    assert.equal(mk.memkind_get_capacity(mk.MEMKIND_HIGHEST_CAPACITY_PREFERRED), -1);
    assert.equal(mk.memkind_get_capacity(mk.MEMKIND_HBW_HUGETLB), -1);
    assert.equal(mk.memkind_get_capacity(mk.MEMKIND_HBW), -1, "no HBW nodes here");
    assert.equal(mk.memkind_get_capacity(null as unknown as mk.memkind_t), -1);
  });
});

describe("memkind_error_message", () => {
  it("gives upstream's exact texts, all under 128 characters and starting with <memkind>", () => {
    assert.equal(
      mk.memkind_error_message(mk.MEMKIND_ERROR_UNAVAILABLE),
      "<memkind> Requested memory kind is not available",
    );
    assert.equal(
      mk.memkind_error_message(mk.MEMKIND_ERROR_ENVIRON),
      "<memkind> Error parsing environment variable (MEMKIND_*)",
    );
    assert.equal(
      mk.memkind_error_message(mk.EINVAL),
      "<memkind> Alignment must be a power of two and larger than sizeof(void *)",
    );
    assert.equal(mk.memkind_error_message(mk.ENOMEM), "<memkind> Call to jemk_mallocx() failed");
    assert.equal(mk.memkind_error_message(0), "<memkind> Undefined error number: 0");
    assert.equal(mk.memkind_error_message(-999), "<memkind> Undefined error number: -999");
    for (const code of [-1, -2, -3, -6, -12, -13, -15, -17, -18, -20, -21, -22, -255, 12, 22]) {
      const text = mk.memkind_error_message(code);
      assert.ok(text.startsWith("<memkind>") && text.length < 127, `${code}: ${text}`);
    }
  });

  it("truncates to size - 1 characters, and gives nothing for size 0", () => {
    assert.equal(mk.memkind_error_message(mk.MEMKIND_ERROR_UNAVAILABLE, 10), "<memkind>");
    assert.equal(mk.memkind_error_message(mk.MEMKIND_ERROR_UNAVAILABLE, 0), "");
  });

  it("memkind_get_version is 1.14.0", () => {
    assert.equal(mk.memkind_get_version(), 1014000);
  });
});
