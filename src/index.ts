/**
 * memkind: a kind-aware heap manager for Node.js.
 *
 * This entry point grows with the heap and the kinds; for now it exposes the platform layer
 * (real OS memory through koffi) and the topology reader.
 */

export type { NumaNode, Platform, Topology } from "./platform/index.js";
export {
  defaultPlatform,
  LinuxPlatform,
  machineTopology,
  PlatformError,
  readTopology,
} from "./platform/index.js";
export { VERSION } from "./version.js";
