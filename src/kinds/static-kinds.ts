/**
 * The static kinds, in registry order (partition index = position, reference section 1.3).
 * This file grows kind by kind; a kind not defined yet is not exported.
 */

import { defaultPlatform, MPOL_BIND, machineTopology } from "../platform/index.js";
import { AnonymousProvider } from "../providers/anonymous.js";
import { Kind } from "./kind.js";

/** MEMKIND_DEFAULT: the kernel's default policy, no mbind (plain jemalloc upstream). */
export const MEMKIND_DEFAULT = new Kind(0, {
  name: "memkind_default",
  provider: () => new AnonymousProvider(defaultPlatform()),
  isDefault: true,
});

/** MEMKIND_REGULAR: MPOL_BIND to every node that has at least one CPU. */
export const MEMKIND_REGULAR = new Kind(8, {
  name: "memkind_regular",
  provider: () =>
    new AnonymousProvider(defaultPlatform(), { mode: MPOL_BIND, nodes: regularNodes() }),
});

/** Nodes with CPUs (upstream: numa_node_of_cpu over every configured CPU). */
export function regularNodes(): number[] {
  return [...machineTopology().withCpu];
}

/** The static kinds defined so far, by partition. */
export const STATIC_KINDS: readonly Kind[] = [MEMKIND_DEFAULT, MEMKIND_REGULAR];
