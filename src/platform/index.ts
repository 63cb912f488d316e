/**
 * The platform layer: the only code that talks to the operating system (libc through koffi,
 * sysfs). Everything above imports from here.
 */
export * from "./constants.js";
export { isXeonPhi, machineIsXeonPhi } from "./cpu.js";
export { defaultPlatform, machineTopology } from "./default.js";
export { errnoName, errnoValue, hex, PlatformError } from "./errors.js";
export { LinuxPlatform } from "./linux.js";
export { formatList, fromNodeMask, MAX_NODES, parseList, toNodeMask } from "./nodemask.js";
export type {
  CpuLocation,
  FileStat,
  FileSystemStat,
  MemPolicy,
  Platform,
  TempFile,
} from "./platform.js";
export { type SimulatedMachineOptions, SimulatedPlatform } from "./simulated.js";
export { Sysfs } from "./sysfs.js";
export * from "./topology.js";
