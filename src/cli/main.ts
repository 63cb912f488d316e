#!/usr/bin/env node
/**
 * The `memkind` command. Subcommands:
 *   memkind info [--json] [--sysfs ROOT]   the memory topology of this machine, and the kinds
 *   memkind demo [--json]                  a block of every available kind on this machine's memory
 *   memkind hbw-nodes                      upstream's memkind-hbw-nodes
 *   memkind dax-kmem-nodes                 upstream's memkind-auto-dax-kmem-nodes
 */
import { argv, exit, stderr, stdout } from "node:process";
import { parseArgs } from "node:util";
import { defaultPlatform, readTopology } from "../platform/index.js";
import { VERSION } from "../version.js";
import { formatDemo, rowPassed, runDemo } from "./demo.js";
import { formatInfo, infoReport } from "./info.js";
import { daxKmemNodesCommand, hbwNodesCommand } from "./nodes.js";

const USAGE = `usage: memkind <command> [options]

commands:
  info [--json] [--sysfs ROOT]   show NUMA nodes, HMAT attributes, memory tiers, hugepages, dax devices
                                 and every kind's availability and nodes for this CPU
                                 (--sysfs reads a recorded sysfs tree instead of /sys: no kinds)
  demo [--json]                  allocate and write a block of every available kind (and a PMEM
                                 kind in the temporary directory), show where its pages are,
                                 free and purge it; exit status 1 if a check fails
  hbw-nodes                      print the high-bandwidth nodes (as memkind-hbw-nodes)
  dax-kmem-nodes                 print the KMEM DAX nodes (as memkind-auto-dax-kmem-nodes)
  help                           show this text
`;

function info(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { json: { type: "boolean", default: false }, sysfs: { type: "string" } },
    strict: true,
  });
  const platform = defaultPlatform();
  // A recorded tree has no "current CPU": getcpu describes this machine, not that one.
  const topology = values.sysfs
    ? readTopology(values.sysfs)
    : readTopology(platform.sysfsRoot, platform.getcpu());
  const report = infoReport(topology, platform.pageSize, VERSION, !values.sysfs);
  stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInfo(report)}\n`);
  return 0;
}

function demo(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { json: { type: "boolean", default: false } },
    strict: true,
  });
  const rows = runDemo();
  stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatDemo(rows)}\n`);
  return rows.every((row) => rowPassed(row)) ? 0 : 1;
}

function main(args: string[]): number {
  const [command, ...rest] = args;
  switch (command) {
    case "info":
      return info(rest);
    case "demo":
      return demo(rest);
    case "hbw-nodes":
      return hbwNodesCommand(rest);
    case "dax-kmem-nodes":
      return daxKmemNodesCommand(rest);
    case "help":
    case "--help":
    case "-h":
      stdout.write(USAGE);
      return 0;
    default:
      stderr.write(
        command === undefined ? USAGE : `memkind: unknown command "${command}"\n${USAGE}`,
      );
      return 2;
  }
}

try {
  exit(main(argv.slice(2)));
} catch (error) {
  stderr.write(`memkind: ${error instanceof Error ? error.message : String(error)}\n`);
  exit(1);
}
