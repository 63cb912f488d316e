import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errnoName, errnoValue, PlatformError } from "../../src/platform/index.js";

describe("errno names", () => {
  it("names Linux errno values as glibc does", () => {
    assert.equal(errnoName(12), "ENOMEM");
    assert.equal(errnoName(22), "EINVAL");
    assert.equal(errnoName(95), "EOPNOTSUPP");
    assert.equal(errnoName(11), "EAGAIN");
    assert.equal(errnoName(9999), "E9999");
  });

  it("maps names back to values and rejects unknown names", () => {
    assert.equal(errnoValue("ENOENT"), 2);
    assert.throws(() => errnoValue("ENOTANERRNO"), RangeError);
  });

  it("carries the call, the errno and its name", () => {
    const error = new PlatformError(
      "mbind(0x1000, 4096, MPOL_BIND, {5}, 0)",
      22,
      "Invalid argument",
    );
    assert.equal(error.code, "EINVAL");
    assert.equal(error.errno, 22);
    assert.equal(error.call, "mbind(0x1000, 4096, MPOL_BIND, {5}, 0)");
    assert.equal(
      error.message,
      "mbind(0x1000, 4096, MPOL_BIND, {5}, 0) failed: EINVAL (Invalid argument)",
    );
    assert.ok(error instanceof Error);
  });
});
