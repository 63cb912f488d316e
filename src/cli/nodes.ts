/**
 * `memkind hbw-nodes` and `memkind dax-kmem-nodes`: upstream's memkind-hbw-nodes and
 * memkind-auto-dax-kmem-nodes (reference section 3), with their output and exit codes.
 */
import { stderr, stdout } from "node:process";
import { daxKmemNodes, hbwNodes, initiators } from "../kinds/nodes.js";
import { defaultPlatform, machineIsXeonPhi, machineTopology } from "../platform/index.js";

const HBW_USAGE = `Usage: memkind hbw-nodes [-h|--help]
Prints a comma-separated list of the high-bandwidth NUMA nodes: the union, over the nodes
with CPUs, of the HBW nodes chosen for them (MEMKIND_HBW_NODES, or HMAT bandwidth at or above
MEMKIND_HBW_THRESHOLD). Exit status: 0 success, 1 no HBW nodes, 2 invalid argument.
`;

const DAX_USAGE = `Usage: memkind dax-kmem-nodes [-h|--help]
Prints a comma-separated list of the NUMA nodes of persistent or CXL memory onlined as system
RAM (dax devices bound to kmem, or MEMKIND_DAX_KMEM_NODES), for the CPU it runs on.
Exit status: 0 success, 2 invalid argument, 3 no such nodes.
`;

/** memkind-hbw-nodes: help exits 2, as upstream. */
export function hbwNodesCommand(args: readonly string[]): number {
  if (args.length > 0) {
    (args[0] === "-h" || args[0] === "--help" ? stdout : stderr).write(HBW_USAGE);
    return 2;
  }
  const topology = machineTopology();
  const choice = hbwNodes(topology, process.env, "ALL", machineIsXeonPhi());
  if (!choice.ok) {
    stderr.write(`memkind hbw-nodes: ${choice.message}\n`);
    return 1;
  }
  const union = new Set<number>();
  for (const initiator of initiators(topology))
    for (const node of choice.byInitiator.get(initiator) ?? []) union.add(node);
  stdout.write(`${[...union].sort((a, b) => a - b).join(",")}\n`);
  return 0;
}

/** memkind-auto-dax-kmem-nodes: help exits 0, as upstream. */
export function daxKmemNodesCommand(args: readonly string[]): number {
  if (args.length > 0) {
    if (args[0] === "-h" || args[0] === "--help") {
      stdout.write(DAX_USAGE);
      return 0;
    }
    stderr.write(DAX_USAGE);
    return 2;
  }
  const choice = daxKmemNodes(machineTopology(), process.env, "ALL");
  if (!choice.ok) {
    stderr.write(`memkind dax-kmem-nodes: ${choice.message}\n`);
    return 3;
  }
  const nodes = choice.byInitiator.get(defaultPlatform().getcpu().node) ?? [];
  stdout.write(`${nodes.join(",")}\n`);
  return 0;
}
