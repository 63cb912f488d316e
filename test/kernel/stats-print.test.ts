/** memkind_stats_print: text, JSON, the omit flags and invalid options. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { captureStderr } from "../helpers/conformance.js";

describe("memkind_stats_print", () => {
  const small = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 100);
  const large = mk.memkind_malloc(mk.MEMKIND_REGULAR, 100_000);

  it("prints jemalloc-style text with general, merged and per-arena sections", () => {
    let text = "";
    assert.equal(
      mk.memkind_stats_print((t) => (text += t), mk.MEMKIND_STAT_PRINT_ALL),
      mk.MEMKIND_SUCCESS,
    );
    assert.match(text, /^___ Begin memkind statistics ___\n/);
    assert.match(text, /^Merged arenas stats: allocated: \d+/m);
    assert.match(text, /^arenas\[\d+\] \(memkind_default, anonymous, decay 10000 ms\):$/m);
    assert.match(text, /^arenas\[\d+\] \(memkind_regular, anonymous MPOL_BIND/m);
    assert.match(text, /^ +112 +\d+ +256 +\d+ +\d+$/m, "a bin row for the 112-byte class");
    assert.match(text, /^ +114688 +1$/m, "a large row for the 100 000-byte block (class 112 KiB)");
    assert.match(text, /___ End memkind statistics ___\n$/);
  });

  it("prints JSON with MEMKIND_STAT_PRINT_JSON_FORMAT, and the omit flags drop sections", () => {
    let json = "";
    mk.memkind_stats_print((t) => (json += t), mk.MEMKIND_STAT_PRINT_JSON_FORMAT);
    const full = JSON.parse(json).memkind;
    assert.ok(full.general && full.merged && full.arenas.length >= 2);
    assert.ok(full.merged.allocated >= 112 + 114688);
    const regular = full.arenas.find((a: { kind: string }) => a.kind === "memkind_regular");
    assert.deepEqual(regular.large, [{ size: 114688, allocations: 1 }]);
    json = "";
    const omit =
      mk.MEMKIND_STAT_PRINT_JSON_FORMAT |
      mk.MEMKIND_STAT_PRINT_OMIT_GENERAL |
      mk.MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_BINS |
      mk.MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_LARGE |
      mk.MEMKIND_STAT_PRINT_OMIT_EXTENT;
    mk.memkind_stats_print((t) => (json += t), omit);
    const trimmed = JSON.parse(json).memkind;
    assert.equal(trimmed.general, undefined);
    for (const arena of trimmed.arenas)
      assert.deepEqual([arena.bins, arena.large, arena.extents], [undefined, undefined, undefined]);
    json = "";
    mk.memkind_stats_print(
      (t) => (json += t),
      mk.MEMKIND_STAT_PRINT_JSON_FORMAT |
        mk.MEMKIND_STAT_PRINT_OMIT_PER_ARENA |
        mk.MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA,
    );
    assert.deepEqual(Object.keys(JSON.parse(json).memkind), ["general"]);
  });

  it("writes to stderr without a writer", () => {
    const text = captureStderr(() =>
      mk.memkind_stats_print(null, mk.MEMKIND_STAT_PRINT_OMIT_PER_ARENA),
    );
    assert.match(text, /^___ Begin memkind statistics ___/);
    assert.doesNotMatch(text, /arenas\[/);
  });

  it("rejects options outside 0x1FF with MEMKIND_ERROR_INVALID and writes nothing", () => {
    for (const opts of [0x200, -1, 1.5, 0x1ff + 1]) {
      let text = "";
      assert.equal(
        mk.memkind_stats_print((t) => (text += t), opts),
        mk.MEMKIND_ERROR_INVALID,
        `${opts}`,
      );
      assert.equal(text, "");
    }
    mk.memkind_free(null, small);
    mk.memkind_free(null, large);
  });
});
