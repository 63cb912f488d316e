/**
 * Property tests: long random sequences of malloc / calloc / realloc / posix_memalign / free
 * of mixed sizes (8 B to 64 MiB) against a model. After every step: no two live blocks
 * overlap, every block is aligned and at least as large as asked, contents survive realloc,
 * the allocated statistic equals the model's, and the heap passes its invariant check.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as mk from "../../src/c.js";
import { COLOURED_MIN } from "../../src/heap/arena.js";
import { heap } from "../../src/kinds/heap.js";

interface Block {
  ptr: number;
  size: number;
  alignment: number;
  /** From realloc: only malloc's 16-byte guarantee holds (a run resized in place keeps its start). */
  resized?: boolean;
  tag: number;
}

type Op =
  | { op: "malloc"; size: number }
  | { op: "calloc"; num: number; size: number }
  | { op: "memalign"; alignment: number; size: number }
  | { op: "realloc"; pick: number; size: number }
  | { op: "free"; pick: number };

/** Log-uniform sizes from 8 B to 64 MiB. */
const sizeArb = fc
  .tuple(fc.integer({ min: 3, max: 25 }), fc.integer({ min: 0, max: 1023 }))
  .map(([exponent, fraction]) => 2 ** exponent + Math.floor((fraction * 2 ** exponent) / 1024));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: sizeArb.map((size) => ({ op: "malloc" as const, size })) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 64 }), sizeArb).map(([num, size]) => ({
      op: "calloc" as const,
      num,
      size: Math.max(1, Math.floor(size / num)),
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 3, max: 24 }), sizeArb)
      .map(([exponent, size]) => ({ op: "memalign" as const, alignment: 2 ** exponent, size })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.nat(), sizeArb)
      .map(([pick, size]) => ({ op: "realloc" as const, pick, size })),
  },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ op: "free" as const, pick })) },
);

const EDGE = 16;

/** Writes the block's tag into its first and last EDGE bytes. */
function stamp(block: Block): void {
  const head = mk.view(block.ptr, Math.min(EDGE, block.size));
  head.fill(block.tag);
  if (block.size > EDGE) mk.view(block.ptr + block.size - EDGE, EDGE).fill(block.tag);
}

/** Checks both stamps, or with `headBytes` only that many bytes of the head (after a move). */
function assertStamp(block: Block, headBytes?: number): void {
  const head = mk.view(block.ptr, Math.min(EDGE, headBytes ?? block.size));
  assert.ok(
    head.every((byte) => byte === block.tag),
    `head of block ${block.tag} intact`,
  );
  if (headBytes === undefined && block.size > EDGE) {
    const tail = mk.view(block.ptr + block.size - EDGE, EDGE);
    assert.ok(
      tail.every((byte) => byte === block.tag),
      `tail of block ${block.tag} intact`,
    );
  }
}

/** What malloc guarantees: large runs from COLOURED_MIN on may start at a 64-byte colour. */
function naturalAlignment(usable: number): number {
  return usable <= 8 ? 8 : usable <= 14336 ? 16 : usable < COLOURED_MIN ? 4096 : 64;
}

function allocatedStat(kind: mk.memkind_t): number {
  mk.memkind_update_cached_stats();
  const out = { value: 0 };
  mk.memkind_get_stat(kind, mk.MEMKIND_STAT_TYPE_ALLOCATED, out);
  return out.value;
}

function checkModel(kind: mk.memkind_t, live: Block[], baseAllocated: number): void {
  const sorted = [...live].sort((a, b) => a.ptr - b.ptr);
  let usableSum = 0;
  for (let i = 0; i < sorted.length; i++) {
    const block = sorted[i] as Block;
    const usable = mk.memkind_malloc_usable_size(kind, block.ptr);
    assert.ok(usable >= block.size, `usable ${usable} >= requested ${block.size}`);
    const required = block.resized
      ? Math.min(16, naturalAlignment(usable))
      : Math.max(block.alignment, naturalAlignment(usable));
    assert.equal(block.ptr % required, 0, "aligned");
    assert.equal(mk.memkind_detect_kind(block.ptr), kind);
    const next = sorted[i + 1];
    if (next)
      assert.ok(block.ptr + usable <= next.ptr, `blocks at ${block.ptr} and ${next.ptr} overlap`);
    usableSum += usable;
  }
  assert.equal(
    allocatedStat(kind),
    baseAllocated + usableSum,
    "allocated statistic equals the model",
  );
  heap.check();
}

function runSequence(kind: mk.memkind_t, ops: readonly Op[]): void {
  const live: Block[] = [];
  const baseAllocated = allocatedStat(kind);
  let tag = 1;
  const nextTag = () => (tag = (tag % 250) + 1);
  try {
    for (const op of ops) {
      switch (op.op) {
        case "malloc":
        case "calloc": {
          const size = op.op === "malloc" ? op.size : op.num * op.size;
          const ptr =
            op.op === "malloc"
              ? mk.memkind_malloc(kind, size)
              : mk.memkind_calloc(kind, op.num, op.size);
          assert.notEqual(ptr, 0, `${op.op}(${size})`);
          if (op.op === "calloc") {
            assert.ok(
              mk.view(ptr, Math.min(size, 4096)).every((byte) => byte === 0),
              "calloc memory is zero",
            );
            assert.ok(
              mk
                .view(ptr + size - Math.min(size, 64), Math.min(size, 64))
                .every((byte) => byte === 0),
            );
          }
          const block = { ptr, size, alignment: 1, tag: nextTag() };
          stamp(block);
          live.push(block);
          break;
        }
        case "memalign": {
          const out = { value: 0 };
          assert.equal(mk.memkind_posix_memalign(kind, out, op.alignment, op.size), 0);
          const block = { ptr: out.value, size: op.size, alignment: op.alignment, tag: nextTag() };
          stamp(block);
          live.push(block);
          break;
        }
        case "realloc": {
          if (live.length === 0) break;
          const block = live[op.pick % live.length] as Block;
          const ptr = mk.memkind_realloc(kind, block.ptr, op.size);
          assert.notEqual(ptr, 0, `realloc to ${op.size}`);
          const moved = { ptr, size: op.size, alignment: 1, resized: true, tag: block.tag };
          assertStamp(moved, Math.min(block.size, op.size));
          moved.tag = nextTag();
          stamp(moved);
          live[live.indexOf(block)] = moved;
          break;
        }
        case "free": {
          if (live.length === 0) break;
          const [block] = live.splice(op.pick % live.length, 1) as [Block];
          assertStamp(block);
          mk.memkind_free(op.pick % 2 === 0 ? kind : null, block.ptr);
          break;
        }
      }
      checkModel(kind, live, baseAllocated);
    }
  } finally {
    for (const block of live) mk.memkind_free(kind, block.ptr);
  }
  assert.equal(allocatedStat(kind), baseAllocated);
}

describe("random operation sequences against a model", () => {
  for (const kind of [mk.MEMKIND_DEFAULT, mk.MEMKIND_REGULAR]) {
    it(`${kind.name}: 80 sequences of up to 150 operations keep every invariant`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 20, maxLength: 150 }), (ops) =>
          runSequence(kind, ops),
        ),
        { numRuns: 80 },
      );
    });
  }

  it("small-block churn: 20 000 operations on sizes 8 B - 4 KiB through the thread cache", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 4096 }), fc.nat()), {
          minLength: 20_000,
          maxLength: 20_000,
        }),
        (steps) => {
          const kind = mk.MEMKIND_DEFAULT;
          const live: Block[] = [];
          const base = allocatedStat(kind);
          for (const [allocate, size, pick] of steps) {
            if (allocate || live.length === 0) {
              const block = {
                ptr: mk.memkind_malloc(kind, size),
                size,
                alignment: 1,
                tag: (size % 250) + 1,
              };
              stamp(block);
              live.push(block);
            } else {
              const [block] = live.splice(pick % live.length, 1) as [Block];
              assertStamp(block);
              mk.memkind_free(kind, block.ptr);
            }
          }
          checkModel(kind, live, base);
          for (const block of live) mk.memkind_free(kind, block.ptr);
          heap.check();
        },
      ),
      { numRuns: 5 },
    );
  });
});
