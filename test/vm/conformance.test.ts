/**
 * In the NUMA VM: the conformance suite against every static kind available in this
 * topology (the huge-page kinds have their own tests: they need a reserved pool).
 */
import { currentTopology } from "./topologies.js";

process.env.MEMKIND_HBW_THRESHOLD = "50000";

const { conformanceSuite } = await import("../helpers/conformance.js");
const mk = await import("../../src/c.js");
const { STATIC_KINDS } = await import("../../src/kinds/static-kinds.js");

if (currentTopology()) {
  for (const kind of STATIC_KINDS) {
    if (kind.name.includes("hugetlb")) continue;
    if (mk.memkind_check_available(kind) === mk.MEMKIND_SUCCESS) conformanceSuite(kind);
  }
}
