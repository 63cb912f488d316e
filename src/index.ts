/**
 * memkind: a kind-aware heap manager for Node.js.
 *
 * This entry point grows with the heap and the kinds; for now it exposes the platform layer
 * (real OS memory through koffi) and the topology reader.
 */
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
export { VERSION } from "./version.js";
