/**
 * PMEM kinds on real files (tmpfs and the root file system): the backing file, max_size and
 * filling up, hole punching seen in the file's blocks, the usage policies, MEMKIND_HOG_MEMORY,
 * kind detection, destroying, capacity and the TypeScript API. Error paths are in
 * pmem-errors.test.ts, the 512-kind loops in pmem-lifecycle.test.ts.
 */
import assert from "node:assert/strict";
import { readdirSync, statfsSync } from "node:fs";
import { after, afterEach, describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { free, Kind, MemkindError } from "../../src/index.js";
import { heap } from "../../src/kinds/heap.js";
import { pmemProvider } from "../../src/kinds/pmem.js";
import { captureStderr } from "../helpers/conformance.js";
import {
  createPmem,
  fdTarget,
  fileBlocks,
  isPmemFile,
  MiB,
  PARENTS,
  pmemFd,
  removeDir,
  scratchDir,
} from "../helpers/pmem.js";
import { isMemoryAt } from "../helpers/proc.js";

const dirs: string[] = [];
function dirOn(parent: string): string {
  const dir = scratchDir(parent);
  dirs.push(dir);
  return dir;
}

after(() => {
  for (const dir of dirs) removeDir(dir);
});

/** Creates a kind with a policy through memkind_create_pmem_with_config. */
function withPolicy(dir: string, policy: number, size = 0): mk.memkind_t {
  const cfg = mk.memkind_config_new();
  mk.memkind_config_set_path(cfg, dir);
  mk.memkind_config_set_size(cfg, size);
  mk.memkind_config_set_memory_usage_policy(cfg, policy);
  const out: mk.Out<mk.memkind_t | null> = { value: null };
  assert.equal(mk.memkind_create_pmem_with_config(cfg, out), mk.MEMKIND_SUCCESS);
  mk.memkind_config_delete(cfg);
  return out.value as mk.memkind_t;
}

for (const { name, parent } of PARENTS) {
  describe(`PMEM kind on ${name}`, () => {
    afterEach(() => heap.check());

    it("is a temporary file in the directory, unlinked at once, named pmem%08x after its descriptor", () => {
      const dir = dirOn(parent);
      const kind = createPmem(dir);
      const fd = pmemFd(kind);
      assert.equal(kind.name, `pmem${fd.toString(16).padStart(8, "0")}`);
      assert.match(fdTarget(fd), new RegExp(`^${dir}/memkind\\.\\w{6} \\(deleted\\)$`));
      assert.deepEqual(readdirSync(dir), []);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    });

    it("allocates file blocks for what is in use, and punching on purge gives them back", () => {
      const kind = createPmem(dirOn(parent));
      const before = fileBlocks(kind);
      const big = mk.memkind_malloc(kind, 8 * MiB);
      const mid = mk.memkind_malloc(kind, MiB);
      assert.ok(big !== 0 && mid !== 0);
      mk.view(big, 8 * MiB).fill(1);
      mk.view(mid, MiB).fill(2);
      const used = fileBlocks(kind);
      assert.ok(used >= before + 9 * MiB, `blocks ${used} hold the 9 MiB in use`);
      assert.ok(used <= before + 9 * MiB + 64 * 1024, `and not the rest of the chunks (${used})`);
      mk.memkind_free(null, big);
      mk.memkind_free(null, mid);
      assert.equal(fileBlocks(kind), used, "DEFAULT policy: freed pages stay until the decay");
      mk.memkind_purge(kind);
      assert.ok(fileBlocks(kind) <= before, `purged: ${fileBlocks(kind)} bytes of blocks left`);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    });

    it("DEFAULT policy punches freed pages once they are 10 s old", () => {
      const kind = withPolicy(dirOn(parent), mk.MEMKIND_MEM_USAGE_POLICY_DEFAULT);
      const p = mk.memkind_malloc(kind, 2 * MiB);
      mk.view(p, 2 * MiB).fill(3);
      const used = fileBlocks(kind);
      mk.memkind_free(kind, p);
      const arena = kind.arena;
      assert.ok(arena);
      arena.decay(performance.now() + 5_000);
      assert.equal(fileBlocks(kind), used, "5 s later the pages are still in the file");
      arena.decay(performance.now() + 10_001);
      assert.ok(fileBlocks(kind) <= used - 2 * MiB, "10 s later they are punched");
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    });

    it("CONSERVATIVE policy punches freed pages at once, keeping the chunk", () => {
      const kind = withPolicy(dirOn(parent), mk.MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
      const provider = pmemProvider(kind);
      const p = mk.memkind_malloc(kind, 2 * MiB);
      const q = mk.memkind_malloc(kind, 6 * MiB);
      mk.view(p, 2 * MiB).fill(4);
      mk.view(q, 6 * MiB).fill(4);
      const used = fileBlocks(kind);
      const mapped = provider?.mappedBytes;
      mk.memkind_free(kind, p);
      assert.ok(fileBlocks(kind) <= used - 2 * MiB, "a run inside a chunk is punched");
      assert.equal(provider?.mappedBytes, mapped, "its chunk stays mapped for reuse");
      mk.memkind_free(kind, q);
      assert.ok(fileBlocks(kind) <= used - 8 * MiB, "a dedicated chunk is punched");
      assert.equal(provider?.mappedBytes, (mapped as number) - 8 * MiB, "and unmapped");
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    });

    it("MEMKIND_HOG_MEMORY=1: nothing is punched until the kind is destroyed", () => {
      const saved = process.env.MEMKIND_HOG_MEMORY;
      process.env.MEMKIND_HOG_MEMORY = "1";
      let kind: mk.memkind_t;
      try {
        kind = withPolicy(dirOn(parent), mk.MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
        const p = mk.memkind_malloc(kind, 3 * MiB); // the arena (and its hog flag) is made here
        mk.view(p, 3 * MiB).fill(5);
        const used = fileBlocks(kind);
        mk.memkind_free(kind, p);
        assert.equal(mk.memkind_purge(kind), mk.MEMKIND_SUCCESS);
        assert.equal(fileBlocks(kind), used, "CONSERVATIVE and memkind_purge punch nothing");
      } finally {
        if (saved === undefined) delete process.env.MEMKIND_HOG_MEMORY;
        else process.env.MEMKIND_HOG_MEMORY = saved;
      }
      const fd = pmemFd(kind);
      const p = mk.memkind_malloc(kind, 64);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
      assert.ok(!isPmemFile(fd), "file closed");
      assert.ok(!isMemoryAt(p), "mappings released");
    });

    it("holds at most max_size, returns NULL with ENOMEM when full, and refills after frees", () => {
      const kind = createPmem(dirOn(parent), 32 * MiB);
      for (const size of [MiB, 5_000_000, 64]) {
        for (let round = 0; round < 2; round++) {
          const blocks: number[] = [];
          for (;;) {
            const p = mk.memkind_malloc(kind, size);
            if (p === 0) break;
            blocks.push(p);
          }
          assert.equal(mk.errno(), mk.ENOMEM, `size ${size}: full means ENOMEM`);
          heap.check();
          const expected = { [MiB]: 32, 5000000: 4, 64: 0 }[size] as number;
          if (expected)
            assert.equal(blocks.length, expected, `${size}-byte blocks, round ${round}`);
          else assert.ok(blocks.length > 400_000, `${blocks.length} small blocks`);
          assert.ok((pmemProvider(kind)?.mappedBytes as number) <= 32 * MiB);
          for (const p of blocks) mk.memkind_free(null, p);
        }
        mk.memkind_purge(kind);
      }
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    });

    it("upstream's case: a 16 MiB + 4 KiB kind (18 MiB) fits one 16 MiB block, then not 2 MiB", () => {
      const kind = createPmem(dirOn(parent), 16 * MiB + 4096);
      assert.equal(mk.memkind_get_capacity(kind), 18 * MiB);
      const big = mk.memkind_malloc(kind, 16 * MiB);
      assert.notEqual(big, 0);
      // 16 MiB is a dedicated chunk; any other block needs a 4 MiB chunk: 20 MiB > 18 MiB.
      assert.equal(mk.memkind_malloc(kind, 2 * MiB), 0);
      assert.equal(mk.errno(), mk.ENOMEM);
      assert.equal(mk.memkind_malloc(kind, 64), 0, "a small block needs a chunk too");
      heap.check();
      mk.memkind_free(null, big);
      const small = mk.memkind_malloc(kind, 2 * MiB);
      assert.notEqual(small, 0, "the freed chunk is reused");
      mk.memkind_free(null, small);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    });

    it("memkind_get_capacity: max_size rounded up to 2 MiB, or the file system's size", () => {
      const dir = dirOn(parent);
      const fs = statfsSync(dir);
      const unlimited = createPmem(dir);
      assert.equal(mk.memkind_get_capacity(unlimited), fs.blocks * fs.bsize);
      const wrapped = createPmem(dir, 2 ** 64 - 1);
      assert.equal(mk.memkind_get_capacity(wrapped), fs.blocks * fs.bsize, "SIZE_MAX wraps to 0");
      const exact = createPmem(dir, mk.MEMKIND_PMEM_MIN_SIZE);
      assert.equal(mk.memkind_get_capacity(exact), 16 * MiB);
      const rounded = createPmem(dir, 100 * MiB + 1);
      assert.equal(mk.memkind_get_capacity(rounded), 102 * MiB);
      for (const kind of [unlimited, wrapped, exact, rounded])
        assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    });

    it("memkind_free(NULL, p) and detect_kind find the PMEM kind; after destroy its pointers are foreign", () => {
      const kind = createPmem(dirOn(parent));
      const fd = pmemFd(kind);
      const small = mk.memkind_malloc(kind, 48);
      const large = mk.memkind_malloc(kind, 300_000);
      const huge = mk.memkind_malloc(kind, 9 * MiB);
      for (const p of [small, large, huge]) assert.equal(mk.memkind_detect_kind(p), kind);
      const freed = mk.memkind_malloc(kind, 100);
      mk.memkind_free(null, freed);
      assert.equal(mk.memkind_detect_kind(freed), null, "a freed block is nobody's");
      mk.memkind_free(null, small);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
      for (const p of [large, huge]) {
        assert.equal(mk.memkind_detect_kind(p), null);
        assert.ok(!isMemoryAt(p), "the chunk is unmapped");
        const text = captureStderr(() => mk.memkind_free(null, p));
        assert.match(
          text,
          /^MEMKIND_ERROR: memkind_free\(\): pointer 0x[0-9a-f]+ was not allocated/,
        );
        assert.equal(mk.errno(), mk.EINVAL);
      }
      assert.ok(!isPmemFile(fd), "file closed");
      const text = captureStderr(() => assert.equal(mk.memkind_malloc(kind, 10), 0));
      assert.match(
        text,
        /kind pmem[0-9a-f]{8} has been destroyed/,
        "a destroyed kind does not allocate",
      );
      assert.equal(mk.errno(), mk.EINVAL);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_ERROR_INVALID, "destroyed twice");
    });

    it("names are reused after destroy, as the descriptor is", () => {
      const dir = dirOn(parent);
      const first = createPmem(dir);
      const name = first.name;
      assert.equal(mk.memkind_destroy_kind(first), mk.MEMKIND_SUCCESS);
      const second = createPmem(dir);
      assert.equal(second.name, name);
      assert.notEqual(second, first);
      assert.equal(mk.memkind_destroy_kind(second), mk.MEMKIND_SUCCESS);
    });

    it('Kind.pmem: sizes like "32M", the policy, allocation, and `using` destroys the kind', () => {
      const dir = dirOn(parent);
      let fd: number;
      let escaped: Kind;
      {
        using kind = Kind.pmem(dir, { maxSize: "32M", policy: "conservative" });
        escaped = kind;
        fd = pmemFd(kind);
        assert.equal(mk.memkind_get_capacity(kind), 32 * MiB);
        const bytes = kind.alloc(MiB);
        bytes.fill(9);
        mk.memkind_free(null, kind.malloc(64));
        mk.memkind_free(null, mk.memkind_malloc(kind, 1)); // any pointer, by detection
        const used = fileBlocks(kind);
        assert.throws(() => kind.alloc(40 * MiB), MemkindError, "beyond maxSize");
        free(bytes);
        assert.ok(fileBlocks(kind) <= used - MiB, "conservative: punched at once");
      }
      assert.equal(escaped.destroyed, true, "disposed at the end of the scope");
      assert.ok(!isPmemFile(fd), "file closed");
      escaped[Symbol.dispose](); // a second dispose does nothing
      mk.MEMKIND_DEFAULT[Symbol.dispose](); // static kinds are left alone
      const p = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 8);
      assert.notEqual(p, 0);
      mk.memkind_free(null, p);
    });
  });
}
