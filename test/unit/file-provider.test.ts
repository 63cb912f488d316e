/**
 * FileProvider over SimulatedPlatform: the provider's own rules (alignment, max_size, file
 * ranges, holes, EFBIG, ENOSPC, closing), fast and on a file system that can be made full or
 * small. The same behaviour on real files is in test/kernel/pmem*.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PlatformError, SimulatedPlatform } from "../../src/platform/index.js";
import { FileProvider } from "../../src/providers/file.js";
import { fixtureRoot } from "../helpers/paths.js";

const MiB = 1024 * 1024;
const SLOT = 4 * MiB;
const code = (name: string) => (e: unknown) => e instanceof PlatformError && e.code === name;

/** A machine with a /pmem directory of `capacity` bytes and a provider over a file in it. */
function setup(maxSize = 0, capacity = 256 * MiB, os = machine(capacity)) {
  const temp = os.mkstemp("/pmem/memkind.XXXXXX");
  os.unlink(temp.path);
  const provider = new FileProvider(os, { dir: "/pmem", fd: temp.fd, maxSize });
  return { os, provider, fd: temp.fd };
}

function machine(capacity: number): SimulatedPlatform {
  return new SimulatedPlatform({
    sysfsRoot: fixtureRoot("host"),
    directories: { "/pmem": capacity },
  });
}

/** A file system whose largest file is `largest` bytes (ftruncate beyond it: EFBIG). */
class SmallFilesPlatform extends SimulatedPlatform {
  constructor(private readonly largest: number) {
    super({ sysfsRoot: fixtureRoot("host"), directories: { "/pmem": 256 * MiB } });
  }

  override ftruncate(fd: number, length: number): void {
    if (length > this.largest) throw new PlatformError(`ftruncate(${fd}, ${length})`, 27);
    super.ftruncate(fd, length);
  }
}

describe("FileProvider", () => {
  it("maps chunks at the requested alignment, sizing the file but allocating no blocks", () => {
    const { os, provider, fd } = setup();
    for (const alignment of [SLOT, 8 * MiB, 64 * MiB]) {
      const addr = provider.map(SLOT, alignment);
      assert.equal(addr % alignment, 0, `aligned to ${alignment}`);
    }
    assert.equal(provider.mappedBytes, 3 * SLOT);
    assert.equal(os.fstat(fd).size, 3 * SLOT, "the file spans the chunks");
    assert.equal(provider.allocatedBytes(), 0, "mapping a chunk leaves its range a hole");
  });

  it("commit allocates a run's blocks; purge punches them out again", () => {
    const { provider } = setup();
    const addr = provider.map(SLOT, SLOT);
    provider.commit(addr + 8192, 3 * 4096);
    assert.equal(provider.allocatedBytes(), 3 * 4096);
    provider.purge(addr + 8192, 2 * 4096);
    assert.equal(provider.allocatedBytes(), 4096);
  });

  it("commit outside a chunk is a heap invariant broken, not a silent write elsewhere", () => {
    const { provider } = setup();
    const addr = provider.map(SLOT, SLOT);
    assert.throws(() => provider.commit(addr + SLOT, 4096), /not inside a chunk/);
    assert.throws(() => provider.commit(addr + SLOT - 4096, 8192), /not inside a chunk/);
  });

  it("refuses a chunk that would take the mapped bytes past max_size (ENOMEM) and stays usable", () => {
    const { provider } = setup(3 * SLOT);
    const a = provider.map(2 * SLOT, SLOT);
    provider.map(SLOT, SLOT);
    assert.throws(() => provider.map(SLOT, SLOT), code("ENOMEM"));
    assert.equal(provider.mappedBytes, 3 * SLOT);
    provider.unmap(a, 2 * SLOT);
    assert.equal(provider.mappedBytes, SLOT, "unmapping gives the chunk's share back");
    provider.map(2 * SLOT, SLOT);
  });

  it("reuses the punched range of an unmapped chunk before growing the file, and shrinks a free tail", () => {
    const { os, provider, fd } = setup();
    const a = provider.map(SLOT, SLOT);
    const b = provider.map(SLOT, SLOT);
    provider.commit(a, SLOT);
    provider.unmap(a, SLOT);
    assert.equal(provider.allocatedBytes(), 0, "the range was punched");
    provider.map(SLOT, SLOT);
    assert.equal(os.fstat(fd).size, 2 * SLOT, "the freed range was reused");
    provider.unmap(b, SLOT);
    assert.equal(os.fstat(fd).size, SLOT, "a free tail is cut off the file");
  });

  it("a chunk's reused range reads as zeros", () => {
    const { os, provider } = setup();
    const a = provider.map(SLOT, SLOT);
    provider.commit(a, SLOT);
    os.view(a, SLOT).fill(7);
    provider.unmap(a, SLOT);
    const b = provider.map(SLOT, SLOT);
    provider.commit(b, SLOT);
    assert.ok(os.view(b, SLOT).every((byte) => byte === 0));
  });

  it("on EFBIG maps from a further file, closed once nothing maps it (upstream re-creates its file)", () => {
    const os = new SmallFilesPlatform(2 * SLOT);
    const { provider, fd } = setup(0, 0, os);
    const a = provider.map(SLOT, SLOT);
    provider.map(SLOT, SLOT);
    const c = provider.map(SLOT, SLOT);
    assert.equal(provider.fds.length, 2, "a second file");
    assert.equal(provider.fds[0], fd, "the first file, which names the kind, stays");
    provider.unmap(a, SLOT);
    const d = provider.map(SLOT, SLOT);
    assert.equal(provider.fds.length, 2, "the first file's free range is reused");
    provider.unmap(c, SLOT);
    provider.unmap(d, SLOT);
    assert.equal(provider.fds.length, 2, "the current file stays open");
    provider.close();
    assert.throws(() => os.fstat(fd), code("EBADF"));
  });

  it("a full file system fails the commit with ENOSPC and leaves no blocks behind", () => {
    const { provider } = setup(0, 2 * MiB);
    const addr = provider.map(SLOT, SLOT);
    assert.throws(() => provider.commit(addr, 3 * MiB), code("ENOSPC"));
    assert.equal(provider.allocatedBytes(), 0);
    provider.commit(addr, MiB);
    assert.equal(provider.allocatedBytes(), MiB);
  });

  it("a large commit beyond the free space is refused before any block is allocated", () => {
    const { provider } = setup(0, 32 * MiB);
    const addr = provider.map(16 * SLOT, SLOT);
    assert.throws(
      () => provider.commit(addr, 16 * SLOT),
      (e: unknown) => code("ENOSPC")(e) && /bytes free/.test(String(e)),
    );
    assert.equal(provider.allocatedBytes(), 0);
  });

  it("close closes every file once and refuses new chunks", () => {
    const { os, provider, fd } = setup();
    provider.close();
    provider.close();
    assert.throws(() => os.fstat(fd), code("EBADF"));
    assert.throws(() => provider.map(SLOT, SLOT), code("ENOMEM"));
  });

  it("unmap of something that is not a chunk is a heap invariant broken", () => {
    const { provider } = setup();
    const addr = provider.map(SLOT, SLOT);
    assert.throws(() => provider.unmap(addr, 2 * SLOT), /not a chunk/);
    assert.throws(() => provider.unmap(addr + SLOT, SLOT), /not a chunk/);
  });
});
