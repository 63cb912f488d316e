/**
 * Node detection for the static kinds (reference/memkind.md section 3), from a Topology
 * (platform/topology.ts reads it from sysfs) and the environment, with no libnuma, hwloc or
 * libdaxctl. Every function is pure: tests run it on topologies recorded from real kernels.
 *
 * Results are per initiator (a node with CPUs): a kind uses the nodes chosen for the node of
 * the CPU the allocating thread runs on, as upstream does.
 */
import { parseList } from "../platform/nodemask.js";
import type { NumaNode, Topology } from "../platform/topology.js";
import { strtoul } from "./env.js";
import {
  MEMKIND_ERROR_ENVIRON,
  MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
  MEMKIND_ERROR_RUNTIME,
  MEMKIND_ERROR_UNAVAILABLE,
} from "./errors.js";

/** MULTIPLE: the closest nodes (ties kept); SINGLE: exactly one closest; ALL: every one. */
export type Variant = "MULTIPLE" | "SINGLE" | "ALL";

/** Nodes chosen per initiator node, or why there are none. */
export type NodeChoice =
  | { readonly ok: true; readonly byInitiator: ReadonlyMap<number, readonly number[]> }
  | { readonly ok: false; readonly error: number; readonly message: string };

function failure(error: number, message: string): NodeChoice {
  return { ok: false, error, message };
}

/** Nodes with CPUs, ascending: the initiators. */
export function initiators(topology: Topology): number[] {
  return topology.nodes.filter((node) => node.cpus.length > 0).map((node) => node.id);
}

function nodeById(topology: Topology, id: number): NumaNode | undefined {
  return topology.nodes.find((node) => node.id === id);
}

function distance(topology: Topology, from: number, to: number): number {
  return nodeById(topology, from)?.distances[to] ?? Number.POSITIVE_INFINITY;
}

/**
 * libnuma's numa_parse_nodestring for the forms memkind users write: "1", "1-3,5", "all",
 * and a leading "!" for the complement. Every node must exist. Returns undefined for
 * anything else (upstream: a NULL mask, so MEMKIND_ERROR_ENVIRON).
 */
export function parseNodeString(text: string, topology: Topology): number[] | undefined {
  const known = topology.nodes.map((node) => node.id);
  let body = text.trim();
  const invert = body.startsWith("!");
  if (invert) body = body.slice(1);
  let nodes: number[];
  if (body === "all") {
    nodes = known;
  } else {
    try {
      nodes = parseList(body);
    } catch {
      return undefined;
    }
  }
  if (nodes.length === 0 || nodes.some((node) => !known.includes(node))) return undefined;
  return invert ? known.filter((node) => !nodes.includes(node)) : nodes;
}

/**
 * Upstream's set_closest_numanode: for every initiator, of `destinations` the ones at the
 * smallest SLIT distance (MULTIPLE), that one if unique (SINGLE, else MEMKIND_ERROR_RUNTIME),
 * or all of them (ALL). An initiator with no destination gets an empty set.
 */
export function closestNodes(
  topology: Topology,
  destinations: readonly number[],
  variant: Variant,
): NodeChoice {
  const byInitiator = new Map<number, readonly number[]>();
  for (const initiator of initiators(topology)) {
    if (variant === "ALL") {
      byInitiator.set(initiator, [...destinations]);
      continue;
    }
    const nearest = Math.min(...destinations.map((node) => distance(topology, initiator, node)));
    const closest = destinations.filter((node) => distance(topology, initiator, node) === nearest);
    if (variant === "SINGLE" && closest.length > 1) {
      return failure(MEMKIND_ERROR_RUNTIME, `Invalid Numa Configuration for Node ${initiator}`);
    }
    byInitiator.set(initiator, closest);
  }
  return { ok: true, byInitiator };
}

/**
 * HMAT performance of `target` seen from `initiator`, as Linux exposes it: only for the
 * target's best initiators (access class 1, CPU initiators; class 0 where class 1 is absent).
 * Bandwidth is the mean of read and write bandwidth (MB/s), latency likewise (ns).
 */
export function hmatFrom(
  topology: Topology,
  initiator: number,
  target: number,
): { bandwidth?: number; latency?: number } | undefined {
  const node = nodeById(topology, target);
  const access = node?.access1 ?? node?.access0;
  if (!access?.initiators.includes(initiator)) return undefined;
  const mean = (a?: number, b?: number) =>
    a === undefined ? b : b === undefined ? a : (a + b) / 2;
  const bandwidth = mean(access.readBandwidth, access.writeBandwidth);
  const latency = mean(access.readLatency, access.writeLatency);
  return {
    ...(bandwidth === undefined ? {} : { bandwidth }),
    ...(latency === undefined ? {} : { latency }),
  };
}

/** MEMKIND_HBW_THRESHOLD default: 200 GB/s in MB/s. */
export const DEFAULT_HBW_THRESHOLD = 204800;
const UINT_MAX = 2n ** 32n - 1n;

/**
 * Upstream's legacy rule for Xeon Phi (Knights Landing / Mill) CPUs: the CPU-less nodes are
 * the MCDRAM, valid only with 2, 4 or 8 nodes of which exactly half have no CPUs.
 */
function xeonPhiHbwNodes(topology: Topology, variant: Variant): NodeChoice {
  const count = topology.nodes.length;
  const cpuless = topology.nodes.filter((node) => node.cpus.length === 0).map((node) => node.id);
  if (![2, 4, 8].includes(count) || cpuless.length * 2 !== count) {
    return failure(
      MEMKIND_ERROR_UNAVAILABLE,
      "High Bandwidth Memory is not supported by this NUMA configuration.",
    );
  }
  return closestNodes(topology, cpuless, variant);
}

/**
 * HBW nodes (section 3.1). MEMKIND_HBW_NODES, when set, names them (closest by distance); on
 * a Xeon Phi CPU, or where the kernel shows no HMAT attributes, the CPU-less nodes are (the
 * legacy rule); otherwise each initiator's HBW nodes are the targets whose HMAT bandwidth from
 * it is at least MEMKIND_HBW_THRESHOLD, and an initiator without any makes HBW unavailable.
 */
export function hbwNodes(
  topology: Topology,
  env: NodeJS.ProcessEnv,
  variant: Variant,
  xeonPhi = false,
): NodeChoice {
  const listed = env.MEMKIND_HBW_NODES;
  if (listed !== undefined) {
    const nodes = parseNodeString(listed, topology);
    if (!nodes)
      return failure(
        MEMKIND_ERROR_ENVIRON,
        "Invalid value of environment variable MEMKIND_HBW_NODES.",
      );
    return closestNodes(topology, nodes, variant);
  }
  // Xeon Phi, or a kernel without HMAT attributes: the CPU-less nodes are the HBM.
  const hasHmat = topology.nodes.some(
    (node) => (node.access1 ?? node.access0)?.readBandwidth !== undefined,
  );
  if (xeonPhi || !hasHmat) return xeonPhiHbwNodes(topology, variant);
  let threshold = DEFAULT_HBW_THRESHOLD;
  const text = env.MEMKIND_HBW_THRESHOLD;
  if (text !== undefined) {
    const parsed = strtoul(text);
    // strtoull: "" is 0 (accepted); trailing characters, a negative wrap or > UINT_MAX are not.
    if (
      (parsed.digits && parsed.rest !== "") ||
      (!parsed.digits && text !== "") ||
      parsed.value > UINT_MAX
    ) {
      return failure(
        MEMKIND_ERROR_ENVIRON,
        "Invalid value of environment variable MEMKIND_HBW_THRESHOLD.",
      );
    }
    threshold = Number(parsed.value);
  }
  const byInitiator = new Map<number, readonly number[]>();
  for (const initiator of initiators(topology)) {
    const qualifying = topology.nodes
      .map((node) => node.id)
      .filter((target) => (hmatFrom(topology, initiator, target)?.bandwidth ?? -1) >= threshold);
    if (qualifying.length === 0) {
      return failure(
        MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
        `No HBW Nodes for init node ${initiator}.`,
      );
    }
    const chosen = closestNodes(topology, qualifying, variant);
    if (!chosen.ok) return chosen;
    byInitiator.set(initiator, chosen.byInitiator.get(initiator) ?? []);
  }
  return { ok: true, byInitiator };
}

/**
 * DAX KMEM nodes (section 3.2): MEMKIND_DAX_KMEM_NODES, else the target nodes of dax devices
 * onlined by the kmem driver; then closest by distance.
 */
export function daxKmemNodes(
  topology: Topology,
  env: NodeJS.ProcessEnv,
  variant: Variant,
): NodeChoice {
  const listed = env.MEMKIND_DAX_KMEM_NODES;
  let nodes: number[] | undefined;
  if (listed !== undefined) {
    nodes = parseNodeString(listed, topology);
    if (!nodes) {
      return failure(
        MEMKIND_ERROR_ENVIRON,
        "Invalid value of environment variable MEMKIND_DAX_KMEM_NODES.",
      );
    }
  } else {
    nodes = [
      ...new Set(
        topology.daxDevices
          .filter((dev) => dev.driver === "kmem" && dev.targetNode !== undefined)
          .map((dev) => dev.targetNode as number),
      ),
    ].sort((a, b) => a - b);
    if (nodes.length === 0)
      return failure(
        MEMKIND_ERROR_UNAVAILABLE,
        "No DAX KMEM nodes: no dax device is onlined by kmem.",
      );
  }
  return closestNodes(topology, nodes, variant);
}

/**
 * Highest capacity (section 3.3): every node of the largest MemTotal; the PREFERRED variant
 * needs exactly one. The same set for every initiator.
 */
export function highestCapacityNodes(
  topology: Topology,
  variant: "MULTIPLE" | "SINGLE",
): NodeChoice {
  const withMemory = topology.nodes.filter((node) => node.memTotal > 0);
  if (withMemory.length === 0)
    return failure(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, "No NUMA node has memory.");
  const largest = Math.max(...withMemory.map((node) => node.memTotal));
  const nodes = withMemory.filter((node) => node.memTotal === largest).map((node) => node.id);
  if (variant === "SINGLE" && nodes.length > 1) {
    return failure(
      MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
      "Multiple NUMA Nodes have the same highest capacity.",
    );
  }
  return {
    ok: true,
    byInitiator: new Map(initiators(topology).map((initiator) => [initiator, nodes])),
  };
}

/** What the *_LOCAL kinds optimise. */
export type LocalCriterion = "CAPACITY" | "BANDWIDTH" | "LATENCY";

/**
 * The nodes local to an initiator (hwloc's local NUMA nodes): itself, and the CPU-less
 * nodes it is a best HMAT initiator of.
 */
export function localNodes(topology: Topology, initiator: number): number[] {
  return topology.nodes
    .filter(
      (node) =>
        node.id === initiator ||
        (node.cpus.length === 0 && (node.access1 ?? node.access0)?.initiators.includes(initiator)),
    )
    .map((node) => node.id);
}

/**
 * The *_LOCAL kinds (section 3.4): per initiator, one local node with the largest capacity
 * (ties: the farther), the highest bandwidth or the lowest latency (ties: the smaller).
 */
export function localNodesBy(topology: Topology, criterion: LocalCriterion): NodeChoice {
  const byInitiator = new Map<number, readonly number[]>();
  for (const initiator of initiators(topology)) {
    const candidates = localNodes(topology, initiator)
      .map((id) => ({
        id,
        node: nodeById(topology, id) as NumaNode,
        hmat: hmatFrom(topology, initiator, id),
      }))
      .filter(({ node, hmat }) =>
        criterion === "CAPACITY"
          ? node.memTotal > 0
          : (criterion === "BANDWIDTH" ? hmat?.bandwidth : hmat?.latency) !== undefined,
      );
    if (candidates.length === 0) {
      return failure(
        MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
        `No local NUMA node for init node ${initiator}.`,
      );
    }
    candidates.sort((a, b) => {
      if (criterion === "CAPACITY") {
        return (
          b.node.memTotal - a.node.memTotal ||
          distance(topology, initiator, b.id) - distance(topology, initiator, a.id)
        );
      }
      const key = (c: typeof a) =>
        criterion === "BANDWIDTH" ? -(c.hmat?.bandwidth ?? 0) : (c.hmat?.latency ?? 0);
      return key(a) - key(b) || a.node.memTotal - b.node.memTotal;
    });
    byInitiator.set(initiator, [(candidates[0] as (typeof candidates)[number]).id]);
  }
  return { ok: true, byInitiator };
}
