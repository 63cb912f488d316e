/**
 * memkind: a kind-aware heap manager for Node.js.
 *
 * The TypeScript API over the heap and kinds (memkind/c has the memkind-compatible one), and
 * the platform layer (real OS memory through koffi) with the topology reader.
 */

import "./kinds/dynamic-kinds.js"; // installs Kind.create and Kind.fixed

export type { Ptr } from "./api/c.js";
export { type ArenaStats, stats } from "./api/stats.js";
export { addressOf, free, kinds, usableSize } from "./api/typescript.js";
export { MemkindError } from "./kinds/errors.js";

export type { FixedMemory } from "./kinds/fixed-kind.js";
export { Kind } from "./kinds/kind.js";
export type { PmemOptions } from "./kinds/pmem.js";
export type { KindOperations } from "./kinds/user-kind.js";
export * from "./platform/constants.js";
export type {
  AccessClass,
  CpuLocation,
  DaxDevice,
  FileStat,
  FileSystemStat,
  HugepagePool,
  MemoryTier,
  MemPolicy,
  NumaNode,
  Platform,
  SimulatedMachineOptions,
  TempFile,
  Topology,
} from "./platform/index.js";
export {
  defaultPlatform,
  errnoName,
  formatList,
  LinuxPlatform,
  machineTopology,
  PlatformError,
  parseList,
  readTopology,
  SimulatedPlatform,
} from "./platform/index.js";
export type { MemoryOperations } from "./providers/operations.js";
export { VERSION } from "./version.js";

// Loading kinds/pmem.ts installs Kind.pmem (and Kind's Symbol.dispose).
import "./kinds/pmem.js";
