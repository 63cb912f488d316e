/**
 * The CPU model, from /proc/cpuinfo (what upstream reads with cpuid): memkind's legacy HBW
 * rule applies to Intel Xeon Phi only (family 6, model 0x57 Knights Landing or 0x85 Knights
 * Mill).
 */
import { readFileSync } from "node:fs";

const XEON_PHI_MODELS = new Set([0x57, 0x85]);

/** True if the first CPU listed in `cpuinfo` (the file's text) is an Intel Xeon Phi. */
export function isXeonPhi(cpuinfo: string): boolean {
  const field = (name: string) =>
    new RegExp(`^${name}\\s*:\\s*(.+)$`, "m").exec(cpuinfo)?.[1]?.trim();
  return (
    field("vendor_id") === "GenuineIntel" &&
    field("cpu family") === "6" &&
    XEON_PHI_MODELS.has(Number(field("model")))
  );
}

/** isXeonPhi of this machine (false where /proc/cpuinfo cannot be read). */
export function machineIsXeonPhi(path = "/proc/cpuinfo"): boolean {
  try {
    return isXeonPhi(readFileSync(path, "utf8"));
  } catch {
    return false;
  }
}
