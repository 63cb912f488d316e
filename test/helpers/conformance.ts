/**
 * The conformance suite (DESIGN.md section 8): the heap calls of memkind/c and their edge
 * cases (reference/memkind.md section 1.10), run against any kind. Each test names the
 * behaviour it checks; after every test the whole heap must pass its invariant check.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { COLOURED_MIN } from "../../src/heap/arena.js";
import { heap } from "../../src/kinds/heap.js";

/** jemalloc 5.3's size classes up to 40 KiB (reference section 1.10). */
export const JEMALLOC_CLASSES = [
  8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024,
  1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336,
  16384, 20480, 24576, 28672, 32768, 40960,
];

const SIZE_MAX = 2 ** 64 - 1;

/** Runs `body` with stderr captured; returns what was written. */
export function captureStderr(body: () => void): string {
  const original = process.stderr.write.bind(process.stderr);
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    body();
  } finally {
    process.stderr.write = original;
  }
  return text;
}

/** Heap figures that a rejected call must leave as they were. */
function heapState(kind: mk.memkind_t): string {
  mk.memkind_update_cached_stats();
  const out = { value: 0 };
  mk.memkind_get_stat(kind, mk.MEMKIND_STAT_TYPE_ALLOCATED, out);
  const allocated = out.value;
  mk.memkind_get_stat(kind, mk.MEMKIND_STAT_TYPE_ACTIVE, out);
  return `${allocated}/${out.value}`;
}

function allocated(kind: mk.memkind_t): number {
  mk.memkind_update_cached_stats();
  const out = { value: 0 };
  assert.equal(mk.memkind_get_stat(kind, mk.MEMKIND_STAT_TYPE_ALLOCATED, out), mk.MEMKIND_SUCCESS);
  return out.value;
}

export function conformanceSuite(kind: mk.memkind_t): void {
  const isDefault = kind === mk.MEMKIND_DEFAULT;

  describe(`conformance: ${kind.name}`, () => {
    afterEach(() => heap.check());

    it("malloc-usable-size: usable sizes are jemalloc's size classes", () => {
      for (const size of JEMALLOC_CLASSES) {
        for (const request of [size - 1, size]) {
          if (request === 0) continue;
          const p = mk.memkind_malloc(kind, request);
          assert.notEqual(p, 0);
          const expected = JEMALLOC_CLASSES.find((c) => c >= request);
          assert.equal(
            mk.memkind_malloc_usable_size(kind, p),
            expected,
            `usable size of ${request}`,
          );
          assert.equal(mk.memkind_malloc_usable_size(null, p), expected);
          mk.memkind_free(kind, p);
        }
      }
    });

    it("malloc-alignment: 16 bytes for small blocks (8 for the 8-byte class), a page for large ones, 64 bytes from 256 KiB (cache colours)", () => {
      const alignment = (usable: number) =>
        usable <= 8 ? 8 : usable <= 14336 ? 16 : usable < COLOURED_MIN ? 4096 : 64;
      const sizes = [1, 8, 9, 16, 17, 100, 1000, 4096, 14336, 14337, 100_000, 250_000, 3_000_000];
      const blocks = sizes.map((size) => {
        const p = mk.memkind_malloc(kind, size);
        assert.equal(
          p % alignment(mk.memkind_malloc_usable_size(kind, p)),
          0,
          `alignment of ${size}`,
        );
        return p;
      });
      for (const p of blocks) mk.memkind_free(kind, p);
      // An alignment above the colours' 64 bytes is kept.
      for (const align of [128, 4096, 65536]) {
        const out = { value: 0 };
        assert.equal(mk.memkind_posix_memalign(kind, out, align, 3_000_000), 0);
        assert.equal(out.value % align, 0, `posix_memalign(${align}, 3 MB)`);
        assert.equal(mk.memkind_malloc_usable_size(kind, out.value), 3_145_728);
        mk.memkind_free(kind, out.value);
      }
    });

    it("malloc-write-read: memory is readable and writable over the whole usable size", () => {
      for (const size of [8, 100, 5000, 20000, 5_000_000]) {
        const p = mk.memkind_malloc(kind, size);
        const usable = mk.memkind_malloc_usable_size(kind, p);
        const bytes = mk.view(p, usable);
        bytes.fill(0x5a);
        assert.equal(bytes[0], 0x5a);
        assert.equal(bytes[usable - 1], 0x5a);
        mk.memkind_free(kind, p);
      }
    });

    it("malloc-zero: NULL with errno unchanged, unless zero-size allocations are allowed", () => {
      const before = mk.errno();
      assert.equal(mk.memkind_malloc(kind, 0), 0);
      assert.equal(mk.errno(), before);
      mk.memkind_set_allow_zero_allocs(kind, true);
      try {
        const p = mk.memkind_malloc(kind, 0);
        assert.notEqual(p, 0);
        assert.equal(mk.memkind_malloc_usable_size(kind, p), 8);
        mk.memkind_free(kind, p);
      } finally {
        mk.memkind_set_allow_zero_allocs(kind, false);
      }
    });

    it("malloc-huge: SIZE_MAX and sizes beyond the address space give NULL and ENOMEM", () => {
      for (const size of [SIZE_MAX, 2 ** 47, 2 ** 53]) {
        assert.equal(mk.memkind_malloc(kind, size), 0);
        assert.equal(mk.errno(), mk.ENOMEM);
      }
    });

    it("malloc-invalid-size: negative, fractional and non-numbers give NULL and EINVAL, reported", () => {
      const state = heapState(kind);
      for (const size of [-1, 1.5, Number.NaN, "12" as unknown as number]) {
        const text = captureStderr(() => assert.equal(mk.memkind_malloc(kind, size), 0));
        assert.equal(mk.errno(), mk.EINVAL);
        assert.match(
          text,
          /^MEMKIND_ERROR: memkind_malloc\(\): size .* is not a non-negative integer/,
        );
      }
      assert.equal(heapState(kind), state);
    });

    it("malloc-null-kind: NULL or a non-kind gives NULL and EINVAL instead of a crash", () => {
      for (const bad of [null, undefined, {}, { arenaId: 0 }, "memkind_default", 0]) {
        const notKind = bad as unknown as mk.memkind_t;
        const calls = [
          () => mk.memkind_malloc(notKind, 10),
          () => mk.memkind_calloc(notKind, 1, 10),
        ];
        // realloc takes a NULL kind (the pointer's own); only other non-kinds are errors.
        if (bad !== null && bad !== undefined) calls.push(() => mk.memkind_realloc(notKind, 0, 10));
        for (const call of calls) {
          const text = captureStderr(() => assert.equal(call(), 0));
          assert.equal(mk.errno(), mk.EINVAL);
          assert.match(text, /kind must be a memkind kind/);
        }
        const out = { value: 1 };
        captureStderr(() =>
          assert.equal(mk.memkind_posix_memalign(notKind, out, 64, 10), mk.EINVAL),
        );
        assert.equal(mk.memkind_check_available(notKind), mk.MEMKIND_ERROR_INVALID);
        captureStderr(() => mk.memkind_set_allow_zero_allocs(notKind, true));
      }
    });

    it("calloc-zeroes: memory is zero even where a freed block was dirty", () => {
      for (const size of [64, 3000, 40_000, 3_000_000]) {
        const dirty = mk.memkind_malloc(kind, size);
        mk.view(dirty, size).fill(0xff);
        mk.memkind_free(kind, dirty);
        const p = mk.memkind_calloc(kind, 1, size);
        assert.notEqual(p, 0);
        assert.ok(
          mk.view(p, size).every((byte) => byte === 0),
          `calloc(1, ${size}) is zeroed`,
        );
        mk.memkind_free(kind, p);
      }
    });

    it("calloc-zero: a zero count or size gives NULL", () => {
      assert.equal(mk.memkind_calloc(kind, 0, 10), 0);
      assert.equal(mk.memkind_calloc(kind, 10, 0), 0);
    });

    it("calloc-overflow: num * size beyond the largest allocation gives ENOMEM (no wrap-around)", () => {
      for (const [num, size] of [
        [SIZE_MAX, 1],
        [10, SIZE_MAX],
        [2 ** 32, 2 ** 32 + 1],
      ] as const) {
        assert.equal(mk.memkind_calloc(kind, num, size), 0);
        assert.equal(mk.errno(), mk.ENOMEM);
      }
    });

    it("realloc-null: a NULL pointer allocates; NULL with size 0 gives NULL", () => {
      const p = mk.memkind_realloc(kind, 0, 100);
      assert.notEqual(p, 0);
      assert.equal(mk.memkind_malloc_usable_size(kind, p), 112);
      mk.memkind_free(kind, p);
      assert.equal(mk.memkind_realloc(kind, 0, 0), 0);
    });

    it("realloc-null-kind: NULL kind and NULL pointer give EINVAL; NULL kind uses the pointer's kind", () => {
      assert.equal(mk.memkind_realloc(null, 0, 100), 0);
      assert.equal(mk.errno(), mk.EINVAL);
      const p = mk.memkind_malloc(kind, 100);
      const q = mk.memkind_realloc(null, p, 10_000);
      assert.equal(mk.memkind_detect_kind(q), kind);
      mk.memkind_free(null, q);
    });

    it("realloc-zero: frees the block and gives NULL", () => {
      const p = mk.memkind_malloc(kind, 100);
      assert.equal(mk.memkind_realloc(kind, p, 0), 0);
      assert.equal(mk.memkind_detect_kind(p), null, "the block is gone");
    });

    it("realloc-preserves: growing and shrinking keep the contents up to the smaller size", () => {
      let size = 10;
      let p = mk.memkind_malloc(kind, size);
      mk.view(p, size).set(Array.from({ length: size }, (_, i) => i));
      for (const next of [100, 5000, 20_000, 300_000, 5_000_000, 70_000, 900, 24, 10]) {
        p = mk.memkind_realloc(kind, p, next);
        assert.notEqual(p, 0);
        const kept = mk.view(p, Math.min(size, 10));
        assert.deepEqual(
          [...kept],
          Array.from({ length: kept.length }, (_, i) => i),
          `after realloc to ${next}`,
        );
        assert.ok(mk.memkind_malloc_usable_size(kind, p) >= next);
        size = next;
      }
      mk.memkind_free(kind, p);
    });

    it("realloc-in-place: a large block shrinks where it is, and a same-class resize does not move", () => {
      const p = mk.memkind_malloc(kind, 1_000_000);
      assert.equal(mk.memkind_realloc(kind, p, 500_000), p);
      assert.equal(mk.memkind_malloc_usable_size(kind, p), 524_288);
      const q = mk.memkind_malloc(kind, 100);
      assert.equal(mk.memkind_realloc(kind, q, 110), q);
      mk.memkind_free(kind, p);
      mk.memkind_free(kind, q);
    });

    it("realloc-huge: SIZE_MAX gives NULL and ENOMEM and leaves the block valid", () => {
      const p = mk.memkind_malloc(kind, 100);
      mk.view(p, 4).set([1, 2, 3, 4]);
      assert.equal(mk.memkind_realloc(kind, p, SIZE_MAX), 0);
      assert.equal(mk.errno(), mk.ENOMEM);
      assert.deepEqual([...mk.view(p, 4)], [1, 2, 3, 4]);
      mk.memkind_free(kind, p);
    });

    it("posix-memalign: every power-of-two alignment from 8 B to 1 GiB is honoured", () => {
      for (let alignment = 8; alignment <= 2 ** 30; alignment *= 2) {
        for (const size of [1, 100, 5000, 40_000]) {
          const out = { value: -1 };
          assert.equal(
            mk.memkind_posix_memalign(kind, out, alignment, size),
            0,
            `align ${alignment} size ${size}`,
          );
          assert.notEqual(out.value, 0);
          assert.equal(out.value % alignment, 0, `${out.value} aligned to ${alignment}`);
          assert.ok(mk.memkind_malloc_usable_size(kind, out.value) >= size);
          mk.view(out.value, size).fill(1);
          mk.memkind_free(kind, out.value);
        }
      }
    });

    it("posix-memalign-usable: aligned usable sizes follow jemalloc's sz_sa2u", () => {
      for (const [alignment, size, usable] of [
        [64, 1, 64],
        [64, 100, 128],
        [4096, 10, 4096],
        [32, 14336, 14336],
        [8192, 10, 16384],
        [8, 20_000, 20_480],
      ] as const) {
        const out = { value: 0 };
        assert.equal(mk.memkind_posix_memalign(kind, out, alignment, size), 0);
        assert.equal(
          mk.memkind_malloc_usable_size(kind, out.value),
          usable,
          `align ${alignment} size ${size}`,
        );
        mk.memkind_free(kind, out.value);
      }
    });

    it("posix-memalign-bad-alignment: not a power of two or below 8 gives EINVAL, errno unchanged", () => {
      for (const alignment of [0, 1, 4, 24, 3, 4097, -8, 1.5]) {
        mk.memkind_malloc(kind, SIZE_MAX); // sets errno to ENOMEM
        const out = { value: 12345 };
        assert.equal(
          mk.memkind_posix_memalign(kind, out, alignment, 100),
          mk.EINVAL,
          `alignment ${alignment}`,
        );
        assert.equal(mk.errno(), mk.ENOMEM, "errno unchanged");
        if (!isDefault) assert.equal(out.value, 0);
      }
    });

    it(`posix-memalign-zero: size 0 gives 0 and NULL ${isDefault ? "before" : "after"} checking the alignment`, () => {
      const out = { value: 12345 };
      assert.equal(mk.memkind_posix_memalign(kind, out, 64, 0), 0);
      assert.equal(out.value, 0);
      assert.equal(mk.memkind_posix_memalign(kind, out, 5, 0), isDefault ? 0 : mk.EINVAL);
    });

    it("posix-memalign-huge: an impossible size gives ENOMEM and NULL, errno unchanged", () => {
      mk.memkind_realloc(null, 0, 1); // sets errno to EINVAL
      const out = { value: 12345 };
      assert.equal(mk.memkind_posix_memalign(kind, out, 64, SIZE_MAX), mk.ENOMEM);
      assert.equal(out.value, 0);
      assert.equal(mk.errno(), mk.EINVAL);
    });

    it("free-null: freeing NULL does nothing", () => {
      const state = heapState(kind);
      mk.memkind_free(kind, 0);
      mk.memkind_free(null, 0);
      assert.equal(heapState(kind), state);
    });

    it("free-foreign: a pointer memkind never handed out is reported and the heap is unchanged", () => {
      const p = mk.memkind_malloc(kind, 64);
      const state = heapState(kind);
      const foreign = [8, 2 ** 40, p + 2 ** 32, 123_456_789];
      for (const ptr of foreign) {
        const text = captureStderr(() => mk.memkind_free(null, ptr));
        assert.match(
          text,
          /^MEMKIND_ERROR: memkind_free\(\): pointer 0x[0-9a-f]+ was not allocated by memkind\n$/,
        );
        assert.equal(mk.errno(), mk.EINVAL);
      }
      assert.equal(heapState(kind), state);
      mk.memkind_free(kind, p);
    });

    it("free-interior: a pointer into the middle of a block is reported and the block stays allocated", () => {
      for (const size of [64, 100_000]) {
        const p = mk.memkind_malloc(kind, size);
        const state = heapState(kind);
        const text = captureStderr(() => mk.memkind_free(kind, p + 16));
        assert.match(text, /points into the middle of an allocation/);
        assert.equal(heapState(kind), state);
        assert.equal(mk.memkind_detect_kind(p), kind, "still allocated");
        mk.memkind_free(kind, p);
      }
    });

    it("free-double: a second free is reported and changes nothing", () => {
      for (const size of [64, 5000, 100_000, 5_000_000]) {
        const p = mk.memkind_malloc(kind, size);
        const keep = mk.memkind_malloc(kind, size);
        mk.memkind_free(kind, p);
        const state = heapState(kind);
        const text = captureStderr(() => mk.memkind_free(kind, p));
        assert.match(text, /is not an allocated block \(freed twice, or never allocated\)/);
        assert.equal(heapState(kind), state);
        const again = mk.memkind_malloc(kind, size);
        assert.notEqual(again, keep, "the heap did not hand out a live block twice");
        mk.memkind_free(kind, again);
        mk.memkind_free(kind, keep);
      }
    });

    it("usable-size-null and detect-kind-null: NULL gives 0 and NULL", () => {
      assert.equal(mk.memkind_malloc_usable_size(kind, 0), 0);
      assert.equal(mk.memkind_malloc_usable_size(null, 0), 0);
      assert.equal(mk.memkind_detect_kind(0), null);
    });

    it("detect-kind: finds the kind of any live block, and nothing for freed or foreign pointers", () => {
      const blocks = [16, 4000, 50_000, 6_000_000].map((size) => mk.memkind_malloc(kind, size));
      for (const p of blocks) assert.equal(mk.memkind_detect_kind(p), kind);
      for (const p of blocks) mk.memkind_free(null, p);
      for (const p of blocks) assert.equal(mk.memkind_detect_kind(p), null);
      assert.equal(mk.memkind_detect_kind(2 ** 40), null);
    });

    it("defrag-reallocate: moves a block out of a sparse slab, keeping its contents; NULL gives NULL", () => {
      assert.equal(mk.memkind_defrag_reallocate(kind, 0), 0);
      const blocks = Array.from({ length: 2000 }, () => mk.memkind_malloc(kind, 48));
      const survivor = blocks[100] as number;
      mk.view(survivor, 48).fill(7);
      for (const p of blocks) if (p !== survivor) mk.memkind_free(kind, p);
      mk.memkind_purge(kind); // flushes the thread cache into the slabs
      const moved = mk.memkind_defrag_reallocate(kind, survivor);
      if (moved !== 0) {
        assert.notEqual(moved, survivor);
        assert.ok(mk.view(moved, 48).every((byte) => byte === 7));
        assert.equal(mk.memkind_detect_kind(survivor), null, "the old block was freed");
        mk.memkind_free(kind, moved);
      } else {
        assert.equal(mk.memkind_detect_kind(survivor), kind, "not moved: the old block is intact");
        mk.memkind_free(kind, survivor);
      }
      const large = mk.memkind_malloc(kind, 100_000);
      assert.equal(mk.memkind_defrag_reallocate(kind, large), 0, "large blocks are not moved");
      mk.memkind_free(kind, large);
    });

    it("stats-allocated: the allocated statistic is the sum of usable sizes of live blocks", () => {
      const base = allocated(kind);
      const blocks = [10, 100, 1000, 20_000, 3_000_000].map((size) =>
        mk.memkind_malloc(kind, size),
      );
      const usable = blocks.reduce((sum, p) => sum + mk.memkind_malloc_usable_size(kind, p), 0);
      assert.equal(allocated(kind), base + usable);
      for (const p of blocks) mk.memkind_free(kind, p);
      assert.equal(allocated(kind), base);
    });

    it("stats-invalid: an unknown statistic gives MEMKIND_ERROR_INVALID", () => {
      const out = { value: 0 };
      assert.equal(
        mk.memkind_get_stat(kind, mk.MEMKIND_STAT_TYPE_MAX_VALUE, out),
        mk.MEMKIND_ERROR_INVALID,
      );
      assert.equal(mk.memkind_get_stat(kind, -1, out), mk.MEMKIND_ERROR_INVALID);
    });

    it("view-bounds: views stay inside one live allocation", () => {
      const p = mk.memkind_malloc(kind, 100);
      assert.equal(mk.view(p, 112).length, 112);
      assert.equal(mk.view(p + 10, 20).length, 20, "an interior view");
      assert.throws(() => mk.view(p, 113), RangeError);
      assert.throws(() => mk.view(2 ** 40, 1), RangeError);
      mk.memkind_free(kind, p);
      assert.throws(() => mk.view(p, 1), /no live allocation/);
    });

    it("view-bounds-large: a large block's views, interior ones past its first page included", () => {
      const size = 3 * 65536 + 100; // class 224 KiB
      const p = mk.memkind_malloc(kind, size);
      const usable = mk.memkind_malloc_usable_size(kind, p);
      const inner = mk.view(p + 2 * 65536, 1000);
      inner.fill(9);
      assert.equal(mk.view(p, usable)[2 * 65536 + 999], 9, "the interior view is the same memory");
      assert.equal(mk.view(p + usable - 1, 1).length, 1, "the last byte");
      assert.throws(() => mk.view(p + 65536, usable - 65536 + 1), /runs past its allocation/);
      assert.throws(() => mk.view(p, -1), RangeError);
      assert.throws(() => mk.view(p, 1.5), RangeError);
      mk.memkind_free(kind, p);
      assert.throws(() => mk.view(p + 2 * 65536, 1), /no live allocation/);
    });

    it("check-available: the kind is available", () => {
      assert.equal(mk.memkind_check_available(kind), mk.MEMKIND_SUCCESS);
    });
  });
}
