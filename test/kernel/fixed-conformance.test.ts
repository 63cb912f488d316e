/**
 * The conformance suite against fixed kinds over an ArrayBuffer, a SharedArrayBuffer and an
 * mmap'd address range. Each is 2 GiB and a bit, so that the suite's 1 GiB alignments fit;
 * only the pages the suite touches become resident. Starts are not page-aligned.
 */
import assert from "node:assert/strict";
import * as mk from "../../src/c.js";
import {
  defaultPlatform,
  MAP_ANONYMOUS,
  MAP_NORESERVE,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
} from "../../src/platform/index.js";
import { conformanceSuite } from "../helpers/conformance.js";

const SIZE = 2 ** 31 + 3 * 65536;

function fixed(mem: ArrayBuffer | SharedArrayBuffer | number, size: number): mk.memkind_t {
  const out: mk.Out<mk.memkind_t | null> = { value: null };
  assert.equal(mk.memkind_create_fixed(mem, size, out), mk.MEMKIND_SUCCESS);
  return out.value as mk.memkind_t;
}

const platform = defaultPlatform();
const range = platform.mmap(
  0,
  SIZE + 4096,
  PROT_READ | PROT_WRITE,
  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
  -1,
  0,
);

conformanceSuite(fixed(new ArrayBuffer(SIZE), SIZE));
conformanceSuite(fixed(new SharedArrayBuffer(SIZE), SIZE));
conformanceSuite(fixed(range + 100, SIZE));
