/**
 * In the NUMA VM: the conformance suite against the kinds whose memory only this topology
 * has (HBW, DAX KMEM and the HMAT-based *_LOCAL kinds), wherever they are available.
 */
import { currentTopology } from "./topologies.js";

process.env.MEMKIND_HBW_THRESHOLD = "50000";

const { conformanceSuite } = await import("../helpers/conformance.js");
const mk = await import("../../src/c.js");

if (currentTopology()) {
  for (const kind of [
    mk.MEMKIND_HBW,
    mk.MEMKIND_HBW_PREFERRED,
    mk.MEMKIND_HBW_INTERLEAVE,
    mk.MEMKIND_DAX_KMEM,
    mk.MEMKIND_DAX_KMEM_PREFERRED,
    mk.MEMKIND_HIGHEST_BANDWIDTH_LOCAL,
    mk.MEMKIND_LOWEST_LATENCY_LOCAL,
  ]) {
    if (mk.memkind_check_available(kind) === mk.MEMKIND_SUCCESS) conformanceSuite(kind);
  }
}
