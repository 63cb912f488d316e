/**
 * The conformance suite against PMEM kinds: one on tmpfs (/dev/shm) and one on the root file
 * system (/var/tmp, ext4 here), unlimited, and one limited to 32 MiB on tmpfs, small enough
 * that the suite reaches the limit: the posix-memalign test needs a chunk aligned for each
 * alignment above 4 MiB, so the limited kind must give wholly free chunks back (purging its
 * dirty runs when the limit refuses a chunk) for the suite to pass.
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
    name: "tmpfs, 32 MiB",
    dir: mkdtempSync(join("/dev/shm", "memkind-pmem-")),
    maxSize: 32 << 20,
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
