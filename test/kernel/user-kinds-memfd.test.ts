/** The documented example runs for real: a user-defined kind over a memfd shared with a child. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { memfdKind, runMemfdExample } from "../../examples/memfd-kind.js";
import * as mk from "../../src/c.js";
import { heap } from "../../src/kinds/heap.js";
import { openFds } from "../helpers/proc.js";

describe("example: a kind over a memfd shared with a child process", () => {
  it("the child reads what the parent wrote through the kind, and the parent reads its reply", () => {
    const fds = openFds();
    const { read, reply } = runMemfdExample("pages from a memfd");
    assert.equal(read, "pages from a memfd");
    assert.match(reply, /^child \d+ read 18 bytes$/);
    assert.deepEqual(openFds(), fds, "the memfd was closed when the kind was destroyed");
    heap.check();
  });

  it("every block of the kind is a range of the memfd, also for large and aligned blocks", () => {
    const { kind, fileOffset } = memfdKind("memfd_ranges");
    const out = { value: 0 };
    assert.equal(mk.memkind_posix_memalign(kind, out, 1 << 22, 10 << 20), 0);
    const blocks = [mk.memkind_malloc(kind, 64), mk.memkind_malloc(kind, 300_000), out.value];
    for (const p of blocks) {
      assert.notEqual(p, 0);
      assert.ok(fileOffset(p) >= 0);
      assert.equal(mk.memkind_detect_kind(p), kind);
    }
    for (const p of blocks) mk.memkind_free(null, p);
    kind[Symbol.dispose]();
    assert.equal(mk.memkind_detect_kind(blocks[0] as number), null);
    heap.check();
  });
});
