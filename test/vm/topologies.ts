/**
 * What each topology of the NUMA test VM (scripts/numa-vm) is defined to be: the QEMU
 * arguments in scripts/numa-vm.d/topologies/*.sh describe these machines, and the VM suite
 * checks that the kernel, the topology reader and `memkind info` all show exactly this.
 * Bandwidth in MB/s, latency in ns, memory in MiB as configured (the kernel reports a little
 * less as MemTotal).
 */

export interface ExpectedNode {
  readonly id: number;
  readonly cpus: readonly number[];
  readonly memoryMiB: number;
  /** HMAT access class 0 from the node's best initiators. */
  readonly readBandwidth: number;
  readonly readLatency: number;
  readonly initiators: readonly number[];
  /** For CPU nodes: the memory nodes they are the best initiator of. */
  readonly targets?: readonly number[];
}

export interface ExpectedTopology {
  readonly name: string;
  readonly nodes: readonly ExpectedNode[];
  /** SLIT distances between distinct nodes: [from, to, distance], symmetric. */
  readonly distances: readonly (readonly [number, number, number])[];
  readonly memorySideCache?: {
    readonly node: number;
    readonly size: number;
    readonly lineSize: number;
  };
  readonly memoryTiers: readonly (readonly [tier: number, nodes: readonly number[]])[];
  readonly daxKmem?: { readonly device: string; readonly targetNode: number };
}

const MiB = 1;
const GiB = 1024 * MiB;

const hbw: ExpectedTopology = {
  name: "hbw",
  nodes: [
    {
      id: 0,
      cpus: [0, 1],
      memoryMiB: 1 * GiB,
      readBandwidth: 20000,
      readLatency: 100,
      initiators: [0],
      targets: [0, 1],
    },
    {
      id: 1,
      cpus: [],
      memoryMiB: 512 * MiB,
      readBandwidth: 80000,
      readLatency: 120,
      initiators: [0],
    },
  ],
  distances: [[0, 1, 31]],
  memoryTiers: [[4, [0, 1]]],
};

const cxl: ExpectedTopology = {
  name: "cxl",
  nodes: [
    {
      id: 0,
      cpus: [0, 1],
      memoryMiB: 1 * GiB,
      readBandwidth: 20000,
      readLatency: 100,
      initiators: [0],
      targets: [0, 1],
    },
    { id: 1, cpus: [], memoryMiB: 2 * GiB, readBandwidth: 8000, readLatency: 250, initiators: [0] },
  ],
  distances: [[0, 1, 20]],
  memoryTiers: [[4, [0, 1]]],
};

export const TOPOLOGIES: Readonly<Record<string, ExpectedTopology>> = {
  hbw,
  "hbw-cache": {
    ...hbw,
    name: "hbw-cache",
    memorySideCache: { node: 0, size: 256 * 1024 * 1024, lineSize: 64 },
  },
  "hbw-snc2": {
    name: "hbw-snc2",
    nodes: [
      {
        id: 0,
        cpus: [0],
        memoryMiB: 512 * MiB,
        readBandwidth: 20000,
        readLatency: 100,
        initiators: [0],
        targets: [0, 2],
      },
      {
        id: 1,
        cpus: [1],
        memoryMiB: 512 * MiB,
        readBandwidth: 20000,
        readLatency: 100,
        initiators: [1],
        targets: [1, 3],
      },
      {
        id: 2,
        cpus: [],
        memoryMiB: 256 * MiB,
        readBandwidth: 80000,
        readLatency: 120,
        initiators: [0],
      },
      {
        id: 3,
        cpus: [],
        memoryMiB: 256 * MiB,
        readBandwidth: 80000,
        readLatency: 120,
        initiators: [1],
      },
    ],
    distances: [
      [0, 1, 21],
      [0, 2, 31],
      [0, 3, 41],
      [1, 2, 41],
      [1, 3, 31],
      [2, 3, 41],
    ],
    memoryTiers: [[4, [0, 1, 2, 3]]],
  },
  cxl,
  "kmem-dax": {
    ...cxl,
    name: "kmem-dax",
    memoryTiers: [
      [4, [0]],
      [22, [1]],
    ],
    daxKmem: { device: "dax0.0", targetNode: 1 },
  },
  "two-socket": {
    name: "two-socket",
    nodes: [
      {
        id: 0,
        cpus: [0],
        memoryMiB: 1 * GiB,
        readBandwidth: 20000,
        readLatency: 100,
        initiators: [0],
        targets: [0],
      },
      {
        id: 1,
        cpus: [1],
        memoryMiB: 1 * GiB,
        readBandwidth: 20000,
        readLatency: 100,
        initiators: [1],
        targets: [1],
      },
    ],
    distances: [[0, 1, 21]],
    memoryTiers: [[4, [0, 1]]],
  },
};

/** The topology this VM was booted with (MEMKIND_VM_TOPOLOGY), or undefined outside the VM. */
export function currentTopology(): ExpectedTopology | undefined {
  const name = process.env.MEMKIND_VM_TOPOLOGY;
  if (name === undefined) return undefined;
  const topology = TOPOLOGIES[name];
  if (!topology) throw new Error(`MEMKIND_VM_TOPOLOGY=${name} is not a known topology`);
  return topology;
}

/** The skip reason for VM tests run outside the VM. */
export const OUTSIDE_VM = "needs the multi-node NUMA VM: run `npm run test:numa`";
