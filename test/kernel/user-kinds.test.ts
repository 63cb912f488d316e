/**
 * User-defined kinds (memkind_create and Kind.create) on the real kernel: registration rules,
 * every BADOPS case, the memory operations called as upstream calls them (flags, mbind mode and
 * node mask, madvise, availability), failing operations, destroy / finalize, and 512 kinds
 * created and destroyed with no fd or mapping left.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { afterEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as mk from "../../src/c.js";
import { Kind, MemkindError } from "../../src/index.js";
import { heap } from "../../src/kinds/heap.js";
import { kindByName, registeredKinds } from "../../src/kinds/registry.js";
import {
  defaultPlatform,
  MAP_ANONYMOUS,
  MAP_SHARED,
  MPOL_BIND,
  MPOL_PREFERRED,
} from "../../src/platform/index.js";
import { isMapped, openFds, smapsEntry } from "../helpers/proc.js";

const platform = defaultPlatform();

function create(ops: mk.memkind_ops, name: string): mk.memkind_t {
  const out: mk.Out<mk.memkind_t | null> = { value: null };
  assert.equal(mk.memkind_create(ops, name, out), mk.MEMKIND_SUCCESS, name);
  return out.value as mk.memkind_t;
}

function code(ops: unknown, name: unknown): number {
  const out: mk.Out<mk.memkind_t | null> = { value: mk.MEMKIND_DEFAULT };
  const result = mk.memkind_create(ops as mk.memkind_ops, name as string, out);
  if (result !== mk.MEMKIND_SUCCESS) assert.equal(out.value, null, "out is NULL on failure");
  return result;
}

const bound = (nodes: readonly number[], mode = mk.memkind_default_get_mbind_mode) => ({
  ...mk.MEMKIND_ARENA_OPS,
  mbind: mk.memkind_default_mbind,
  get_mbind_mode: mode,
  get_mbind_nodemask: (_k: mk.memkind_t, mask: mk.Out<readonly number[]>) => {
    mask.value = nodes;
    return mk.MEMKIND_SUCCESS;
  },
});

describe("memkind_create", () => {
  afterEach(() => heap.check());

  it("rejects poorly formed ops with MEMKIND_ERROR_BADOPS and registers nothing", () => {
    const before = registeredKinds();
    const custom = () => 0;
    const cases: [string, unknown][] = [
      ["null", null],
      ["a string", "ops"],
      ["empty", {}],
      ...(
        ["create", "destroy", "malloc", "calloc", "realloc", "posix_memalign", "free"] as const
      ).map((slot): [string, unknown] => [`no ${slot}`, { ...mk.MEMKIND_ARENA_OPS, [slot]: null }]),
      ["init_once", { ...mk.MEMKIND_ARENA_OPS, init_once: () => undefined }],
      ["a custom malloc", { ...mk.MEMKIND_ARENA_OPS, malloc: custom }],
      ["a custom free", { ...mk.MEMKIND_ARENA_OPS, free: custom }],
      ["get_arena", { ...mk.MEMKIND_ARENA_OPS, get_arena: custom }],
      ["malloc_usable_size", { ...mk.MEMKIND_ARENA_OPS, malloc_usable_size: custom }],
      ["mmap not a function", { ...mk.MEMKIND_ARENA_OPS, mmap: 42 }],
      ["get_mbind_mode not a function", { ...mk.MEMKIND_ARENA_OPS, get_mbind_mode: "bind" }],
    ];
    for (const [what, ops] of cases)
      assert.equal(code(ops, `badops_${what}`), mk.MEMKIND_ERROR_BADOPS, what);
    assert.equal(registeredKinds(), before);
    assert.equal(kindByName("badops_empty"), undefined);
  });

  it("rejects names of 64 characters or more, names taken, and names that are not strings (INVALID)", () => {
    assert.equal(code(mk.MEMKIND_ARENA_OPS, "n".repeat(64)), mk.MEMKIND_ERROR_INVALID);
    assert.equal(code(mk.MEMKIND_ARENA_OPS, "memkind_regular"), mk.MEMKIND_ERROR_INVALID);
    assert.equal(code(mk.MEMKIND_ARENA_OPS, 42), mk.MEMKIND_ERROR_INVALID);
    assert.equal(
      mk.memkind_create(mk.MEMKIND_ARENA_OPS, "no_out", null as never),
      mk.MEMKIND_ERROR_INVALID,
    );
    const kind = create(mk.MEMKIND_ARENA_OPS, "n".repeat(63));
    assert.equal(code(mk.MEMKIND_ARENA_OPS, "n".repeat(63)), mk.MEMKIND_ERROR_INVALID);
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    assert.equal(mk.memkind_destroy_kind(create(mk.MEMKIND_ARENA_OPS, "n".repeat(63))), 0);
  });

  it("returns MEMKIND_ERROR_TOOMANY at 512 kinds, before looking at the ops", () => {
    const made: mk.memkind_t[] = [];
    while (registeredKinds() < mk.MEMKIND_MAX_KIND)
      made.push(create(mk.MEMKIND_ARENA_OPS, `many_${made.length}`));
    assert.equal(code(mk.MEMKIND_ARENA_OPS, "one_more"), mk.MEMKIND_ERROR_TOOMANY);
    assert.equal(
      code(null, "one_more"),
      mk.MEMKIND_ERROR_TOOMANY,
      "upstream checks the count first",
    );
    for (const kind of made) assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
  });

  it("returns the error of ops.create, unregisters the kind and never calls its destroy", () => {
    let destroyed = 0;
    const ops = {
      ...mk.MEMKIND_ARENA_OPS,
      create: () => mk.MEMKIND_ERROR_MALLOC,
      destroy: () => {
        destroyed++;
        return 0;
      },
    };
    assert.equal(code(ops, "create_fails"), mk.MEMKIND_ERROR_MALLOC);
    assert.equal(kindByName("create_fails"), undefined);
    assert.equal(destroyed, 0);
    let seen: unknown[] = [];
    const kind = create(
      {
        ...ops,
        create: (k, o, n) => {
          seen = [k, o, n];
          return mk.memkind_arena_create(k, o, n);
        },
      },
      "create_sees_kind",
    );
    assert.deepEqual(seen.slice(1), [seen[1], "create_sees_kind"]);
    assert.equal(seen[0], kind);
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    assert.equal(destroyed, 1, "destroy runs once on memkind_destroy_kind");
  });

  it("binds chunks with memkind_default_mbind: the mode and node mask of its ops", () => {
    for (const [mode, expected] of [
      [mk.memkind_default_get_mbind_mode, MPOL_BIND],
      [mk.memkind_preferred_get_mbind_mode, MPOL_PREFERRED],
    ] as const) {
      const kind = create(bound([0], mode), `bound_${expected}`);
      const p = mk.memkind_malloc(kind, 100_000);
      assert.notEqual(p, 0);
      mk.view(p, 1).fill(1);
      assert.deepEqual(platform.getMempolicy(p), { mode: expected, nodes: [0] });
      mk.memkind_free(null, p);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    }
  });

  it("memkind_default_mbind needs both get_mbind_nodemask and get_mbind_mode (BADOPS), and gives MBIND when mbind fails", () => {
    const region = platform.mmap(0, 4096, 3, 0x22, -1, 0);
    for (const missing of ["get_mbind_mode", "get_mbind_nodemask"] as const) {
      const kind = create({ ...bound([0]), [missing]: null }, `mbind_without_${missing}`);
      assert.equal(mk.memkind_default_mbind(kind, region, 4096), mk.MEMKIND_ERROR_BADOPS);
      assert.equal(mk.memkind_malloc(kind, 64), 0, "its chunks cannot be bound");
      assert.equal(mk.errno(), mk.ENOMEM);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    }
    const absent = create(bound([63]), "mbind_absent_node");
    assert.equal(mk.memkind_default_mbind(absent, region, 4096), mk.MEMKIND_ERROR_MBIND);
    assert.equal(mk.memkind_malloc(absent, 64), 0);
    assert.equal(mk.errno(), mk.ENOMEM);
    assert.match(String(absent.arena?.lastError), /mbind/);
    heap.check();
    assert.equal(mk.memkind_destroy_kind(absent), mk.MEMKIND_SUCCESS);
    assert.equal(
      mk.memkind_default_mbind(mk.MEMKIND_REGULAR, region, 4096),
      mk.MEMKIND_ERROR_BADOPS,
      "not a user kind",
    );
    platform.munmap(region, 4096);
  });

  it("uses get_mmap_flags and madvise for each chunk, and fails cleanly when they fail", () => {
    const advised: number[] = [];
    const kind = create(
      {
        ...mk.MEMKIND_ARENA_OPS,
        get_mmap_flags: (_k, flags) => {
          flags.value = MAP_SHARED | MAP_ANONYMOUS;
          return 0;
        },
        madvise: (k, addr, size) => {
          advised.push(addr);
          return mk.memkind_nohugepage_madvise(k, addr, size);
        },
      },
      "shared_nohuge",
    );
    const p = mk.memkind_malloc(kind, 64);
    const entry = smapsEntry(p);
    assert.equal(entry.perms, "rw-s", "MAP_SHARED from get_mmap_flags");
    assert.ok(entry.flags.includes("nh"), "MADV_NOHUGEPAGE from the madvise op");
    assert.equal(advised.length, 1);
    assert.ok((advised[0] as number) <= p && p < (advised[0] as number) + (4 << 20));
    mk.memkind_free(null, p);
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);

    for (const [what, ops] of [
      [
        "get_mmap_flags",
        { ...mk.MEMKIND_ARENA_OPS, get_mmap_flags: () => mk.MEMKIND_ERROR_RUNTIME },
      ],
      ["madvise", { ...mk.MEMKIND_ARENA_OPS, madvise: () => -1 }],
      ["mbind", { ...mk.MEMKIND_ARENA_OPS, mbind: () => mk.MEMKIND_ERROR_MBIND }],
      ["mmap", { ...mk.MEMKIND_ARENA_OPS, mmap: () => mk.MAP_FAILED }],
    ] as const) {
      const failing = create(ops as mk.memkind_ops, `failing_${what}`);
      assert.equal(mk.memkind_malloc(failing, 64), 0, what);
      assert.equal(mk.errno(), mk.ENOMEM);
      const out = { value: 1 };
      assert.equal(mk.memkind_posix_memalign(failing, out, 64, 100), mk.ENOMEM);
      heap.check();
      assert.equal(mk.memkind_destroy_kind(failing), mk.MEMKIND_SUCCESS);
    }
  });

  it("maps through the mmap op alone (upstream: it replaces memkind_default_mmap), trimming misaligned chunks", () => {
    const mapped: [number, number][] = [];
    let binds = 0;
    const kind = create(
      {
        ...mk.MEMKIND_ARENA_OPS,
        mmap: (k, addr, size) => {
          const p = mk.memkind_default_mmap(k, addr, size);
          mapped.push([p, size]);
          return p;
        },
        mbind: () => {
          binds++;
          return 0;
        },
      },
      "own_mmap",
    );
    const p = mk.memkind_malloc(kind, 64);
    assert.notEqual(p, 0);
    assert.ok(
      mapped.length >= 1 && binds === mapped.length,
      "memkind_default_mmap called mbind itself",
    );
    const chunk = [...heap.chunks.all()].find(([, c]) => c.addr <= p && p < c.addr + c.length)?.[1];
    assert.equal((chunk?.addr ?? 1) % (4 << 20), 0, "the chunk is slot-aligned after trimming");
    mk.memkind_free(null, p);
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    assert.equal(isMapped(chunk?.addr ?? 0), false, "destroy unmapped the chunk");
  });

  it("check_available gates memkind_check_available and every new chunk", () => {
    let available = mk.MEMKIND_ERROR_UNAVAILABLE;
    const kind = create({ ...mk.MEMKIND_ARENA_OPS, check_available: () => available }, "gated");
    assert.equal(mk.memkind_check_available(kind), mk.MEMKIND_ERROR_UNAVAILABLE);
    assert.equal(mk.memkind_malloc(kind, 64), 0);
    assert.equal(mk.errno(), mk.ENOMEM);
    available = mk.MEMKIND_SUCCESS;
    assert.equal(mk.memkind_check_available(kind), mk.MEMKIND_SUCCESS);
    const p = mk.memkind_malloc(kind, 64);
    assert.notEqual(p, 0);
    mk.memkind_free(null, p);
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
  });

  it("runs finalize at process exit for a kind still alive, and not for a destroyed one", () => {
    const c = fileURLToPath(new URL("../../src/c.js", import.meta.url));
    const script = `
      const mk = await import(${JSON.stringify(c)});
      const make = (name) => {
        const out = { value: null };
        mk.memkind_create({ ...mk.MEMKIND_ARENA_OPS, finalize: (k) => { process.stdout.write("finalize " + k.name + "\\n"); return 0; } }, name, out);
        return out.value;
      };
      make("alive");
      mk.memkind_destroy_kind(make("destroyed"));
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, "finalize alive\n");
  });

  it("creates and destroys 512 kinds with allocations in a loop; no fd or mapping is left", () => {
    const fds = openFds();
    for (let i = 0; i < 512; i++) {
      const kind = create(bound([0], mk.memkind_preferred_get_mbind_mode), `loop_${i % 7}`);
      const small = mk.memkind_malloc(kind, 64);
      const large = mk.memkind_malloc(kind, 6 << 20);
      assert.ok(small !== 0 && large !== 0);
      const chunks = [...heap.chunks.all()]
        .filter(([, c]) => c.arena === kind.arenaId)
        .map(([, c]) => c.addr);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
      for (const addr of chunks)
        assert.equal(isMapped(addr), false, "the kind's chunks are unmapped");
      assert.equal(mk.memkind_detect_kind(small), null);
    }
    assert.deepEqual(openFds(), fds);
  });
});

describe("Kind.create (TypeScript)", () => {
  afterEach(() => heap.check());

  it("maps, binds and advises through the given operations; using destroys the kind", () => {
    const calls: string[] = [];
    let p = 0;
    {
      using kind = Kind.create("ts_kind", {
        map: (length) => {
          calls.push("map");
          return platform.mmap(0, length, 3, 0x22, -1, 0);
        },
        unmap: (addr, length) => {
          calls.push("unmap");
          platform.munmap(addr, length);
        },
        mbindMode: () => MPOL_PREFERRED,
        mbindNodes: () => [0],
        advise: () => {
          calls.push("advise");
        },
        capacity: () => 12345,
      });
      p = kind.malloc(100_000);
      assert.notEqual(p, 0);
      kind.alloc(10)[0] = 1;
      assert.deepEqual(platform.getMempolicy(p), { mode: MPOL_PREFERRED, nodes: [0] });
      assert.equal(mk.memkind_get_capacity(kind), 12345);
      assert.ok(calls.includes("map") && calls.includes("advise"));
    }
    assert.equal(calls.at(-1), "unmap", "disposing unmapped the chunks");
    assert.equal(mk.memkind_detect_kind(p), null);
    assert.equal(kindByName("ts_kind"), undefined);
  });

  it("throws MemkindError with upstream's codes for bad operations, names and a full registry", () => {
    const failsWith = (code: number) => (e: unknown) =>
      e instanceof MemkindError && e.code === code;
    assert.throws(
      () => Kind.create("ts_bad", { map: 5 as never }),
      failsWith(mk.MEMKIND_ERROR_BADOPS),
    );
    assert.throws(() => Kind.create("ts_bad", null as never), failsWith(mk.MEMKIND_ERROR_BADOPS));
    assert.throws(() => Kind.create("x".repeat(64), {}), failsWith(mk.MEMKIND_ERROR_INVALID));
    assert.throws(() => Kind.create("memkind_default", {}), failsWith(mk.MEMKIND_ERROR_INVALID));
    const made: Kind[] = [];
    while (registeredKinds() < mk.MEMKIND_MAX_KIND)
      made.push(Kind.create(`ts_many_${made.length}`, {}));
    assert.throws(() => Kind.create("ts_one_more", {}), failsWith(mk.MEMKIND_ERROR_TOOMANY));
    for (const kind of made) kind[Symbol.dispose]();
    mk.MEMKIND_DEFAULT[Symbol.dispose](); // a static kind stays
    assert.notEqual(mk.memkind_malloc(mk.MEMKIND_DEFAULT, 8), 0);
  });

  it("a failing map fails the allocation with ENOMEM and keeps the error", () => {
    using kind = Kind.create("ts_failing_map", {
      map: () => {
        throw new Error("no memory today");
      },
    });
    assert.equal(kind.malloc(64), 0);
    assert.throws(() => kind.alloc(64), failsWithEnomem);
    assert.match(String(kind.arena?.lastError), /no memory today/);
  });
});

function failsWithEnomem(e: unknown): boolean {
  return e instanceof MemkindError && e.code === mk.ENOMEM;
}
