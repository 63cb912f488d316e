/**
 * File calls on the real kernel: O_TMPFILE, mkstemp, ftruncate, fallocate (allocate and
 * punch holes), posix_fallocate, fstat, statvfs, memfd. Holes are checked on tmpfs
 * (/dev/shm) and on the root file system and the temporary directory's (ext4 here).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  defaultPlatform,
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  O_CREAT,
  O_EXCL,
  O_RDWR,
  PlatformError,
} from "../../src/platform/index.js";
import { openFds } from "../helpers/proc.js";

const platform = defaultPlatform();
const MiB = 1024 * 1024;

function isPlatformError(code: string, call?: string) {
  return (e: unknown) =>
    e instanceof PlatformError &&
    e.code === code &&
    (call === undefined || e.call.startsWith(call));
}

/** One scratch directory per file system under test. */
const places: { name: string; dir: string }[] = [];

before(() => {
  for (const [name, parent] of [
    ["tmpfs (/dev/shm)", "/dev/shm"],
    ["the root file system (/)", "/var/tmp"],
    ["the temporary directory", tmpdir()],
  ] as const) {
    places.push({ name, dir: mkdtempSync(join(parent, "memkind-test-")) });
  }
});

after(() => {
  for (const { dir } of places) rmSync(dir, { recursive: true, force: true });
});

describe("O_TMPFILE", () => {
  it("makes an unnamed file that takes space and vanishes on close", () => {
    for (const { dir } of places) {
      const fdsBefore = openFds().length;
      const fd = platform.openTmpfile(dir);
      assert.equal(readdirSync(dir).length, 0, "no name in the directory");
      assert.equal(platform.fstat(fd).links, 0, "no link to the inode");
      platform.ftruncate(fd, 4 * MiB);
      assert.equal(platform.fstat(fd).size, 4 * MiB);
      platform.close(fd);
      assert.equal(openFds().length, fdsBefore, "the descriptor is gone");
    }
  });

  it("fails with ENOENT for a missing directory", () => {
    assert.throws(
      () => platform.openTmpfile("/nonexistent/memkind"),
      isPlatformError("ENOENT", "open("),
    );
  });

  it("fails with ENOTDIR for a path that is a file", () => {
    const { fd, path } = platform.mkstemp(join(places[0]?.dir ?? "/tmp", "fileXXXXXX"));
    try {
      assert.throws(() => platform.openTmpfile(path), isPlatformError("ENOTDIR"));
    } finally {
      platform.close(fd);
      platform.unlink(path);
    }
  });
});

describe("mkstemp, open, unlink, close", () => {
  it("creates a unique file from the template, which unlink removes", () => {
    const dir = places[0]?.dir as string;
    const a = platform.mkstemp(join(dir, "kindXXXXXX"));
    const b = platform.mkstemp(join(dir, "kindXXXXXX"));
    assert.notEqual(a.path, b.path);
    assert.match(a.path, /kind[A-Za-z0-9]{6}$/);
    assert.ok(existsSync(a.path));
    platform.unlink(a.path);
    assert.ok(!existsSync(a.path));
    assert.equal(platform.fstat(a.fd).links, 0, "the open file outlives its name");
    platform.close(a.fd);
    platform.close(b.fd);
    platform.unlink(b.path);
  });

  it("reports errors with the errno and the call", () => {
    assert.throws(
      () => platform.mkstemp("/nonexistent/kindXXXXXX"),
      isPlatformError("ENOENT", "mkstemp("),
    );
    assert.throws(
      () => platform.mkstemp("/tmp/no-template"),
      isPlatformError("EINVAL", "mkstemp("),
    );
    assert.throws(() => platform.unlink("/nonexistent/file"), isPlatformError("ENOENT", "unlink("));
    assert.throws(() => platform.close(99999), isPlatformError("EBADF", "close("));
    const dir = places[0]?.dir as string;
    const fd = platform.open(join(dir, "exclusive"), O_RDWR | O_CREAT | O_EXCL);
    assert.throws(
      () => platform.open(join(dir, "exclusive"), O_RDWR | O_CREAT | O_EXCL),
      isPlatformError("EEXIST"),
    );
    platform.close(fd);
    platform.unlink(join(dir, "exclusive"));
  });
});

describe("fallocate, posix_fallocate and fstat blocks", () => {
  it("allocating raises the blocks, punching a hole lowers them and keeps the size", () => {
    for (const { name, dir } of places) {
      const fd = platform.openTmpfile(dir);
      try {
        platform.fallocate(fd, 0, 0, 8 * MiB);
        const full = platform.fstat(fd);
        assert.equal(full.size, 8 * MiB, name);
        assert.ok(full.blocks * 512 >= 8 * MiB, `${name}: 8 MiB allocated (${full.blocks} blocks)`);
        platform.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * MiB, 4 * MiB);
        const punched = platform.fstat(fd);
        assert.equal(punched.size, 8 * MiB, `${name}: size kept`);
        assert.ok(
          full.blocks - punched.blocks >= (4 * MiB) / 512,
          `${name}: ${full.blocks} -> ${punched.blocks} blocks after a 4 MiB hole`,
        );
      } finally {
        platform.close(fd);
      }
    }
  });

  it("posix_fallocate grows the file and allocates its blocks", () => {
    for (const { name, dir } of places) {
      const fd = platform.openTmpfile(dir);
      try {
        platform.posixFallocate(fd, 0, 3 * MiB);
        const stat = platform.fstat(fd);
        assert.equal(stat.size, 3 * MiB, name);
        assert.ok(stat.blocks * 512 >= 3 * MiB, name);
      } finally {
        platform.close(fd);
      }
    }
  });

  it("ftruncate sets the size without allocating", () => {
    const fd = platform.openTmpfile(places[0]?.dir as string);
    try {
      platform.ftruncate(fd, 64 * MiB);
      const stat = platform.fstat(fd);
      assert.equal(stat.size, 64 * MiB);
      assert.equal(stat.blocks, 0);
      assert.ok(stat.blockSize > 0);
    } finally {
      platform.close(fd);
    }
  });

  it("reports errors with the errno", () => {
    assert.throws(
      () => platform.fallocate(99999, 0, 0, 4096),
      isPlatformError("EBADF", "fallocate("),
    );
    assert.throws(
      () => platform.posixFallocate(99999, 0, 4096),
      isPlatformError("EBADF", "posix_fallocate("),
    );
    assert.throws(() => platform.ftruncate(99999, 4096), isPlatformError("EBADF", "ftruncate("));
    assert.throws(() => platform.fstat(99999), isPlatformError("EBADF", "fstat("));
    const fd = platform.openTmpfile(places[0]?.dir as string);
    try {
      assert.throws(() => platform.fallocate(fd, 0, 0, 0), isPlatformError("EINVAL"));
      assert.throws(
        () => platform.fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096),
        isPlatformError("EOPNOTSUPP"),
      );
      assert.throws(() => platform.ftruncate(fd, -1), isPlatformError("EINVAL"));
    } finally {
      platform.close(fd);
    }
  });

  it("a full file system reports ENOSPC and leaves the file as it was", () => {
    const fd = platform.openTmpfile("/dev/shm");
    try {
      const free = platform.statvfs("/dev/shm").availableBytes;
      assert.throws(
        () => platform.fallocate(fd, 0, 0, free + 1024 * MiB),
        isPlatformError("ENOSPC"),
      );
      assert.equal(platform.fstat(fd).size, 0);
    } finally {
      platform.close(fd);
    }
  });
});

describe("statvfs", () => {
  it("agrees with Node's statfs", () => {
    for (const { name, dir } of places) {
      const ours = platform.statvfs(dir);
      const node = statfsSync(dir);
      assert.equal(ours.blockSize, node.bsize, name);
      assert.equal(ours.totalBytes, node.blocks * node.bsize, name);
      assert.equal(ours.files, node.files, name);
      assert.ok(ours.availableBytes <= ours.freeBytes, name);
      assert.ok(ours.nameMax >= 255, name);
    }
  });

  it("fails with ENOENT for a missing path", () => {
    assert.throws(
      () => platform.statvfs("/nonexistent/memkind"),
      isPlatformError("ENOENT", "statvfs("),
    );
  });
});

describe("memfd_create", () => {
  it("makes an anonymous file that can be sized and closed", () => {
    const fd = platform.memfdCreate("memkind", 0);
    platform.ftruncate(fd, MiB);
    assert.equal(platform.fstat(fd).size, MiB);
    platform.close(fd);
  });

  it("rejects unknown flags with EINVAL", () => {
    assert.throws(
      () => platform.memfdCreate("memkind", 0x4000_0000),
      isPlatformError("EINVAL", "memfd_create("),
    );
  });
});
