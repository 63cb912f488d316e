/**
 * Creating and destroying PMEM kinds many times (upstream's create/destroy 512x test): no
 * descriptor, mapping or file may be left behind, checked through /proc/self/fd and
 * /proc/self/maps; and a registry full of PMEM kinds refuses one more (TOOMANY) cleanly.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { after, afterEach, describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { heap } from "../../src/kinds/heap.js";
import { registeredKinds } from "../../src/kinds/registry.js";
import { createPmem, MiB, PARENTS, pmemMappings, removeDir, scratchDir } from "../helpers/pmem.js";
import { isMemoryAt, openFds } from "../helpers/proc.js";

const dirs = PARENTS.map(({ name, parent }) => ({ name, dir: scratchDir(parent) }));
after(() => {
  for (const { dir } of dirs) removeDir(dir);
});

describe("PMEM kind lifecycle", () => {
  afterEach(() => heap.check());

  for (const { name, dir } of dirs) {
    it(`${name}: 512 kinds created, used and destroyed in turn leak no descriptor or mapping`, () => {
      const fds = openFds().sort();
      const mappings = pmemMappings().length;
      const names = new Set<string>();
      const pointers: number[] = [];
      for (let i = 0; i < 512; i++) {
        const kind = createPmem(dir, i % 2 === 0 ? 0 : 32 * MiB);
        names.add(kind.name);
        const small = mk.memkind_malloc(kind, 100);
        const huge = mk.memkind_malloc(kind, 5 * MiB);
        assert.ok(small !== 0 && huge !== 0);
        mk.view(huge, 5 * MiB).fill(1);
        if (i % 3 === 0) mk.memkind_free(null, small);
        pointers.push(huge);
        assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
      }
      assert.deepEqual(openFds().sort(), fds, "the same descriptors as before");
      assert.equal(pmemMappings().length, mappings, "no file mapping left in /proc/self/maps");
      assert.ok(pointers.every((p) => !isMemoryAt(p) && mk.memkind_detect_kind(p) === null));
      assert.equal(names.size, 1, "each kind took the descriptor, and so the name, of the last");
      assert.equal(registeredKinds(), 23);
      assert.deepEqual(readdirSync(dir), []);
    });
  }

  it("a registry full of PMEM kinds refuses one more with MEMKIND_ERROR_TOOMANY and closes its file", () => {
    const { dir } = dirs[0] as { dir: string };
    const fds = openFds().length;
    const kinds: mk.memkind_t[] = [];
    while (registeredKinds() < mk.MEMKIND_MAX_KIND) kinds.push(createPmem(dir));
    const live = openFds().length;
    assert.equal(live, fds + kinds.length, "one descriptor per kind");
    const out: mk.Out<mk.memkind_t | null> = { value: null };
    assert.equal(mk.memkind_create_pmem(dir, 0, out), mk.MEMKIND_ERROR_TOOMANY);
    assert.equal(out.value, null);
    assert.equal(openFds().length, live, "the refused kind's file is closed");
    const p = mk.memkind_malloc(kinds[100] as mk.memkind_t, 1000);
    assert.equal(mk.memkind_detect_kind(p), kinds[100]);
    for (const kind of kinds) assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    assert.equal(openFds().length, fds);
    assert.equal(registeredKinds(), 23);
  });
});
