/**
 * Fixed kinds on the real kernel: the heap lives in the caller's memory only, never writes
 * outside it, reports exhaustion as ENOMEM, leaves the memory as it is on purge and destroy,
 * frees by detection into the right kind, and refuses bad memory with MEMKIND_ERROR_INVALID.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { setErrno } from "../../src/api/errno.js";
import * as mk from "../../src/c.js";
import { free, Kind, MemkindError } from "../../src/index.js";
import { heap } from "../../src/kinds/heap.js";
import { registeredKinds } from "../../src/kinds/registry.js";
import {
  defaultPlatform,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "../../src/platform/index.js";
import { captureStderr } from "../helpers/conformance.js";
import { mappingsOver } from "../helpers/maps.js";
import { openFds } from "../helpers/proc.js";

const platform = defaultPlatform();
const PAGE = 4096;
const RW = PROT_READ | PROT_WRITE;

function create(mem: ArrayBuffer | SharedArrayBuffer | number, size: number): mk.memkind_t {
  const out: mk.Out<mk.memkind_t | null> = { value: null };
  assert.equal(mk.memkind_create_fixed(mem, size, out), mk.MEMKIND_SUCCESS);
  assert.ok(out.value);
  return out.value;
}

function anonymous(length: number): number {
  return platform.mmap(0, length, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/** `length` bytes between two PROT_NONE pages (a mapping of its own, merged with no other). */
function guarded(length: number): number {
  const addr = anonymous(length + 2 * PAGE);
  platform.mprotect(addr, PAGE, PROT_NONE);
  platform.mprotect(addr + PAGE + length, PAGE, PROT_NONE);
  return addr + PAGE;
}

/** A deterministic random sequence (xorshift). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Mixed malloc / calloc / realloc / posix_memalign / free that writes every block it holds. */
function workload(kind: mk.memkind_t, steps: number, seed: number): void {
  const next = random(seed);
  const live: { p: number; size: number }[] = [];
  for (let i = 0; i < steps; i++) {
    const r = next();
    const size = Math.floor(2 ** (3 + next() * 17)); // 8 B .. 1 MiB
    if (r < 0.35 || live.length === 0) {
      const p = mk.memkind_malloc(kind, size);
      if (p !== 0) live.push({ p, size });
    } else if (r < 0.45) {
      const p = mk.memkind_calloc(kind, 1, size);
      if (p !== 0) live.push({ p, size });
    } else if (r < 0.55) {
      const out = { value: 0 };
      if (mk.memkind_posix_memalign(kind, out, 2 ** (3 + Math.floor(next() * 14)), size) === 0)
        live.push({ p: out.value, size });
    } else if (r < 0.7) {
      const block = live[Math.floor(next() * live.length)] as { p: number; size: number };
      const p = mk.memkind_realloc(kind, block.p, size);
      if (p !== 0) Object.assign(block, { p, size });
    } else {
      const [block] = live.splice(Math.floor(next() * live.length), 1);
      mk.memkind_free(null, (block as { p: number }).p);
    }
    const last = live.at(-1);
    if (last) mk.view(last.p, mk.memkind_malloc_usable_size(null, last.p)).fill(0x3c);
  }
  for (const { p } of live) mk.memkind_free(null, p);
}

describe("fixed kinds", () => {
  afterEach(() => heap.check());

  it("is named fixed%p after its start, holds capacity = size, and reads the caller's buffer", () => {
    for (const buffer of [new ArrayBuffer(1 << 20), new SharedArrayBuffer(1 << 20)]) {
      const kind = create(buffer, buffer.byteLength);
      const start = platform.bufferAddress(buffer);
      assert.equal(kind.name, `fixed0x${start.toString(16)}`);
      assert.equal(mk.memkind_get_capacity(kind), 1 << 20);
      const p = mk.memkind_malloc(kind, 100);
      assert.ok(p >= start && p + 100 <= start + (1 << 20), "the block lies in the buffer");
      mk.view(p, 4).set([9, 8, 7, 6]);
      const mine = new Uint8Array(buffer, p - start, 4);
      assert.deepEqual([...mine], [9, 8, 7, 6], "the caller sees what the heap wrote");
      mine[0] = 1;
      assert.equal(mk.view(p, 1)[0], 1, "and the heap sees what the caller wrote");
      assert.equal(mk.memkind_detect_kind(p), kind);
      mk.memkind_free(null, p);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    }
  });

  it("never writes outside its range: guard bytes around it survive a random workload and destroy", () => {
    const buffer = new ArrayBuffer(12 << 20);
    const all = new Uint8Array(buffer);
    all.fill(0xa5);
    const from = 3 * PAGE + 123;
    const to = from + (8 << 20) + 777;
    const range = all.subarray(from, to);
    const kinds = [
      Kind.fixed(range), // a typed view (TS API)
    ];
    const outside = () =>
      all.subarray(0, from).every((b) => b === 0xa5) && all.subarray(to).every((b) => b === 0xa5);
    for (const kind of kinds) {
      workload(kind, 3000, 42);
      assert.ok(outside(), "no byte outside the range changed");
      const inside = range.slice();
      assert.equal(mk.memkind_purge(kind), mk.MEMKIND_SUCCESS);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
      assert.deepEqual(range, inside, "purge and destroy leave the bytes as they were");
      assert.ok(outside());
    }
    // The same through memkind/c with an address inside the buffer.
    const kind = create(platform.bufferAddress(buffer) + from, to - from);
    workload(kind, 3000, 7);
    assert.ok(outside());
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
  });

  it("fills up with NULL and ENOMEM, stays usable, and fills again after the frees", () => {
    const kind = Kind.fixed(new ArrayBuffer(4 << 20));
    for (const size of [64, 5000, 300_000]) {
      const fill = () => {
        const blocks: number[] = [];
        for (let p = mk.memkind_malloc(kind, size); p !== 0; p = mk.memkind_malloc(kind, size))
          blocks.push(p);
        assert.equal(mk.errno(), mk.ENOMEM);
        return blocks;
      };
      const first = fill();
      assert.ok(first.length * size > (4 << 20) * 0.5, `${first.length} blocks of ${size}`);
      heap.check();
      for (const p of first) mk.memkind_free(null, p);
      mk.memkind_purge(kind);
      const second = fill();
      assert.equal(second.length, first.length, "the freed memory is reused in full");
      for (const p of second) mk.memkind_free(kind, p);
      mk.memkind_purge(kind);
    }
    kind[Symbol.dispose]();
  });

  it("leaves an mmap'd range mapped and its bytes as they were after purge and destroy", () => {
    const length = 4 << 20;
    const addr = anonymous(length);
    try {
      const maps = mappingsOver(addr, length);
      const kind = create(addr, length);
      const p = mk.memkind_malloc(kind, 1 << 20);
      mk.view(p, 1 << 20).fill(0x77);
      mk.memkind_free(kind, p);
      mk.memkind_purge(kind);
      const bytes = platform.view(p, 1 << 20);
      assert.ok(
        bytes.every((b) => b === 0x77),
        "purge did not discard the caller's pages",
      );
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
      assert.deepEqual(mappingsOver(addr, length), maps, "nothing unmapped or split");
      assert.ok(bytes.every((b) => b === 0x77));
    } finally {
      platform.munmap(addr, length);
    }
  });

  it("frees by detection into the right kind with two kinds in one 4 MiB slot; a destroyed one's pointers are foreign", () => {
    const base = anonymous(8 << 20);
    const slot = Math.ceil(base / (4 << 20)) * (4 << 20);
    const a = create(slot + 100, 1 << 20);
    const b = create(slot + (1 << 20) + 100, 1 << 20);
    const pa = mk.memkind_malloc(a, 64);
    const pb = mk.memkind_malloc(b, 64);
    const qa = mk.memkind_malloc(a, 100_000);
    assert.equal(mk.memkind_detect_kind(pa), a);
    assert.equal(mk.memkind_detect_kind(qa), a);
    assert.equal(mk.memkind_detect_kind(pb), b);
    mk.memkind_free(null, qa);
    assert.equal(mk.memkind_detect_kind(qa), null, "freed");
    assert.equal(mk.memkind_destroy_kind(a), mk.MEMKIND_SUCCESS);
    assert.equal(mk.memkind_detect_kind(pa), null);
    const text = captureStderr(() => mk.memkind_free(null, pa));
    assert.match(text, /was not allocated by memkind/);
    assert.equal(mk.memkind_detect_kind(pb), b, "the other kind in the slot lives on");
    mk.memkind_free(null, pb);
    assert.equal(mk.memkind_destroy_kind(b), mk.MEMKIND_SUCCESS);
    platform.munmap(base, 8 << 20);
  });

  it("lives in a large block of another kind and gives it back intact", () => {
    const lender = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 8 << 20);
    const kind = create(lender + 8, (8 << 20) - 8);
    const p = mk.memkind_malloc(kind, 5000);
    assert.ok(p > lender && p < lender + (8 << 20));
    assert.equal(mk.memkind_detect_kind(p), kind);
    heap.check();
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    assert.equal(mk.memkind_detect_kind(lender), mk.MEMKIND_DEFAULT);
    mk.memkind_free(null, lender);
  });

  it("keeps the block it lives in from being freed or resized until it is destroyed", () => {
    const lender = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 8 << 20);
    const kind = create(lender, 8 << 20);
    const p = mk.memkind_malloc(kind, 100_000);
    mk.view(p, 100_000).fill(3);
    const refused = (call: () => unknown, expected: unknown) => {
      setErrno(0);
      let result: unknown;
      const text = captureStderr(() => {
        result = call();
      });
      assert.match(
        text,
        /MEMKIND_ERROR: .* holds a fixed kind's memory \(destroy that kind first\)/,
      );
      assert.equal(result, expected);
      assert.equal(mk.errno(), mk.EINVAL);
    };
    refused(() => mk.memkind_free(null, lender), undefined);
    refused(() => mk.memkind_free(mk.MEMKIND_DEFAULT, lender), undefined);
    refused(() => mk.memkind_realloc(null, lender, 1 << 20), 0);
    refused(() => mk.memkind_realloc(mk.MEMKIND_DEFAULT, lender, 16 << 20), 0);
    refused(() => mk.memkind_realloc(mk.MEMKIND_DEFAULT, lender, 0), 0);
    assert.throws(
      () => free(lender),
      (error: unknown) => error instanceof MemkindError,
    );
    // Nothing changed: the block is live, the fixed kind's allocation intact and usable.
    assert.equal(mk.memkind_malloc_usable_size(null, lender), 8 << 20);
    assert.ok(mk.view(p, 100_000).every((byte) => byte === 3));
    const q = mk.memkind_malloc(kind, 64);
    assert.notEqual(q, 0);
    heap.check();
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    mk.memkind_free(null, lender);
    assert.equal(mk.memkind_detect_kind(lender), null, "freed once the kind is gone");
    heap.check();
  });

  it("keeps the kind that lends a block from being destroyed while a fixed kind lives in it", () => {
    const buffer = new ArrayBuffer(16 << 20);
    const outer = create(buffer, 16 << 20);
    const block = mk.memkind_malloc(outer, 8 << 20);
    assert.notEqual(block, 0);
    const inner = create(block, 8 << 20);
    const p = mk.memkind_malloc(inner, 4096);
    let code = 0;
    const text = captureStderr(() => {
      code = mk.memkind_destroy_kind(outer);
    });
    assert.equal(code, mk.MEMKIND_ERROR_OPERATION_FAILED);
    assert.match(text, /MEMKIND_ERROR: .* holds a fixed kind's memory \(destroy that kind first\)/);
    const q = mk.memkind_malloc(outer, 64);
    assert.equal(mk.memkind_detect_kind(q), outer, "the lender still allocates");
    assert.equal(mk.memkind_detect_kind(p), inner);
    mk.memkind_free(null, q);
    heap.check();
    assert.equal(mk.memkind_destroy_kind(inner), mk.MEMKIND_SUCCESS);
    assert.equal(mk.memkind_destroy_kind(outer), mk.MEMKIND_SUCCESS);
    assert.equal(mk.memkind_detect_kind(block), null);
    heap.check();
  });

  it("accepts tiny sizes (capacity = size) and fails their allocations with ENOMEM", () => {
    const buffer = new ArrayBuffer(8192);
    const base = platform.bufferAddress(buffer);
    for (const [offset, size] of [
      [0, 0],
      [1, 25],
      [2, 87],
      [3, 1024],
      [4, 4096],
    ] as const) {
      const kind = create(base + offset, size);
      assert.equal(mk.memkind_get_capacity(kind), size);
      assert.equal(mk.memkind_malloc(kind, 8), 0);
      assert.equal(mk.errno(), mk.ENOMEM);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    }
  });

  it("refuses bad memory, sizes and addresses with MEMKIND_ERROR_INVALID and leaves out NULL", () => {
    const unmapped = anonymous(2 * PAGE);
    platform.munmap(unmapped, 2 * PAGE);
    const readOnly = platform.mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const small = mk.memkind_malloc(mk.MEMKIND_DEFAULT, 64);
    const before = registeredKinds();
    const cases: [unknown, unknown][] = [
      ["buffer", 10],
      [{}, 10],
      [null, 10],
      [undefined, 10],
      [-4096, 10],
      [0, 4096],
      [1.5, 10],
      [2 ** 48, 4096],
      [2 ** 47 - 4096, 8192],
      [new ArrayBuffer(100), 101],
      [new ArrayBuffer(100), -1],
      [new ArrayBuffer(100), 1.5],
      [new ArrayBuffer(100), Number.NaN],
      [new ArrayBuffer(100), "10"],
      [
        new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(8192, {
          maxByteLength: 16384,
        }),
        8192,
      ],
      [unmapped, 2 * PAGE],
      [readOnly, 2 * PAGE],
      [Math.floor(small / PAGE) * PAGE, PAGE], // a DEFAULT slab: heap memory, not a large block
    ];
    for (const [mem, size] of cases) {
      const out: mk.Out<mk.memkind_t | null> = { value: mk.MEMKIND_DEFAULT };
      assert.equal(
        mk.memkind_create_fixed(mem as number, size as number, out),
        mk.MEMKIND_ERROR_INVALID,
        `${String(mem)} / ${String(size)}`,
      );
      assert.equal(out.value, null);
    }
    assert.equal(
      mk.memkind_create_fixed(new ArrayBuffer(10), 10, null as never),
      mk.MEMKIND_ERROR_INVALID,
    );
    assert.equal(registeredKinds(), before, "nothing was registered");
    assert.throws(
      () => Kind.fixed("x" as never),
      (e: unknown) => e instanceof MemkindError && e.code === mk.MEMKIND_ERROR_INVALID,
    );
    platform.munmap(readOnly, 2 * PAGE);
    mk.memkind_free(null, small);
  });

  it("refuses a second kind over the same start (same name), and allows it after destroy", () => {
    const buffer = new ArrayBuffer(1 << 20);
    const kind = create(buffer, buffer.byteLength);
    const out: mk.Out<mk.memkind_t | null> = { value: null };
    assert.equal(mk.memkind_create_fixed(buffer, 4096, out), mk.MEMKIND_ERROR_INVALID);
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    const again = create(buffer, buffer.byteLength);
    assert.equal(mk.memkind_destroy_kind(again), mk.MEMKIND_SUCCESS);
  });

  it("creates and destroys 512 kinds in a loop, fills the registry to TOOMANY, and leaks no fd or mapping", () => {
    // mmap'd memory between PROT_NONE guard pages, so that its mappings are the kernel's exact
    // record (a JS buffer may sit in the malloc heap, which grows on its own, and an unguarded
    // mapping merges with its neighbours).
    const length = 8 << 20;
    const memory = guarded(length);
    const slots = 512 - registeredKinds();
    const region = guarded(slots * 2 * PAGE);
    const fds = openFds();
    const maps = () => [mappingsOver(memory, length), mappingsOver(region, slots * 2 * PAGE)];
    const before = maps();
    for (let i = 0; i < 512; i++) {
      const kind = create(memory, length);
      const p = mk.memkind_malloc(kind, 1000 + i);
      assert.notEqual(p, 0);
      mk.view(p, 8).fill(i & 0xff);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
      assert.equal(mk.memkind_detect_kind(p), null);
    }
    const made: mk.memkind_t[] = [];
    for (let i = 0; i < slots; i++) made.push(create(region + i * 2 * PAGE, 2 * PAGE));
    for (const kind of made) assert.notEqual(mk.memkind_malloc(kind, 64), 0);
    const out: mk.Out<mk.memkind_t | null> = { value: null };
    assert.equal(mk.memkind_create_fixed(memory, 4096, out), mk.MEMKIND_ERROR_TOOMANY);
    heap.check();
    for (const kind of made) assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    assert.deepEqual(openFds(), fds);
    assert.deepEqual(maps(), before, "the memory is mapped exactly as before");
    platform.munmap(region - PAGE, slots * 2 * PAGE + 2 * PAGE);
    platform.munmap(memory - PAGE, length + 2 * PAGE);
  });

  it("using a fixed kind destroys it at the end of the block", () => {
    const buffer = new SharedArrayBuffer(1 << 20);
    let p = 0;
    let name = "";
    {
      using kind = Kind.fixed(buffer);
      name = kind.name;
      p = kind.malloc(64);
      assert.equal(mk.memkind_detect_kind(p), kind);
    }
    assert.equal(mk.memkind_detect_kind(p), null);
    using again = Kind.fixed(buffer); // the name is free again
    assert.equal(again.name, name);
  });
});
