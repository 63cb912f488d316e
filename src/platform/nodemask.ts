/**
 * Kernel node masks (`unsigned long *nodemask, unsigned long maxnode` of mbind,
 * set_mempolicy and get_mempolicy) and the kernel's list format ("0-3,8,10-11").
 *
 * A mask is an array of 64-bit words, node n at bit (n mod 64) of word floor(n / 64):
 *
 *   word 0                       word 1
 *   ┌─────────────────────────┐  ┌─────────────────────────┐
 *   │ bit 63 ...   bit 1 bit 0│  │ bit 63 ...        bit 0 │  ...  MASK_WORDS words
 *   │ node 63      node 1 node0│  │ node 127          node 64│
 *   └─────────────────────────┘  └─────────────────────────┘
 */

/** Nodes a mask can name: the kernel's largest CONFIG_NODES_SHIFT (10) gives 1024. */
export const MAX_NODES = 1024;
const MASK_WORDS = MAX_NODES / 64;

/** A kernel node mask for `nodes`, ready to pass as `const unsigned long *`. */
export function toNodeMask(nodes: Iterable<number>): BigUint64Array {
  const mask = new BigUint64Array(MASK_WORDS);
  for (const node of nodes) {
    if (!Number.isInteger(node) || node < 0 || node >= MAX_NODES) {
      throw new RangeError(`node ${node} is outside 0..${MAX_NODES - 1}`);
    }
    const word = Math.floor(node / 64);
    mask[word] = (mask[word] ?? 0n) | (1n << BigInt(node % 64));
  }
  return mask;
}

/** The nodes set in a kernel node mask, ascending. */
export function fromNodeMask(mask: BigUint64Array): number[] {
  const nodes: number[] = [];
  for (let word = 0; word < mask.length; word++) {
    let bits = mask[word] ?? 0n;
    for (let bit = 0; bits !== 0n; bit++, bits >>= 1n) {
      if (bits & 1n) nodes.push(word * 64 + bit);
    }
  }
  return nodes;
}

/**
 * The `maxnode` argument for a mask of MAX_NODES bits. mbind and set_mempolicy read
 * `maxnode - 1` bits (a kernel quirk that libnuma also works around), get_mempolicy needs
 * `maxnode >= nr_node_ids`; MAX_NODES + 1 satisfies both.
 */
export const MASK_MAXNODE = MAX_NODES + 1;

/**
 * Parses the kernel's list format ("0-3,8,10-11", "" or "\n" for none) into ascending ids.
 * Throws a RangeError naming the text on anything else.
 */
export function parseList(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const ids = new Set<number>();
  for (const part of trimmed.split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new RangeError(`invalid list "${trimmed}": bad part "${part}"`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first)
      throw new RangeError(`invalid list "${trimmed}": range "${part}" runs backwards`);
    for (let id = first; id <= last; id++) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** Formats ascending ids in the kernel's list format: [0,1,2,3,8] -> "0-3,8". */
export function formatList(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i] as number;
    let last = first;
    while (i + 1 < sorted.length && sorted[i + 1] === last + 1) last = sorted[++i] as number;
    parts.push(first === last ? `${first}` : `${first}-${last}`);
    i++;
  }
  return parts.join(",");
}
