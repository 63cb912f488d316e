/** Resident memory of this process, from /proc/self/status (Linux). */
import { readFileSync } from "node:fs";

/** VmRSS and VmHWM (peak resident) in KiB; -1 where the field is missing. */
export interface Resident {
  rssKb: number;
  hwmKb: number;
}

function field(text: string, name: string): number {
  const match = new RegExp(`^${name}:\\s*(\\d+)`, "m").exec(text);
  return match?.[1] === undefined ? -1 : Number(match[1]);
}

export function readResident(): Resident {
  const text = readFileSync("/proc/self/status", "latin1");
  return { rssKb: field(text, "VmRSS"), hwmKb: field(text, "VmHWM") };
}

/** VmRSS in KiB. */
export function residentKb(): number {
  return readResident().rssKb;
}
