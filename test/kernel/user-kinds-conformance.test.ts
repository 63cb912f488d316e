/**
 * The conformance suite against user-defined kinds: the default arena operations, and
 * operations that bind their pages with memkind_default_mbind (MPOL_PREFERRED, every node).
 */
import assert from "node:assert/strict";
import * as mk from "../../src/c.js";
import { conformanceSuite } from "../helpers/conformance.js";

function create(ops: mk.memkind_ops, name: string): mk.memkind_t {
  const out: mk.Out<mk.memkind_t | null> = { value: null };
  assert.equal(mk.memkind_create(ops, name, out), mk.MEMKIND_SUCCESS);
  return out.value as mk.memkind_t;
}

conformanceSuite(create({ ...mk.MEMKIND_ARENA_OPS }, "user_arena"));
conformanceSuite(
  create(
    {
      ...mk.MEMKIND_ARENA_OPS,
      mbind: mk.memkind_default_mbind,
      get_mbind_mode: mk.memkind_preferred_get_mbind_mode,
      get_mbind_nodemask: mk.memkind_default_get_mbind_nodemask,
      madvise: mk.memkind_nohugepage_madvise,
    },
    "user_preferred",
  ),
);
