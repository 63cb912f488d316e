import { LinuxPlatform } from "./linux.js";
import type { Platform } from "./platform.js";
import { readTopology, type Topology } from "./topology.js";

let platform: Platform | undefined;

/** The process's platform: the real kernel, created on first use. */
export function defaultPlatform(): Platform {
  platform ??= new LinuxPlatform();
  return platform;
}

/** The live machine's topology, with the CPU and node the caller runs on. */
export function machineTopology(of: Platform = defaultPlatform()): Topology {
  return readTopology(of.sysfsRoot, of.getcpu());
}
