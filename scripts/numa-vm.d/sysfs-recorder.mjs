#!/usr/bin/env node
// Records the NUMA-relevant part of a sysfs tree as a fixture (no dependencies).
//
//   node sysfs-recorder.mjs dump [SYSFS_ROOT]   JSON of the selection on stdout
//   node sysfs-recorder.mjs write OUTDIR        writes a dump read from stdin as
//                                               a tree under OUTDIR (OUTDIR = /sys),
//                                               replacing OUTDIR
//   node sysfs-recorder.mjs record SYSFS_ROOT OUTDIR   both in one go
//
// The dump is {"format": 1, "entries": {relpath: {file: text} | {link: target} | {dir: true}}}.
// Files keep their contents, symlinks keep their exact target string; for
// bus/dax/devices/* the link is replaced by a directory holding the device's
// attributes and its `driver` link.
import fs from "node:fs";
import path from "node:path";

const SKIP = new Set([
  "uevent",
  "power",
  "subsystem",
  "firmware_node",
  "driver_override",
  "modalias",
]);
const DAX_ATTRS = ["target_node", "numa_node", "size", "align", "resource"];
const MAX_FILE = 64 * 1024;

function lstat(p) {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

function list(p) {
  try {
    return fs.readdirSync(p).sort();
  } catch {
    return [];
  }
}

function readText(p) {
  try {
    const buf = fs.readFileSync(p);
    if (buf.length > MAX_FILE) return null;
    return buf.toString("latin1");
  } catch {
    return null; // write-only or otherwise unreadable attribute
  }
}

class Recorder {
  constructor(root) {
    this.root = root;
    this.entries = {};
  }

  abs(rel) {
    return path.join(this.root, rel);
  }

  addParents(rel) {
    let dir = path.posix.dirname(rel);
    while (dir !== "." && !this.entries[dir]) {
      this.entries[dir] = { dir: true };
      dir = path.posix.dirname(dir);
    }
  }

  // A file or symlink at rel (never followed); directories only with `deep`.
  add(rel, { deep = false } = {}) {
    const st = lstat(this.abs(rel));
    if (!st || SKIP.has(path.posix.basename(rel))) return;
    if (st.isSymbolicLink()) {
      this.addParents(rel);
      this.entries[rel] = { link: fs.readlinkSync(this.abs(rel)) };
    } else if (st.isFile()) {
      const text = readText(this.abs(rel));
      if (text === null) return;
      this.addParents(rel);
      this.entries[rel] = { file: text };
    } else if (st.isDirectory() && deep) {
      this.addParents(rel);
      this.entries[rel] = { dir: true };
      for (const name of list(this.abs(rel))) this.add(`${rel}/${name}`, { deep: true });
    }
  }

  // Entries of dir whose names match re.
  matching(dir, re) {
    return list(this.abs(dir)).filter((n) => re.test(n));
  }

  recordNodes() {
    const base = "devices/system/node";
    for (const f of [
      "online",
      "possible",
      "has_cpu",
      "has_memory",
      "has_normal_memory",
      "has_generic_initiator",
    ]) {
      this.add(`${base}/${f}`);
    }
    for (const node of this.matching(base, /^node\d+$/)) {
      const n = `${base}/${node}`;
      for (const f of ["cpulist", "cpumap", "distance", "meminfo", "numastat", "vmstat"])
        this.add(`${n}/${f}`);
      for (const d of ["access0", "access1", "memory_side_cache", "hugepages"])
        this.add(`${n}/${d}`, { deep: true });
      for (const t of this.matching(n, /^memory_tier/)) this.add(`${n}/${t}`);
    }
  }

  recordCpus() {
    const base = "devices/system/cpu";
    for (const f of ["online", "possible", "present"]) this.add(`${base}/${f}`);
    for (const cpu of this.matching(base, /^cpu\d+$/)) {
      for (const f of ["physical_package_id", "core_id"]) this.add(`${base}/${cpu}/topology/${f}`);
    }
  }

  recordMm() {
    this.add("devices/virtual/memory_tiering", { deep: true });
    this.add("kernel/mm/hugepages", { deep: true });
    for (const f of ["enabled", "defrag", "hpage_pmd_size"])
      this.add(`kernel/mm/transparent_hugepage/${f}`);
    this.add("kernel/mm/numa/demotion_enabled");
  }

  recordDax() {
    const base = "bus/dax/devices";
    if (!lstat(this.abs(base))) return;
    this.addParents(`${base}/x`);
    this.entries[base] = { dir: true };
    for (const dev of list(this.abs(base))) {
      const d = `${base}/${dev}`;
      this.entries[d] = { dir: true };
      for (const a of DAX_ATTRS) {
        const text = readText(this.abs(`${d}/${a}`));
        if (text !== null) this.entries[`${d}/${a}`] = { file: text };
      }
      const drv = this.abs(`${d}/driver`);
      if (lstat(drv)?.isSymbolicLink())
        this.entries[`${d}/driver`] = { link: fs.readlinkSync(drv) };
    }
  }

  run() {
    this.recordNodes();
    this.recordCpus();
    this.recordMm();
    this.recordDax();
    const sorted = {};
    for (const k of Object.keys(this.entries).sort()) sorted[k] = this.entries[k];
    return { format: 1, entries: sorted };
  }
}

export function dump(root = "/sys") {
  return new Recorder(root).run();
}

// Writes the dump as a tree: first into a sibling temp dir, then swaps it in.
export function write(data, outDir) {
  if (data?.format !== 1 || typeof data.entries !== "object")
    throw new Error("not a sysfs-recorder dump");
  const out = path.resolve(outDir);
  if (out === path.parse(out).root) throw new Error(`refusing to write to ${out}`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = fs.mkdtempSync(`${out}.tmp-`);
  for (const [rel, e] of Object.entries(data.entries)) {
    if (rel.startsWith("/") || rel.split("/").includes("..")) throw new Error(`bad path ${rel}`);
    const p = path.join(tmp, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (e.dir) fs.mkdirSync(p, { recursive: true });
    else if (typeof e.link === "string") fs.symlinkSync(e.link, p);
    else fs.writeFileSync(p, Buffer.from(e.file, "latin1"));
  }
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(tmp, out);
  return Object.keys(data.entries).length;
}

function main(argv) {
  const [cmd, a, b] = argv;
  if (cmd === "dump") {
    process.stdout.write(`${JSON.stringify(dump(a ?? "/sys"))}\n`);
  } else if (cmd === "write" && a) {
    const text = fs.readFileSync(0, "utf8");
    // Tolerate noise before the JSON line (the dump is the last line).
    const line = text
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .pop();
    if (!line) throw new Error("no dump on stdin");
    const n = write(JSON.parse(line), a);
    process.stderr.write(`sysfs-recorder: ${n} entries written to ${a}\n`);
  } else if (cmd === "record" && a && b) {
    const n = write(dump(a), b);
    process.stderr.write(`sysfs-recorder: ${n} entries written to ${b}\n`);
  } else {
    process.stderr.write(
      "usage: sysfs-recorder.mjs dump [ROOT] | write OUTDIR | record ROOT OUTDIR\n",
    );
    process.exit(2);
  }
}

if (
  import.meta.url === `file://${process.argv[1]}` ||
  process.argv[1]?.endsWith("sysfs-recorder.mjs")
) {
  main(process.argv.slice(2));
}
