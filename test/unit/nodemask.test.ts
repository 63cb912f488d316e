import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  formatList,
  fromNodeMask,
  MAX_NODES,
  parseList,
  toNodeMask,
} from "../../src/platform/index.js";

describe("kernel list format", () => {
  it("parses single ids, ranges and mixtures", () => {
    assert.deepEqual(parseList("0"), [0]);
    assert.deepEqual(parseList("0-3,8,10-11\n"), [0, 1, 2, 3, 8, 10, 11]);
    assert.deepEqual(parseList("5,1"), [1, 5]);
  });

  it("reads an empty file as no ids", () => {
    assert.deepEqual(parseList(""), []);
    assert.deepEqual(parseList("\n"), []);
  });

  it("rejects malformed lists with the offending part named", () => {
    assert.throws(() => parseList("0-"), /bad part "0-"/);
    assert.throws(() => parseList("a"), /bad part "a"/);
    assert.throws(() => parseList("3-1"), /runs backwards/);
    assert.throws(() => parseList("1,,2"), /bad part ""/);
  });

  it("formats ranges compactly", () => {
    assert.equal(formatList([0, 1, 2, 3, 8]), "0-3,8");
    assert.equal(formatList([]), "");
    assert.equal(formatList([3, 1, 2, 2]), "1-3");
  });

  it("round-trips any id set", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(2000)), (ids) => {
        const sorted = [...ids].sort((a, b) => a - b);
        assert.deepEqual(parseList(formatList(ids)), sorted);
      }),
    );
  });
});

describe("kernel node masks", () => {
  it("sets bit n of word n/64", () => {
    const mask = toNodeMask([0, 1, 63, 64, 130]);
    assert.equal(mask[0], (1n << 63n) | 3n);
    assert.equal(mask[1], 1n);
    assert.equal(mask[2], 1n << 2n);
  });

  it("round-trips any node set", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: MAX_NODES - 1 })), (nodes) => {
        assert.deepEqual(
          fromNodeMask(toNodeMask(nodes)),
          [...nodes].sort((a, b) => a - b),
        );
      }),
    );
  });

  it("rejects nodes outside the mask", () => {
    assert.throws(() => toNodeMask([MAX_NODES]), RangeError);
    assert.throws(() => toNodeMask([-1]), RangeError);
    assert.throws(() => toNodeMask([1.5]), RangeError);
  });
});
