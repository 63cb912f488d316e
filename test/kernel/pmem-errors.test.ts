/**
 * Every error path of the PMEM calls (reference/memkind.md sections 1.2 and 1.11), on real
 * directories: sizes, missing / read-only / unwritable directories (EACCES needs a user
 * without root's override: a child process that drops to nobody), a file system without hole
 * punching (ramfs), a full file system, the config calls, memkind_check_dax_path and
 * Kind.pmem. No failed call may leave a descriptor, a mapping or a file behind.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, readdirSync, writeFileSync } from "node:fs";
import { after, afterEach, before, describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { Kind, MemkindError } from "../../src/index.js";
import { heap } from "../../src/kinds/heap.js";
import { resetLogging } from "../../src/kinds/log.js";
import { captureStderr } from "../helpers/conformance.js";
import { projectRoot } from "../helpers/paths.js";
import {
  createPmem,
  fileBlocks,
  MiB,
  mountScratch,
  PARENTS,
  pmemMappings,
  removeDir,
  scratchDir,
} from "../helpers/pmem.js";
import { openFds } from "../helpers/proc.js";

const dirs: string[] = [];
let tmpfsDir = "";
before(() => {
  tmpfsDir = scratchDir("/dev/shm");
  dirs.push(tmpfsDir);
});
after(() => {
  for (const dir of dirs) removeDir(dir);
});

/** Runs `call`, which must fail, and checks it left nothing behind. */
function failsCleanly(call: () => number): number {
  const fds = openFds().length;
  const maps = pmemMappings().length;
  const code = call();
  assert.notEqual(code, mk.MEMKIND_SUCCESS);
  assert.equal(openFds().length, fds, "no descriptor left open");
  assert.equal(pmemMappings().length, maps, "no mapping left");
  return code;
}

function create(dir: string | null, size: number): { code: number; kind: mk.memkind_t | null } {
  const out: mk.Out<mk.memkind_t | null> = { value: null };
  const code = mk.memkind_create_pmem(dir, size, out);
  return { code, kind: out.value };
}

describe("memkind_create_pmem errors", () => {
  afterEach(() => heap.check());

  it("max_size other than 0 below MEMKIND_PMEM_MIN_SIZE: MEMKIND_ERROR_INVALID, errno unchanged", () => {
    for (const size of [1, 4096, mk.MEMKIND_PMEM_MIN_SIZE - 1]) {
      mk.memkind_malloc(mk.MEMKIND_DEFAULT, 2 ** 64); // errno ENOMEM
      const { code, kind } = create(tmpfsDir, size);
      assert.equal(code, mk.MEMKIND_ERROR_INVALID, `size ${size}`);
      assert.equal(kind, null, "the out-parameter is not written");
      assert.equal(mk.errno(), mk.ENOMEM);
    }
    assert.deepEqual(readdirSync(tmpfsDir), [], "the size is checked before the file is made");
  });

  it("sizes C cannot pass (negative, fractional, not a number): MEMKIND_ERROR_INVALID, EINVAL", () => {
    for (const size of [-1, 16 * MiB + 0.5, Number.NaN, "16M" as unknown as number]) {
      assert.equal(
        failsCleanly(() => create(tmpfsDir, size).code),
        mk.MEMKIND_ERROR_INVALID,
      );
      assert.equal(mk.errno(), mk.EINVAL);
    }
  });

  it("a missing directory: MEMKIND_ERROR_INVALID with errno ENOENT", () => {
    const code = failsCleanly(() => create(`${tmpfsDir}/missing`, 0).code);
    assert.equal(code, mk.MEMKIND_ERROR_INVALID);
    assert.equal(mk.errno(), mk.ENOENT);
  });

  it("a path that is a file: MEMKIND_ERROR_INVALID with errno ENOTDIR", () => {
    const file = `${tmpfsDir}/plain`;
    writeFileSync(file, "");
    assert.equal(
      failsCleanly(() => create(file, 0).code),
      mk.MEMKIND_ERROR_INVALID,
    );
    assert.equal(mk.errno(), 20);
    removeDir(file);
  });

  it("NULL directory (upstream crashes): MEMKIND_ERROR_INVALID with EINVAL; NULL out-parameter too", () => {
    assert.equal(
      failsCleanly(() => create(null, 0).code),
      mk.MEMKIND_ERROR_INVALID,
    );
    assert.equal(mk.errno(), mk.EINVAL);
    const call = () => mk.memkind_create_pmem(tmpfsDir, 0, null);
    assert.equal(failsCleanly(call), mk.MEMKIND_ERROR_INVALID);
  });

  it("a path longer than PATH_MAX: MEMKIND_ERROR_INVALID", () => {
    assert.equal(
      failsCleanly(() => create(`/${"d".repeat(4096)}`, 0).code),
      mk.MEMKIND_ERROR_INVALID,
    );
  });

  it("a read-only file system: MEMKIND_ERROR_INVALID with errno EROFS", (t) => {
    const mount = mountScratch("tmpfs", "ro,size=1m");
    if ("reason" in mount) return t.skip(mount.reason);
    try {
      assert.equal(
        failsCleanly(() => create(mount.dir, 0).code),
        mk.MEMKIND_ERROR_INVALID,
      );
      assert.equal(mk.errno(), 30);
    } finally {
      mount.unmount();
    }
  });

  it("a directory the user cannot write: MEMKIND_ERROR_INVALID with errno EACCES (as nobody)", () => {
    const dir = scratchDir("/var/tmp");
    dirs.push(dir);
    chmodSync(dir, 0o755); // nobody may enter it, not write to it
    const script = `${dir}/as-nobody.mjs`;
    writeFileSync(
      script,
      // The library is loaded before dropping to nobody, who may not reach the project's
      // directory (a clone under a 0700 mktemp directory).
      `const mk = await import(${JSON.stringify(`${projectRoot}dist/src/c.js`)});
process.setgid(65534); process.setuid(65534);
const out = { value: null };
const code = mk.memkind_create_pmem(${JSON.stringify(dir)}, 0, out);
const dax = mk.memkind_check_dax_path(${JSON.stringify(dir)});
console.log(JSON.stringify({ code, errno: mk.errno(), dax, kind: out.value && out.value.name }));`,
    );
    const child = spawnSync(process.execPath, [script], { encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout);
    assert.deepEqual(result, {
      code: mk.MEMKIND_ERROR_INVALID,
      errno: 13,
      dax: mk.MEMKIND_ERROR_RUNTIME,
      kind: null,
    });
  });

  it("a file system without hole punching (ramfs): MEMKIND_ERROR_INVALID with EOPNOTSUPP, unless MEMKIND_HOG_MEMORY=1", (t) => {
    const mount = mountScratch("ramfs", "mode=0755");
    if ("reason" in mount) return t.skip(mount.reason);
    const saved = process.env.MEMKIND_HOG_MEMORY;
    try {
      process.env.MEMKIND_DEBUG = "1";
      resetLogging();
      const text = captureStderr(() => {
        assert.equal(
          failsCleanly(() => create(mount.dir, 0).code),
          mk.MEMKIND_ERROR_INVALID,
        );
      });
      assert.equal(mk.errno(), 95);
      assert.match(
        text,
        /^MEMKIND_ERROR: Cannot create pmem: the file system of .* cannot punch holes/m,
      );
      assert.equal(readdirSync(mount.dir).length, 0);
      process.env.MEMKIND_HOG_MEMORY = "1";
      const kind = createPmem(mount.dir); // a kind that never punches needs no holes
      const p = mk.memkind_malloc(kind, 3 * MiB);
      assert.notEqual(p, 0);
      mk.view(p, 3 * MiB).fill(1);
      mk.memkind_free(null, p);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    } finally {
      delete process.env.MEMKIND_DEBUG;
      resetLogging();
      if (saved === undefined) delete process.env.MEMKIND_HOG_MEMORY;
      else process.env.MEMKIND_HOG_MEMORY = saved;
      mount.unmount();
    }
  });

  it("MEMKIND_ARENA_NUM_PER_KIND=0: MEMKIND_ERROR_ENVIRON, and the file is closed", () => {
    process.env.MEMKIND_ARENA_NUM_PER_KIND = "0";
    try {
      assert.equal(
        failsCleanly(() => create(tmpfsDir, 0).code),
        mk.MEMKIND_ERROR_ENVIRON,
      );
    } finally {
      delete process.env.MEMKIND_ARENA_NUM_PER_KIND;
    }
  });
});

describe("PMEM kinds on a full file system", () => {
  afterEach(() => heap.check());

  it("an allocation the file system cannot hold is NULL with ENOMEM, never SIGBUS, and the heap stays usable", (t) => {
    const mount = mountScratch("tmpfs", "size=12m");
    if ("reason" in mount) return t.skip(mount.reason);
    try {
      const kind = createPmem(mount.dir); // unlimited: only the file system limits it
      assert.equal(mk.memkind_malloc(kind, 16 * MiB), 0);
      assert.equal(mk.errno(), mk.ENOMEM);
      const blocks: number[] = [];
      for (;;) {
        const p = mk.memkind_malloc(kind, 512 * 1024);
        if (p === 0) break;
        mk.view(p, 512 * 1024).fill(7); // every page handed out is backed: touching it is safe
        blocks.push(p);
      }
      assert.equal(mk.errno(), mk.ENOMEM);
      assert.ok(blocks.length >= 20 && blocks.length <= 24, `${blocks.length} blocks of 512 KiB`);
      heap.check();
      for (const p of blocks) mk.memkind_free(null, p);
      mk.memkind_purge(kind);
      assert.ok(fileBlocks(kind) < MiB, "punched: the file system has room again");
      const again = mk.memkind_malloc(kind, 8 * MiB);
      assert.notEqual(again, 0);
      mk.memkind_free(null, again);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    } finally {
      mount.unmount();
    }
  });
});

describe("memkind_config_* and memkind_create_pmem_with_config errors", () => {
  afterEach(() => heap.check());

  it("the setters store what they are given; create_with_config uses path, size and policy", () => {
    const cfg = mk.memkind_config_new();
    mk.memkind_config_set_path(cfg, tmpfsDir);
    mk.memkind_config_set_size(cfg, 20 * MiB + 1);
    mk.memkind_config_set_memory_usage_policy(cfg, mk.MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
    assert.deepEqual(
      [cfg.pmem_dir, cfg.pmem_size, cfg.policy],
      [tmpfsDir, 20 * MiB + 1, mk.MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE],
    );
    const out: mk.Out<mk.memkind_t | null> = { value: null };
    assert.equal(mk.memkind_create_pmem_with_config(cfg, out), mk.MEMKIND_SUCCESS);
    assert.equal(mk.memkind_get_capacity(out.value as mk.memkind_t), 22 * MiB);
    assert.equal(mk.memkind_destroy_kind(out.value as mk.memkind_t), mk.MEMKIND_SUCCESS);
    mk.memkind_config_delete(cfg);
  });

  it("an invalid policy: MEMKIND_ERROR_INVALID after the kind was made (kept, as upstream)", () => {
    for (const policy of [mk.MEMKIND_MEM_USAGE_POLICY_MAX_VALUE, -1, 7]) {
      const cfg = mk.memkind_config_new();
      mk.memkind_config_set_path(cfg, tmpfsDir);
      mk.memkind_config_set_memory_usage_policy(cfg, policy);
      const out: mk.Out<mk.memkind_t | null> = { value: null };
      assert.equal(mk.memkind_create_pmem_with_config(cfg, out), mk.MEMKIND_ERROR_INVALID);
      const kind = out.value as mk.memkind_t;
      assert.ok(kind, "the kind exists");
      const p = mk.memkind_malloc(kind, 100);
      assert.notEqual(p, 0, "and works");
      mk.memkind_free(null, p);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
      mk.memkind_config_delete(cfg);
    }
  });

  it("the config's errors go through: bad size, missing directory, no path", () => {
    const cfg = mk.memkind_config_new();
    const out: mk.Out<mk.memkind_t | null> = { value: null };
    mk.memkind_config_set_path(cfg, tmpfsDir);
    mk.memkind_config_set_size(cfg, MiB);
    assert.equal(
      failsCleanly(() => mk.memkind_create_pmem_with_config(cfg, out)),
      mk.MEMKIND_ERROR_INVALID,
    );
    mk.memkind_config_set_size(cfg, 0);
    mk.memkind_config_set_path(cfg, `${tmpfsDir}/missing`);
    assert.equal(
      failsCleanly(() => mk.memkind_create_pmem_with_config(cfg, out)),
      mk.MEMKIND_ERROR_INVALID,
    );
    assert.equal(mk.errno(), mk.ENOENT);
    mk.memkind_config_set_path(cfg, null);
    assert.equal(
      failsCleanly(() => mk.memkind_create_pmem_with_config(cfg, out)),
      mk.MEMKIND_ERROR_INVALID,
    );
    assert.equal(mk.errno(), mk.EINVAL);
    assert.equal(out.value, null);
  });

  it("NULL or deleted configs (upstream crashes): INVALID with EINVAL; setters report", () => {
    const out: mk.Out<mk.memkind_t | null> = { value: null };
    assert.equal(mk.memkind_create_pmem_with_config(null, out), mk.MEMKIND_ERROR_INVALID);
    assert.equal(mk.errno(), mk.EINVAL);
    const cfg = mk.memkind_config_new();
    mk.memkind_config_set_path(cfg, tmpfsDir);
    assert.equal(mk.memkind_create_pmem_with_config(cfg, null), mk.MEMKIND_ERROR_INVALID);
    mk.memkind_config_delete(cfg);
    assert.equal(mk.memkind_create_pmem_with_config(cfg, out), mk.MEMKIND_ERROR_INVALID);
    for (const set of [
      () => mk.memkind_config_set_path(null, tmpfsDir),
      () => mk.memkind_config_set_size(cfg, 0),
      () => mk.memkind_config_set_memory_usage_policy(null, 0),
    ]) {
      assert.match(captureStderr(set), /^MEMKIND_ERROR: memkind_config_set_\w+\(\): cfg must be/);
      assert.equal(mk.errno(), mk.EINVAL);
    }
    mk.memkind_config_delete(null); // nothing
    assert.equal(out.value, null);
  });
});

describe("memkind_check_dax_path", () => {
  for (const { name, parent } of PARENTS) {
    it(`${name} is not DAX: MEMKIND_ERROR_MMAP with errno EOPNOTSUPP, nothing left behind`, () => {
      const dir = scratchDir(parent);
      dirs.push(dir);
      const code = failsCleanly(() => mk.memkind_check_dax_path(dir));
      assert.equal(code, mk.MEMKIND_ERROR_MMAP);
      assert.equal(mk.errno(), 95);
      assert.deepEqual(readdirSync(dir), []);
    });
  }

  it("a missing directory: MEMKIND_ERROR_RUNTIME with errno ENOENT; NULL: INVALID", () => {
    assert.equal(
      failsCleanly(() => mk.memkind_check_dax_path(`${tmpfsDir}/missing`)),
      mk.MEMKIND_ERROR_RUNTIME,
    );
    assert.equal(mk.errno(), mk.ENOENT);
    assert.equal(mk.memkind_check_dax_path(null), mk.MEMKIND_ERROR_INVALID);
  });

  it("a DAX directory gives MEMKIND_SUCCESS", (t) => {
    const dax = process.env.PMEM_PATH;
    if (!dax)
      return t.skip("no DAX file system here (set PMEM_PATH to one, as upstream's tests do)");
    assert.equal(mk.memkind_check_dax_path(dax), mk.MEMKIND_SUCCESS);
  });
});

describe("Kind.pmem errors", () => {
  afterEach(() => heap.check());

  const throwsCode = (codeWanted: number, pattern: RegExp) => (e: unknown) =>
    e instanceof MemkindError && e.code === codeWanted && pattern.test(e.message);

  it("a missing directory throws MemkindError INVALID naming ENOENT", () => {
    assert.throws(
      () => Kind.pmem(`${tmpfsDir}/missing`),
      throwsCode(mk.MEMKIND_ERROR_INVALID, /Invalid input arguments.*\(ENOENT\)/),
    );
  });

  it("bad sizes and policies throw MemkindError INVALID before anything is made", () => {
    const fds = openFds().length;
    for (const maxSize of ["1M", "abc", "-5G", 1.5, -1, "16 MB?"]) {
      assert.throws(
        () => Kind.pmem(tmpfsDir, { maxSize }),
        throwsCode(mk.MEMKIND_ERROR_INVALID, /maxSize/),
      );
    }
    const policy = "eager" as "default";
    assert.throws(
      () => Kind.pmem(tmpfsDir, { policy }),
      throwsCode(mk.MEMKIND_ERROR_INVALID, /policy "eager"/),
    );
    assert.equal(openFds().length, fds);
    for (const [maxSize, bytes] of [
      ["16M", 16 * MiB],
      ["1g", 1024 * MiB],
      ["20MiB", 20 * MiB],
      [0, -2],
    ] as const) {
      using kind = Kind.pmem(tmpfsDir, { maxSize });
      if (bytes > 0) assert.equal(mk.memkind_get_capacity(kind), bytes, `${maxSize}`);
    }
  });
});
