/**
 * The conformance suite against every static kind available on this one-node machine, with
 * node 0 named the HBW and DAX KMEM node (MEMKIND_HBW_NODES=0, MEMKIND_DAX_KMEM_NODES=0, set
 * before any kind detects its nodes). The huge-page kinds have their own test (they need a
 * reserved pool); kinds without HMAT here (the bandwidth and latency *_LOCAL ones) are
 * unavailable and covered in the VM suite.
 */
import { conformanceSuite } from "../helpers/conformance.js";

process.env.MEMKIND_HBW_NODES = "0";
process.env.MEMKIND_DAX_KMEM_NODES = "0";

const mk = await import("../../src/c.js");
const { STATIC_KINDS } = await import("../../src/kinds/static-kinds.js");

for (const kind of STATIC_KINDS) {
  if (kind === mk.MEMKIND_DEFAULT || kind === mk.MEMKIND_REGULAR) continue; // conformance.test.ts
  if (kind.name.includes("hugetlb")) continue;
  if (mk.memkind_check_available(kind) !== mk.MEMKIND_SUCCESS) continue;
  conformanceSuite(kind);
}
