/**
 * `memkind info`: the machine's memory topology for a person, or as JSON (`--json`).
 */
import { release } from "node:os";
import { errorMessage, MEMKIND_SUCCESS } from "../kinds/errors.js";
import { STATIC_KINDS } from "../kinds/static-kinds.js";
import { formatList, type NumaNode, type Topology } from "../platform/index.js";
import { formatBytes, keyValueBlock } from "./format.js";

/** What `memkind info --json` prints: stable field names, for scripts and tests. */
export interface KindReport {
  readonly name: string;
  /** memkind_check_available: 0, or the error code. */
  readonly available: number;
  readonly message?: string;
  readonly policy: string;
  /** Nodes for the CPU `memkind info` ran on; null when the kind is unavailable. */
  readonly nodes: readonly number[] | null;
  readonly pageSize: number;
}

export interface InfoReport {
  readonly memkind: string;
  readonly kernel: string;
  readonly pageSize: number;
  readonly topology: Topology;
  /** The static kinds on this machine (absent for a recorded sysfs tree). */
  readonly kinds?: readonly KindReport[];
}

function kindReports(): KindReport[] {
  return STATIC_KINDS.map((kind) => {
    const available = kind.checkAvailable();
    const description = kind.describe();
    return {
      name: kind.name,
      available,
      ...(available === MEMKIND_SUCCESS ? {} : { message: errorMessage(available) }),
      policy: description.policy,
      nodes: available === MEMKIND_SUCCESS ? description.nodes : null,
      pageSize: description.pageSize,
    };
  });
}

export function infoReport(
  topology: Topology,
  pageSize: number,
  version: string,
  withKinds = false,
): InfoReport {
  return {
    memkind: version,
    kernel: release(),
    pageSize,
    topology,
    ...(withKinds ? { kinds: kindReports() } : {}),
  };
}

function accessLine(node: NumaNode, accessClass: 0 | 1): string | undefined {
  const access = accessClass === 0 ? node.access0 : node.access1;
  if (!access) return undefined;
  const perf = (bandwidth?: number, latency?: number) =>
    `${bandwidth === undefined ? "?" : bandwidth} MB/s, ${latency === undefined ? "?" : latency} ns`;
  const parts = [
    `read ${perf(access.readBandwidth, access.readLatency)}`,
    `write ${perf(access.writeBandwidth, access.writeLatency)}`,
  ];
  if (access.initiators.length > 0) parts.push(`best initiators ${formatList(access.initiators)}`);
  if (access.targets.length > 0) parts.push(`best for memory ${formatList(access.targets)}`);
  return parts.join("; ");
}

function nodeBlock(node: NumaNode, topology: Topology): string {
  const rows: [string, string][] = [];
  rows.push(["CPUs", node.cpus.length > 0 ? formatList(node.cpus) : "none (CPU-less)"]);
  const normal =
    node.hasMemory && !node.hasNormalMemory ? " (no normal memory: ZONE_MOVABLE only)" : "";
  rows.push([
    "memory",
    `${formatBytes(node.memTotal)} total, ${formatBytes(node.memFree)} free${normal}`,
  ]);
  const distances = Object.entries(node.distances).map(([other, d]) => `node${other} ${d}`);
  if (distances.length > 0) rows.push(["distances", distances.join(", ")]);
  for (const accessClass of [0, 1] as const) {
    const line = accessLine(node, accessClass);
    if (line) rows.push([`HMAT access${accessClass}`, line]);
  }
  for (const cache of node.memorySideCaches) {
    const indexing = cache.indexing === 0 ? "direct-mapped" : "complex";
    const policy = cache.writePolicy === 0 ? "write-back" : "write-through";
    rows.push([
      `memory-side cache L${cache.level}`,
      `${formatBytes(cache.size)}, ${cache.lineSize} B lines, ${indexing}, ${policy}`,
    ]);
  }
  if (node.memoryTier !== undefined) rows.push(["memory tier", `${node.memoryTier}`]);
  const pools = node.hugepages.map(
    (pool) => `${formatBytes(pool.pageSize)}: ${pool.total} total, ${pool.free} free`,
  );
  if (pools.length > 0) rows.push(["hugepages", pools.join("; ")]);
  const here =
    topology.current?.node === node.id ? ` (current CPU ${topology.current.cpu} is here)` : "";
  return `node ${node.id}${here}\n${keyValueBlock(rows)}`;
}

/** The human-readable report. */
export function formatInfo(report: InfoReport): string {
  const { topology } = report;
  const lines: string[] = [];
  lines.push(
    `memkind ${report.memkind} on Linux ${report.kernel}, page size ${formatBytes(report.pageSize)}`,
  );
  const summary: [string, string][] = [
    ["nodes online", formatList(topology.online)],
    ["with CPUs", formatList(topology.withCpu)],
    ["with memory", formatList(topology.withMemory)],
    ["CPUs online", formatList(topology.cpusOnline)],
  ];
  if (topology.current)
    summary.push(["current CPU", `${topology.current.cpu} on node ${topology.current.node}`]);
  if (topology.transparentHugepages)
    summary.push(["transparent hugepages", topology.transparentHugepages]);
  if (topology.demotionEnabled !== undefined)
    summary.push(["demotion", topology.demotionEnabled ? "enabled" : "disabled"]);
  lines.push(keyValueBlock(summary, ""), "");
  for (const node of topology.nodes) lines.push(nodeBlock(node, topology), "");
  if (topology.memoryTiers.length > 0) {
    lines.push("memory tiers");
    lines.push(
      keyValueBlock(
        topology.memoryTiers.map((tier) => [`tier ${tier.id}`, `nodes ${formatList(tier.nodes)}`]),
      ),
      "",
    );
  }
  lines.push("hugepage pools");
  lines.push(
    topology.hugepagePools.length === 0
      ? "  none"
      : keyValueBlock(
          topology.hugepagePools.map((pool) => [
            formatBytes(pool.pageSize),
            `${pool.total} total, ${pool.free} free, ${pool.reserved} reserved, ${pool.surplus} surplus, overcommit ${pool.overcommit}`,
          ]),
        ),
    "",
  );
  if (report.kinds) {
    lines.push("kinds (for the current CPU)");
    lines.push(
      keyValueBlock(
        report.kinds.map((kind) => [
          kind.name,
          kind.available === MEMKIND_SUCCESS
            ? `${kind.policy === "none" ? "default policy" : `${kind.policy} {${formatList(kind.nodes ?? [])}}`}${kind.pageSize > 4096 ? ", 2 MiB pages" : ""}`
            : `unavailable: ${kind.message?.replace("<memkind> ", "")}`,
        ]),
      ),
      "",
    );
  }
  lines.push("dax devices");
  lines.push(
    topology.daxDevices.length === 0
      ? "  none"
      : keyValueBlock(
          topology.daxDevices.map((dev) => [
            dev.name,
            [
              dev.driver === "kmem"
                ? "system RAM (kmem)"
                : dev.driver
                  ? `driver ${dev.driver}`
                  : "unbound",
              dev.targetNode === undefined ? undefined : `target node ${dev.targetNode}`,
              dev.size === undefined ? undefined : formatBytes(dev.size),
            ]
              .filter(Boolean)
              .join(", "),
          ]),
        ),
  );
  return lines.join("\n");
}
