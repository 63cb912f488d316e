/**
 * The 23 static kinds, in registry order (partition index = position), with the policies,
 * node choices, page sizes and availability rules of reference/memkind.md section 1.3.
 *
 * Node choice happens when a chunk is mapped, for the CPU the caller runs on then (upstream:
 * "closest at the time of allocation"). Detection reads the topology and the environment
 * once, on first use. An unavailable kind makes allocation return NULL with ENOMEM, as
 * upstream's extent hooks do; memkind_check_available says why.
 */
import {
  defaultPlatform,
  MADV_NOHUGEPAGE,
  MAP_HUGE_2MB,
  MAP_HUGETLB,
  MPOL_BIND,
  MPOL_INTERLEAVE,
  MPOL_NAMES,
  MPOL_PREFERRED,
  machineIsXeonPhi,
  machineTopology,
  PlatformError,
  type Topology,
} from "../platform/index.js";
import { AnonymousProvider } from "../providers/anonymous.js";
import { MEMKIND_ERROR_HUGETLB, MEMKIND_SUCCESS } from "./errors.js";
import { Kind, type KindDefinition } from "./kind.js";
import { logError } from "./log.js";
import {
  daxKmemNodes,
  hbwNodes,
  highestCapacityNodes,
  type LocalCriterion,
  localNodesBy,
  type NodeChoice,
  type Variant,
} from "./nodes.js";

const HUGE_PAGE = 2 * 1024 * 1024;

let topology: Topology | undefined;

/** The machine's topology, read once per process. */
function liveTopology(): Topology {
  topology ??= machineTopology();
  return topology;
}

const detections = new Map<string, NodeChoice>();

/** A detection, run once per process and logged under MEMKIND_DEBUG when it fails. */
function detect(key: string, run: () => NodeChoice): NodeChoice {
  let choice = detections.get(key);
  if (!choice) {
    choice = run();
    if (!choice.ok) logError(choice.message);
    detections.set(key, choice);
  }
  return choice;
}

const hbw = (variant: Variant) => () =>
  detect(`hbw ${variant}`, () =>
    hbwNodes(liveTopology(), process.env, variant, machineIsXeonPhi()),
  );
const daxKmem = (variant: Variant) => () =>
  detect(`dax ${variant}`, () => daxKmemNodes(liveTopology(), process.env, variant));
const capacity = (variant: "MULTIPLE" | "SINGLE") => () =>
  detect(`capacity ${variant}`, () => highestCapacityNodes(liveTopology(), variant));
const local = (criterion: LocalCriterion) => () =>
  detect(`local ${criterion}`, () => localNodesBy(liveTopology(), criterion));

/** Every node with memory, for every initiator (numa_all_nodes_ptr). */
function allNodes(): NodeChoice {
  const t = liveTopology();
  const nodes = [...t.withMemory];
  return { ok: true, byInitiator: new Map(t.withCpu.map((initiator) => [initiator, nodes])) };
}

/** Nodes with CPUs (upstream: numa_node_of_cpu over every configured CPU). */
function cpuNodes(): NodeChoice {
  const t = liveTopology();
  const nodes = [...t.withCpu];
  return { ok: true, byInitiator: new Map(t.withCpu.map((initiator) => [initiator, nodes])) };
}

/** The chosen nodes for the CPU the caller runs on; throws when there are none. */
function nodesForCaller(name: string, choice: NodeChoice): readonly number[] {
  if (!choice.ok) throw new PlatformError(`${name}: ${choice.message}`, 12);
  const node = defaultPlatform().getcpu().node;
  const nodes = choice.byInitiator.get(node) ?? [];
  if (nodes.length === 0) throw new PlatformError(`${name}: no nodes for CPUs of node ${node}`, 12);
  return nodes;
}

/** 2 MiB pages the pools hold for `nodes` (all nodes without a node set), and overcommit. */
function hugepagesAvailable(nodes: readonly number[] | undefined): boolean {
  const fresh = machineTopology();
  const pool = fresh.hugepagePools.find((p) => p.pageSize === HUGE_PAGE);
  const persistent = fresh.nodes
    .filter((node) => nodes === undefined || nodes.includes(node.id))
    .reduce(
      (sum, node) => sum + (node.hugepages.find((p) => p.pageSize === HUGE_PAGE)?.total ?? 0),
      0,
    );
  return persistent > 0 || (pool?.overcommit ?? 0) > 0;
}

interface StaticKind {
  readonly name: string;
  /** MPOL_* for mbind; absent: no mbind (DEFAULT, HUGETLB). */
  readonly mode?: number;
  readonly nodes?: () => NodeChoice;
  readonly hugetlb?: boolean;
  readonly advice?: readonly number[];
}

/**
 * memkind_get_capacity (section 1.12): -1 for PREFERRED kinds and the HBW huge-page kinds;
 * the huge-page pool for MEMKIND_HUGETLB; otherwise the memory of the kind's nodes for the
 * calling CPU (all nodes for DEFAULT), -1 when the kind has none.
 */
function capacityOf(spec: StaticKind): number {
  const { mode, nodes, hugetlb } = spec;
  if (mode === MPOL_PREFERRED || (hugetlb && nodes)) return -1;
  const fresh = machineTopology();
  if (hugetlb) {
    const pool = fresh.hugepagePools.find((p) => p.pageSize === HUGE_PAGE);
    const persistent = fresh.nodes.reduce(
      (sum, node) => sum + (node.hugepages.find((p) => p.pageSize === HUGE_PAGE)?.total ?? 0),
      0,
    );
    return (persistent + (pool?.overcommit ?? 0)) * HUGE_PAGE;
  }
  let kindNodes: readonly number[] = fresh.nodes.map((node) => node.id);
  if (nodes) {
    const choice = nodes();
    if (!choice.ok) return -1;
    kindNodes = choice.byInitiator.get(defaultPlatform().getcpu().node) ?? [];
  }
  return fresh.nodes
    .filter((node) => kindNodes.includes(node.id))
    .reduce((sum, node) => sum + node.memTotal, 0);
}

function definition(spec: StaticKind): KindDefinition {
  const { name, mode, nodes, hugetlb } = spec;
  const choose = nodes;
  return {
    name,
    isDefault: name === "memkind_default",
    capacity: () => capacityOf(spec),
    describe: () => {
      const choice = choose?.();
      const node = defaultPlatform().getcpu().node;
      return {
        policy: mode === undefined ? "none" : (MPOL_NAMES[mode] ?? `${mode}`),
        nodes: choose ? (choice?.ok ? (choice.byInitiator.get(node) ?? []) : null) : [],
        pageSize: hugetlb ? HUGE_PAGE : 4096,
      };
    },
    provider: () =>
      new AnonymousProvider(defaultPlatform(), {
        ...(mode !== undefined && choose
          ? { mode, nodes: () => nodesForCaller(name, choose()) }
          : {}),
        ...(hugetlb ? { mapFlags: MAP_HUGETLB | MAP_HUGE_2MB, pageSize: HUGE_PAGE } : {}),
        ...(spec.advice ? { advice: spec.advice } : {}),
        // Binding never falls back: refuse a chunk its nodes cannot hold (ENOMEM) rather than
        // let the kernel kill the process when it touches the pages.
        ...(mode === MPOL_BIND ? { refuseWhenFull: true } : {}),
      }),
    checkAvailable: () => {
      const choice = choose?.();
      if (choice && !choice.ok) return choice.error;
      if (hugetlb) {
        const node = defaultPlatform().getcpu().node;
        const kindNodes = choice?.ok ? choice.byInitiator.get(node) : undefined;
        if (!hugepagesAvailable(kindNodes)) {
          logError("Persistent hugepages and overcommit hugepages are not available.");
          return MEMKIND_ERROR_HUGETLB;
        }
      }
      return MEMKIND_SUCCESS;
    },
  };
}

const SPECS: readonly StaticKind[] = [
  { name: "memkind_default" },
  { name: "memkind_hbw", mode: MPOL_BIND, nodes: hbw("MULTIPLE") },
  { name: "memkind_hbw_preferred", mode: MPOL_PREFERRED, nodes: hbw("SINGLE") },
  { name: "memkind_hbw_hugetlb", mode: MPOL_BIND, nodes: hbw("MULTIPLE"), hugetlb: true },
  {
    name: "memkind_hbw_preferred_hugetlb",
    mode: MPOL_PREFERRED,
    nodes: hbw("SINGLE"),
    hugetlb: true,
  },
  { name: "memkind_hugetlb", hugetlb: true },
  {
    name: "memkind_hbw_interleave",
    mode: MPOL_INTERLEAVE,
    nodes: hbw("ALL"),
    advice: [MADV_NOHUGEPAGE],
  },
  { name: "memkind_interleave", mode: MPOL_INTERLEAVE, nodes: allNodes, advice: [MADV_NOHUGEPAGE] },
  { name: "memkind_regular", mode: MPOL_BIND, nodes: cpuNodes },
  { name: "memkind_hbw_all", mode: MPOL_BIND, nodes: hbw("ALL") },
  { name: "memkind_hbw_all_hugetlb", mode: MPOL_BIND, nodes: hbw("ALL"), hugetlb: true },
  { name: "memkind_dax_kmem", mode: MPOL_BIND, nodes: daxKmem("MULTIPLE") },
  { name: "memkind_dax_kmem_all", mode: MPOL_BIND, nodes: daxKmem("ALL") },
  { name: "memkind_dax_kmem_preferred", mode: MPOL_PREFERRED, nodes: daxKmem("SINGLE") },
  { name: "memkind_dax_kmem_interleave", mode: MPOL_INTERLEAVE, nodes: daxKmem("ALL") },
  { name: "memkind_highest_capacity", mode: MPOL_BIND, nodes: capacity("MULTIPLE") },
  { name: "memkind_highest_capacity_preferred", mode: MPOL_PREFERRED, nodes: capacity("SINGLE") },
  { name: "memkind_highest_capacity_local", mode: MPOL_BIND, nodes: local("CAPACITY") },
  {
    name: "memkind_highest_capacity_local_preferred",
    mode: MPOL_PREFERRED,
    nodes: local("CAPACITY"),
  },
  { name: "memkind_lowest_latency_local", mode: MPOL_BIND, nodes: local("LATENCY") },
  { name: "memkind_lowest_latency_local_preferred", mode: MPOL_PREFERRED, nodes: local("LATENCY") },
  { name: "memkind_highest_bandwidth_local", mode: MPOL_BIND, nodes: local("BANDWIDTH") },
  {
    name: "memkind_highest_bandwidth_local_preferred",
    mode: MPOL_PREFERRED,
    nodes: local("BANDWIDTH"),
  },
];

/** The static kinds, by partition. */
export const STATIC_KINDS: readonly Kind[] = SPECS.map(
  (spec, partition) => new Kind(partition, definition(spec)),
);

const kind = (partition: number) => STATIC_KINDS[partition] as Kind;

export const MEMKIND_DEFAULT = kind(0);
export const MEMKIND_HBW = kind(1);
export const MEMKIND_HBW_PREFERRED = kind(2);
export const MEMKIND_HBW_HUGETLB = kind(3);
export const MEMKIND_HBW_PREFERRED_HUGETLB = kind(4);
export const MEMKIND_HUGETLB = kind(5);
export const MEMKIND_HBW_INTERLEAVE = kind(6);
export const MEMKIND_INTERLEAVE = kind(7);
export const MEMKIND_REGULAR = kind(8);
export const MEMKIND_HBW_ALL = kind(9);
export const MEMKIND_HBW_ALL_HUGETLB = kind(10);
export const MEMKIND_DAX_KMEM = kind(11);
export const MEMKIND_DAX_KMEM_ALL = kind(12);
export const MEMKIND_DAX_KMEM_PREFERRED = kind(13);
export const MEMKIND_DAX_KMEM_INTERLEAVE = kind(14);
export const MEMKIND_HIGHEST_CAPACITY = kind(15);
export const MEMKIND_HIGHEST_CAPACITY_PREFERRED = kind(16);
export const MEMKIND_HIGHEST_CAPACITY_LOCAL = kind(17);
export const MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED = kind(18);
export const MEMKIND_LOWEST_LATENCY_LOCAL = kind(19);
export const MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED = kind(20);
export const MEMKIND_HIGHEST_BANDWIDTH_LOCAL = kind(21);
export const MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED = kind(22);
