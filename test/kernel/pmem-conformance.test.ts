/**
 * The conformance suite against PMEM kinds: one on tmpfs (/dev/shm) and one on the root file
 * system (/var/tmp, ext4 here), unlimited, and one limited to 256 MiB on tmpfs. The limit is
 * not reached but must not change any behaviour; it is that large because the heap retains
 * its 4 MiB chunks (their pages punched), and each alignment above 4 MiB in the
 * posix-memalign test needs a chunk aligned for it: 64 MiB runs out (see pmem.test.ts).
 * After the suites the kinds are destroyed, and their directories must be empty: the files
 * were unlinked when they were made.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import * as mk from "../../src/c.js";
import { conformanceSuite } from "../helpers/conformance.js";

const places = [
  { name: "tmpfs", dir: mkdtempSync(join("/dev/shm", "memkind-pmem-")), maxSize: 0 },
  { name: "root file system", dir: mkdtempSync(join("/var/tmp", "memkind-pmem-")), maxSize: 0 },
  {
    name: "tmpfs, 256 MiB",
    dir: mkdtempSync(join("/dev/shm", "memkind-pmem-")),
    maxSize: 256 << 20,
  },
];

const made = places.map((place) => {
  const out: mk.Out<mk.memkind_t | null> = { value: null };
  const code = mk.memkind_create_pmem(place.dir, place.maxSize, out);
  if (code !== mk.MEMKIND_SUCCESS) throw new Error(`memkind_create_pmem(${place.dir}): ${code}`);
  return { ...place, kind: out.value as mk.memkind_t };
});

for (const { kind } of made) conformanceSuite(kind);

describe("PMEM conformance kinds", () => {
  after(() => {
    for (const { dir } of made) rmSync(dir, { recursive: true, force: true });
  });

  it("leave no file in their directories and are destroyed cleanly", () => {
    for (const { name, dir, kind } of made) {
      assert.deepEqual(readdirSync(dir), [], `${name}: the file is unlinked`);
      assert.equal(mk.memkind_destroy_kind(kind), mk.MEMKIND_SUCCESS, name);
    }
  });
});
