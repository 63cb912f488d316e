/**
 * mmap, munmap, mprotect, madvise and zero-copy views on the real kernel, checked against
 * /proc/self/smaps.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  defaultPlatform,
  MADV_DONTNEED,
  MADV_FREE,
  MADV_HUGEPAGE,
  MADV_NOHUGEPAGE,
  MADV_REMOVE,
  MAP_ANONYMOUS,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  MAP_SHARED,
  PlatformError,
  PROT_READ,
  PROT_WRITE,
} from "../../src/platform/index.js";
import { isMapped, smapsEntry } from "../helpers/proc.js";

const platform = defaultPlatform();
const page = platform.pageSize;
const RW = PROT_READ | PROT_WRITE;

function anonymous(length: number): number {
  return platform.mmap(0, length, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

function touch(addr: number, length: number, value = 1): Uint8Array {
  const bytes = platform.view(addr, length);
  for (let offset = 0; offset < length; offset += page) bytes[offset] = value;
  return bytes;
}

describe("sysconf page size", () => {
  it("is the kernel's base page size", () => {
    assert.equal(page, 4096);
  });
});

describe("mmap and munmap", () => {
  it("maps page-aligned anonymous memory that the kernel lists", () => {
    const addr = anonymous(16 * page);
    try {
      assert.equal(addr % page, 0);
      assert.ok(addr > 0 && addr < 2 ** 47, "a user-space address exact in a double");
      const entry = smapsEntry(addr);
      assert.ok(entry.start <= addr && entry.end >= addr + 16 * page);
      assert.equal(entry.perms.slice(0, 2), "rw");
    } finally {
      platform.munmap(addr, 16 * page);
    }
    assert.equal(isMapped(addr), false);
  });

  it("gives views that read and write the mapping without copying", () => {
    const addr = anonymous(page);
    try {
      const a = platform.view(addr, page);
      const b = new Uint32Array(platform.view(addr, page).buffer);
      assert.equal(a[100], 0, "fresh anonymous memory is zero");
      b[1] = 0xdeadbeef;
      assert.deepEqual([...a.subarray(4, 8)], [0xef, 0xbe, 0xad, 0xde]);
    } finally {
      platform.munmap(addr, page);
    }
  });

  it("honours MAP_FIXED_NOREPLACE and reports EEXIST on an occupied range", () => {
    const addr = anonymous(2 * page);
    try {
      assert.throws(
        () =>
          platform.mmap(addr, page, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
        (e: unknown) =>
          e instanceof PlatformError && e.code === "EEXIST" && e.call.startsWith("mmap("),
      );
    } finally {
      platform.munmap(addr, 2 * page);
    }
  });

  it("fails with ENOMEM for a mapping larger than the address space", () => {
    assert.throws(
      () => anonymous(2 ** 52),
      (e: unknown) => e instanceof PlatformError && e.code === "ENOMEM",
    );
  });

  it("fails with EINVAL for a zero length or an unaligned munmap", () => {
    assert.throws(
      () => anonymous(0),
      (e: unknown) => e instanceof PlatformError && e.code === "EINVAL",
    );
    const addr = anonymous(page);
    try {
      assert.throws(
        () => platform.munmap(addr + 1, page),
        (e: unknown) =>
          e instanceof PlatformError &&
          e.code === "EINVAL" &&
          /munmap\(0x[0-9a-f]+, 4096\)/.test(e.call),
      );
    } finally {
      platform.munmap(addr, page);
    }
  });
});

describe("mprotect", () => {
  it("changes the protection the kernel shows", () => {
    const addr = anonymous(page);
    try {
      platform.mprotect(addr, page, PROT_READ);
      assert.equal(smapsEntry(addr).perms.slice(0, 2), "r-");
      platform.mprotect(addr, page, RW);
      assert.equal(smapsEntry(addr).perms.slice(0, 2), "rw");
    } finally {
      platform.munmap(addr, page);
    }
  });

  it("fails with EINVAL for an unaligned address", () => {
    const addr = anonymous(page);
    try {
      assert.throws(
        () => platform.mprotect(addr + 8, page, PROT_READ),
        (e: unknown) => e instanceof PlatformError && e.code === "EINVAL",
      );
    } finally {
      platform.munmap(addr, page);
    }
  });
});

describe("madvise", () => {
  const length = 256 * page;

  it("DONTNEED drops resident pages and leaves zero pages", () => {
    const addr = anonymous(length);
    try {
      const bytes = touch(addr, length, 7);
      const before = smapsEntry(addr).rss;
      assert.ok(before >= length, `all ${length} bytes resident after touching (rss ${before})`);
      platform.madvise(addr, length, MADV_DONTNEED);
      assert.ok(smapsEntry(addr).rss < before / 8, "resident memory falls");
      assert.equal(bytes[0], 0);
      assert.equal(bytes[length - page], 0);
    } finally {
      platform.munmap(addr, length);
    }
  });

  it("FREE is accepted on private anonymous memory and keeps the mapping usable", () => {
    const addr = anonymous(length);
    try {
      const bytes = touch(addr, length, 9);
      platform.madvise(addr, length, MADV_FREE);
      bytes[0] = 3; // writing after MADV_FREE cancels the free for that page
      assert.equal(bytes[0], 3);
    } finally {
      platform.munmap(addr, length);
    }
  });

  it("REMOVE frees the backing of a shared mapping", () => {
    const fd = platform.memfdCreate("memkind-test", 0);
    try {
      platform.ftruncate(fd, length);
      const addr = platform.mmap(0, length, RW, MAP_SHARED, fd, 0);
      try {
        touch(addr, length, 5);
        assert.ok(platform.fstat(fd).blocks * 512 >= length);
        platform.madvise(addr, length, MADV_REMOVE);
        assert.equal(platform.fstat(fd).blocks, 0, "the memfd's blocks are freed");
        assert.equal(platform.view(addr, page)[0], 0);
      } finally {
        platform.munmap(addr, length);
      }
    } finally {
      platform.close(fd);
    }
  });

  it("REMOVE fails with EINVAL on private anonymous memory", () => {
    const addr = anonymous(page);
    try {
      assert.throws(
        () => platform.madvise(addr, page, MADV_REMOVE),
        (e: unknown) => e instanceof PlatformError && e.code === "EINVAL",
      );
    } finally {
      platform.munmap(addr, page);
    }
  });

  it("HUGEPAGE and NOHUGEPAGE set the flags the kernel shows", () => {
    const addr = anonymous(length);
    try {
      platform.madvise(addr, length, MADV_HUGEPAGE);
      assert.ok(smapsEntry(addr).flags.includes("hg"));
      platform.madvise(addr, length, MADV_NOHUGEPAGE);
      assert.ok(smapsEntry(addr).flags.includes("nh"));
      assert.ok(!smapsEntry(addr).flags.includes("hg"));
    } finally {
      platform.munmap(addr, length);
    }
  });

  it("fails with EINVAL for an unknown advice", () => {
    const addr = anonymous(page);
    try {
      assert.throws(
        () => platform.madvise(addr, page, 12345),
        (e: unknown) =>
          e instanceof PlatformError && e.code === "EINVAL" && e.call.includes("12345"),
      );
    } finally {
      platform.munmap(addr, page);
    }
  });
});
