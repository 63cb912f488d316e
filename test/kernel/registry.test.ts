/** The kind registry: upstream's registration rules and what destroying a kind does. */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { heap } from "../../src/kinds/heap.js";
import type { KindDefinition } from "../../src/kinds/kind.js";
import {
  destroyKind,
  kindByName,
  registeredKinds,
  registerKind,
} from "../../src/kinds/registry.js";
import { defaultPlatform } from "../../src/platform/index.js";
import { AnonymousProvider } from "../../src/providers/anonymous.js";
import { captureStderr } from "../helpers/conformance.js";

function definition(name: string, finalize?: () => number): KindDefinition {
  return {
    name,
    provider: () => new AnonymousProvider(defaultPlatform()),
    ...(finalize ? { finalize } : {}),
  };
}

function register(name: string, finalize?: () => number): mk.memkind_t {
  const registration = registerKind(definition(name, finalize));
  assert.equal(registration.code, mk.MEMKIND_SUCCESS);
  return (registration as { kind: mk.memkind_t }).kind;
}

describe("kind registry", () => {
  afterEach(() => heap.check());

  it("holds the 23 static kinds in slots 0..22 and gives new kinds the next free slot", () => {
    assert.equal(registeredKinds(), 23);
    assert.equal(kindByName("memkind_default"), mk.MEMKIND_DEFAULT);
    const a = register("registry-a");
    const b = register("registry-b");
    assert.deepEqual([a.partition, b.partition], [23, 24]);
    assert.equal(destroyKind(a), mk.MEMKIND_SUCCESS);
    const c = register("registry-c");
    assert.equal(c.partition, 23, "the freed slot is reused, so partitions stay unique");
    assert.equal(destroyKind(b), mk.MEMKIND_SUCCESS);
    assert.equal(destroyKind(c), mk.MEMKIND_SUCCESS);
    assert.equal(registeredKinds(), 23);
  });

  it("rejects names of 64 characters or more and names a live kind has (INVALID)", () => {
    assert.equal(registerKind(definition("x".repeat(64))).code, mk.MEMKIND_ERROR_INVALID);
    assert.equal(registerKind(definition("memkind_hbw")).code, mk.MEMKIND_ERROR_INVALID);
    const kind = register("x".repeat(63));
    assert.equal(registerKind(definition("x".repeat(63))).code, mk.MEMKIND_ERROR_INVALID);
    assert.equal(destroyKind(kind), mk.MEMKIND_SUCCESS);
    const again = register("x".repeat(63));
    assert.equal(destroyKind(again), mk.MEMKIND_SUCCESS, "a destroyed kind's name is free again");
  });

  it("is full at MEMKIND_MAX_KIND kinds (TOOMANY), and destroying one makes room", () => {
    const made: mk.memkind_t[] = [];
    for (let i = registeredKinds(); i < mk.MEMKIND_MAX_KIND; i++) made.push(register(`full-${i}`));
    assert.equal(registeredKinds(), 512);
    assert.equal(registerKind(definition("one-too-many")).code, mk.MEMKIND_ERROR_TOOMANY);
    assert.equal(kindByName("one-too-many"), undefined, "nothing of the refused kind remains");
    assert.equal(destroyKind(made.pop() as mk.memkind_t), mk.MEMKIND_SUCCESS);
    made.push(register("one-too-many"));
    for (const kind of made) assert.equal(destroyKind(kind), mk.MEMKIND_SUCCESS);
    assert.equal(registeredKinds(), 23);
  });

  it("destroying a kind makes its pointers foreign and the kind unusable", () => {
    let finalized = 0;
    const kind = register("registry-destroyed", () => {
      finalized++;
      return mk.MEMKIND_SUCCESS;
    });
    const small = mk.memkind_malloc(kind, 64);
    const large = mk.memkind_malloc(kind, 1 << 20);
    assert.ok(small !== 0 && large !== 0);
    assert.equal(mk.memkind_detect_kind(small), kind);
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS);
    assert.equal(finalized, 1);
    assert.equal(mk.memkind_detect_kind(small), null);
    assert.equal(mk.memkind_detect_kind(large), null);
    const stderr = captureStderr(() => {
      mk.memkind_free(null, small);
      assert.equal(mk.errno(), mk.EINVAL);
      assert.equal(mk.memkind_malloc(kind, 64), 0);
      assert.equal(mk.errno(), mk.EINVAL);
    });
    assert.match(stderr, /MEMKIND_ERROR: memkind_free\(\): pointer 0x[0-9a-f]+ was not allocated/);
    assert.match(stderr, /memkind_malloc\(\): kind registry-destroyed has been destroyed/);
    assert.equal(kind.malloc(64), 0, "the TS hot path refuses a destroyed kind too");
    assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_ERROR_INVALID, "destroyed twice");
    assert.equal(finalized, 1);
  });

  it("refuses to destroy a static kind or a value that is not a kind", () => {
    assert.equal(mk.memkind_destroy_kind(mk.MEMKIND_DEFAULT), mk.MEMKIND_ERROR_INVALID);
    assert.equal(mk.memkind_destroy_kind(null as never), mk.MEMKIND_ERROR_INVALID);
    assert.equal(mk.memkind_malloc(mk.MEMKIND_DEFAULT, 8) !== 0, true);
  });
});
