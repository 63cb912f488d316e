/**
 * The machine's memory topology, read from sysfs (no libnuma, no hwloc): NUMA nodes with
 * their CPUs, distances and memory, HMAT performance attributes, memory-side caches, memory
 * tiers, hugepage pools and dax devices. `readTopology` reads any sysfs root, so tests run
 * the same code on trees recorded from real multi-node kernels (test/fixtures/sysfs/).
 *
 * Paths read (relative to the root):
 *   devices/system/node/{online,possible,has_cpu,has_memory,has_normal_memory}
 *   devices/system/node/nodeN/{cpulist,distance,meminfo}
 *   devices/system/node/nodeN/accessC/initiators/{read,write}_{bandwidth,latency}, nodeM links
 *   devices/system/node/nodeN/accessC/targets/nodeM links
 *   devices/system/node/nodeN/memory_side_cache/indexK/{size,line_size,indexing,write_policy}
 *   devices/system/node/nodeN/hugepages/hugepages-<kB>kB/{nr,free,surplus}_hugepages
 *   devices/virtual/memory_tiering/memory_tierK/nodelist
 *   kernel/mm/hugepages/hugepages-<kB>kB/{nr,free,resv,surplus,nr_overcommit}_hugepages
 *   kernel/mm/transparent_hugepage/enabled, kernel/mm/numa/demotion_enabled
 *   bus/dax/devices/<dev>/{target_node,size}, driver link
 *   devices/system/cpu/online
 */

import type { CpuLocation } from "./platform.js";
import { Sysfs } from "./sysfs.js";

/**
 * HMAT performance of a memory node as seen from its best initiators, for one access class:
 * class 0 counts every initiator, class 1 only CPUs. Bandwidth in MB/s, latency in ns.
 */
export interface AccessClass {
  /** The initiator nodes this memory performs best for. */
  readonly initiators: readonly number[];
  /** For an initiator node: the memory nodes it is a best initiator of. */
  readonly targets: readonly number[];
  readonly readBandwidth?: number;
  readonly writeBandwidth?: number;
  readonly readLatency?: number;
  readonly writeLatency?: number;
}

/** A memory-side cache in front of a node (HMAT), e.g. MCDRAM cache mode. */
export interface MemorySideCache {
  readonly level: number;
  readonly size: number;
  readonly lineSize: number;
  /** 0 direct-mapped, 1 complex (the kernel's numbers). */
  readonly indexing: number;
  /** 0 write-back, 1 write-through. */
  readonly writePolicy: number;
}

/** A node's pool of one hugepage size. */
export interface NodeHugepages {
  readonly pageSize: number;
  readonly total: number;
  readonly free: number;
  readonly surplus: number;
}

export interface NumaNode {
  readonly id: number;
  readonly cpus: readonly number[];
  readonly hasCpu: boolean;
  readonly hasMemory: boolean;
  readonly hasNormalMemory: boolean;
  /** SLIT distance to each node, by node id (10 = local). */
  readonly distances: Readonly<Record<number, number>>;
  /** Bytes (MemTotal / MemFree of the node's meminfo). */
  readonly memTotal: number;
  readonly memFree: number;
  /** HMAT attributes by access class; absent where the firmware has no HMAT. */
  readonly access0?: AccessClass;
  readonly access1?: AccessClass;
  readonly memorySideCaches: readonly MemorySideCache[];
  /** The memory tier the node is in, where the kernel has memory tiers. */
  readonly memoryTier?: number;
  readonly hugepages: readonly NodeHugepages[];
}

/** A system-wide hugepage pool (sizes in bytes, the rest in pages). */
export interface HugepagePool {
  readonly pageSize: number;
  readonly total: number;
  readonly free: number;
  readonly reserved: number;
  readonly surplus: number;
  readonly overcommit: number;
}

export interface MemoryTier {
  readonly id: number;
  readonly nodes: readonly number[];
}

/** A device-DAX device and how it is used. */
export interface DaxDevice {
  readonly name: string;
  /** The node its memory becomes when onlined by kmem (or the node it belongs to). */
  readonly targetNode?: number;
  readonly size?: number;
  /** The bound driver: "kmem" (onlined as system RAM), "device_dax", or undefined (unbound). */
  readonly driver?: string;
}

export interface Topology {
  readonly online: readonly number[];
  readonly possible: readonly number[];
  readonly withCpu: readonly number[];
  readonly withMemory: readonly number[];
  readonly withNormalMemory: readonly number[];
  readonly nodes: readonly NumaNode[];
  readonly cpusOnline: readonly number[];
  readonly memoryTiers: readonly MemoryTier[];
  readonly hugepagePools: readonly HugepagePool[];
  readonly daxDevices: readonly DaxDevice[];
  /** "always", "madvise" or "never"; absent where the kernel has no THP. */
  readonly transparentHugepages?: string;
  readonly demotionEnabled?: boolean;
  /** Where the reading thread ran, when read from the live machine. */
  readonly current?: CpuLocation;
}

const NODE_DIR = "devices/system/node";

function readAccessClass(sysfs: Sysfs, dir: string): AccessClass | undefined {
  const initiators = sysfs.numbered(`${dir}/initiators`, "node");
  const targets = sysfs.numbered(`${dir}/targets`, "node");
  if (sysfs.entries(dir).length === 0) return undefined;
  const value = (name: string) => sysfs.int(`${dir}/initiators/${name}`);
  return {
    initiators,
    targets,
    ...optional("readBandwidth", value("read_bandwidth")),
    ...optional("writeBandwidth", value("write_bandwidth")),
    ...optional("readLatency", value("read_latency")),
    ...optional("writeLatency", value("write_latency")),
  };
}

/** `{ [key]: value }` when the value is defined, `{}` otherwise (for exact optional types). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function readMemorySideCaches(sysfs: Sysfs, dir: string): MemorySideCache[] {
  return sysfs.numbered(dir, "index").map((level) => {
    const attribute = (name: string) => sysfs.int(`${dir}/index${level}/${name}`) ?? 0;
    return {
      level,
      size: attribute("size"),
      lineSize: attribute("line_size"),
      indexing: attribute("indexing"),
      writePolicy: attribute("write_policy"),
    };
  });
}

/** Hugepage size directories ("hugepages-2048kB") with their sizes in bytes, ascending. */
function hugepageSizes(sysfs: Sysfs, dir: string): { dir: string; pageSize: number }[] {
  return sysfs
    .entries(dir)
    .flatMap((entry) => {
      const match = /^hugepages-(\d+)kB$/.exec(entry);
      return match ? [{ dir: `${dir}/${entry}`, pageSize: Number(match[1]) * 1024 }] : [];
    })
    .sort((a, b) => a.pageSize - b.pageSize);
}

function readMemoryTiers(sysfs: Sysfs): MemoryTier[] {
  const dir = "devices/virtual/memory_tiering";
  return sysfs.numbered(dir, "memory_tier").map((id) => ({
    id,
    nodes: sysfs.list(`${dir}/memory_tier${id}/nodelist`) ?? [],
  }));
}

function readNode(
  sysfs: Sysfs,
  id: number,
  sets: NodeSets,
  tiers: readonly MemoryTier[],
): NumaNode {
  const dir = `${NODE_DIR}/node${id}`;
  const distanceList = (sysfs.text(`${dir}/distance`) ?? "")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  const distances: Record<number, number> = {};
  // The distance file lists one value per online node, in node order.
  sets.online.forEach((other, i) => {
    const distance = distanceList[i];
    if (distance !== undefined) distances[other] = distance;
  });
  const meminfo = sysfs.meminfo(`${dir}/meminfo`);
  const access0 = readAccessClass(sysfs, `${dir}/access0`);
  const access1 = readAccessClass(sysfs, `${dir}/access1`);
  const memoryTier = tiers.find((tier) => tier.nodes.includes(id))?.id;
  return {
    id,
    cpus: sysfs.list(`${dir}/cpulist`) ?? [],
    hasCpu: sets.withCpu.includes(id),
    hasMemory: sets.withMemory.includes(id),
    hasNormalMemory: sets.withNormalMemory.includes(id),
    distances,
    memTotal: meminfo.get("MemTotal") ?? 0,
    memFree: meminfo.get("MemFree") ?? 0,
    ...optional("access0", access0),
    ...optional("access1", access1),
    memorySideCaches: readMemorySideCaches(sysfs, `${dir}/memory_side_cache`),
    ...optional("memoryTier", memoryTier),
    hugepages: hugepageSizes(sysfs, `${dir}/hugepages`).map(({ dir: poolDir, pageSize }) => ({
      pageSize,
      total: sysfs.int(`${poolDir}/nr_hugepages`) ?? 0,
      free: sysfs.int(`${poolDir}/free_hugepages`) ?? 0,
      surplus: sysfs.int(`${poolDir}/surplus_hugepages`) ?? 0,
    })),
  };
}

interface NodeSets {
  online: number[];
  possible: number[];
  withCpu: number[];
  withMemory: number[];
  withNormalMemory: number[];
}

function readNodeSets(sysfs: Sysfs): NodeSets {
  // A kernel without NUMA has no node directory: it is one node 0 with everything.
  const present = sysfs.numbered(NODE_DIR, "node");
  const fallback = present.length > 0 ? present : [0];
  const set = (name: string) => sysfs.list(`${NODE_DIR}/${name}`) ?? fallback;
  return {
    online: set("online"),
    possible: set("possible"),
    withCpu: set("has_cpu"),
    withMemory: set("has_memory"),
    withNormalMemory: set("has_normal_memory"),
  };
}

function readHugepagePools(sysfs: Sysfs): HugepagePool[] {
  return hugepageSizes(sysfs, "kernel/mm/hugepages").map(({ dir, pageSize }) => ({
    pageSize,
    total: sysfs.int(`${dir}/nr_hugepages`) ?? 0,
    free: sysfs.int(`${dir}/free_hugepages`) ?? 0,
    reserved: sysfs.int(`${dir}/resv_hugepages`) ?? 0,
    surplus: sysfs.int(`${dir}/surplus_hugepages`) ?? 0,
    overcommit: sysfs.int(`${dir}/nr_overcommit_hugepages`) ?? 0,
  }));
}

function readDaxDevices(sysfs: Sysfs): DaxDevice[] {
  const dir = "bus/dax/devices";
  return sysfs.entries(dir).map((name) => ({
    name,
    ...optional("targetNode", sysfs.int(`${dir}/${name}/target_node`)),
    ...optional("size", sysfs.int(`${dir}/${name}/size`)),
    ...optional("driver", sysfs.linkName(`${dir}/${name}/driver`)),
  }));
}

/** The bracketed choice of a sysfs selector file: "always [madvise] never" -> "madvise". */
function selected(text: string | undefined): string | undefined {
  return text === undefined ? undefined : /\[(\w+)\]/.exec(text)?.[1];
}

/**
 * Reads the topology under `sysfsRoot`. Cost: a few hundred small file reads; callers
 * cache the result (node detection reads it once per process).
 */
export function readTopology(sysfsRoot = "/sys", current?: CpuLocation): Topology {
  const sysfs = new Sysfs(sysfsRoot);
  const sets = readNodeSets(sysfs);
  const memoryTiers = readMemoryTiers(sysfs);
  const demotion = sysfs.text("kernel/mm/numa/demotion_enabled");
  const nodeIds = [...new Set([...sets.online, ...sysfs.numbered(NODE_DIR, "node")])].sort(
    (a, b) => a - b,
  );
  return {
    ...sets,
    nodes: nodeIds.map((id) => readNode(sysfs, id, sets, memoryTiers)),
    cpusOnline: sysfs.list("devices/system/cpu/online") ?? [],
    memoryTiers,
    hugepagePools: readHugepagePools(sysfs),
    daxDevices: readDaxDevices(sysfs),
    ...optional(
      "transparentHugepages",
      selected(sysfs.text("kernel/mm/transparent_hugepage/enabled")),
    ),
    ...optional("demotionEnabled", demotion === undefined ? undefined : demotion.trim() === "true"),
    ...optional("current", current),
  };
}

/**
 * Memory one node can still give, in bytes: MemFree plus its page cache (FilePages), which
 * the kernel reclaims under pressure. One small sysfs read: cheap enough per chunk mapping.
 */
export function nodeMemFree(sysfsRoot: string, node: number): number {
  const meminfo = new Sysfs(sysfsRoot).meminfo(`${NODE_DIR}/node${node}/meminfo`);
  return (meminfo.get("MemFree") ?? 0) + (meminfo.get("FilePages") ?? 0);
}
