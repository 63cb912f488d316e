/** The TypeScript API: typed views, exceptions for bad input, kind detection on free. */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { addressOf, free, kinds, MemkindError, stats, usableSize } from "../../src/index.js";
import { heap } from "../../src/kinds/heap.js";

const isMemkindError =
  (pattern: RegExp, code = mk.EINVAL) =>
  (e: unknown) =>
    e instanceof MemkindError && e.code === code && pattern.test(e.message);

function allocated(): number {
  mk.memkind_update_cached_stats();
  const out = { value: 0 };
  mk.memkind_get_stat(null, mk.MEMKIND_STAT_TYPE_ALLOCATED, out);
  return out.value;
}

describe("TypeScript API", () => {
  afterEach(() => heap.check());

  it("alloc gives a Uint8Array over exactly the requested bytes of the kind", () => {
    for (const kind of [kinds.DEFAULT, kinds.REGULAR]) {
      const bytes = kind.alloc(1000);
      assert.equal(bytes.length, 1000);
      bytes.fill(9);
      const ptr = addressOf(bytes);
      assert.equal(mk.memkind_detect_kind(ptr), kind);
      assert.equal(usableSize(bytes), 1024);
      assert.equal(mk.view(ptr, 1000)[999], 9, "the view and the pointer name the same memory");
      free(bytes);
      assert.equal(mk.memkind_detect_kind(ptr), null);
    }
  });

  it("allocArray gives an aligned typed array of the element type", () => {
    const xs = kinds.DEFAULT.allocArray(Float64Array, 100_000);
    assert.ok(xs instanceof Float64Array);
    assert.equal(xs.length, 100_000);
    assert.equal(addressOf(xs) % 8, 0);
    xs[99_999] = 1.5;
    assert.equal(xs[99_999], 1.5);
    free(xs);
  });

  it("malloc gives a pointer, or 0 for sizes it cannot serve", () => {
    const p = kinds.DEFAULT.malloc(64);
    assert.notEqual(p, 0);
    free(p);
    for (const size of [0, -1, 1.5, Number.NaN, 2 ** 60])
      assert.equal(kinds.DEFAULT.malloc(size), 0);
  });

  it("alloc and allocArray throw MemkindError for invalid sizes and exhaustion", () => {
    const before = allocated();
    assert.throws(() => kinds.DEFAULT.alloc(0), isMemkindError(/size 0 is not a positive integer/));
    assert.throws(() => kinds.DEFAULT.alloc(-5), isMemkindError(/size -5/));
    assert.throws(
      () => kinds.DEFAULT.allocArray(Float64Array, 0.5),
      isMemkindError(/length 0.5 is not a positive integer/),
    );
    assert.throws(() => kinds.DEFAULT.alloc(2 ** 60), isMemkindError(/out of memory/, mk.ENOMEM));
    assert.equal(allocated(), before, "nothing was allocated");
  });

  it("free throws MemkindError for foreign, interior and freed pointers, and changes nothing", () => {
    const bytes = kinds.DEFAULT.alloc(64);
    const ptr = addressOf(bytes);
    const before = allocated();
    assert.throws(() => free(2 ** 40), isMemkindError(/was not allocated by memkind/));
    assert.throws(() => free(ptr + 8), isMemkindError(/points into the middle/));
    assert.throws(() => free(bytes.subarray(8)), isMemkindError(/points into the middle/));
    assert.throws(
      () => free(new Uint8Array(16)),
      isMemkindError(/not over memory allocated by memkind/),
    );
    assert.equal(allocated(), before);
    free(bytes);
    assert.throws(() => free(bytes), isMemkindError(/freed twice/));
    assert.throws(() => usableSize(bytes), isMemkindError(/freed twice/));
    free(0);
  });

  it("stats gives allocated, active, resident, mapped and retained bytes per kind and in all", () => {
    const before = stats(kinds.REGULAR);
    const bytes = kinds.REGULAR.alloc(3_000_000);
    const during = stats(kinds.REGULAR);
    assert.equal(during.allocated - before.allocated, 3_145_728, "the block's usable size");
    assert.ok(during.active - before.active >= 3_145_728);
    assert.ok(during.mapped >= during.active && during.resident >= during.active);
    free(bytes);
    const after = stats(kinds.REGULAR);
    assert.equal(after.allocated, before.allocated);
    assert.ok(after.dirty >= 3_145_728, "freed pages are dirty until purged");
    mk.memkind_purge(kinds.REGULAR);
    const purged = stats(kinds.REGULAR);
    assert.equal(purged.dirty, 0);
    assert.ok(purged.retained >= 3_145_728, "purged pages stay mapped as retained");
    const all = stats();
    assert.ok(all.allocated >= purged.allocated && all.mapped >= purged.mapped && all.metadata > 0);
  });
});
