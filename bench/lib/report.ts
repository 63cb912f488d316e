/**
 * Metrics, targets and the printed tables.
 *
 * A metric is one measured quantity of one workload (for example churn's ns per op), with a
 * row per allocator holding one value per repetition. Ratios are median / median against the
 * metric's reference peer. A target is either relative (subject median / peer median against
 * a bound; printed on the peer's row) or absolute (the subject's median against a bound;
 * printed on the subject's row).
 */
import { type Summary, summarize } from "./stats.js";

export interface Row {
  allocator: string;
  /** What actually ran (library version, pool size). */
  impl?: string;
  /** One value per repetition. */
  values: number[];
  /** Set when the row has no values: "not built yet", "unavailable: ...", "error: ...". */
  status?: string;
  note?: string;
}

export interface Target {
  /** The row that must meet the target (usually "memkind"). */
  subject: string;
  /** Relative target: subject / peer (medians). Absent: absolute target on the subject. */
  peer?: string;
  bound: number;
  /** `<` rather than `<=`. */
  strict: boolean;
  /** How the target reads, e.g. "memkind <= 2x". */
  label: string;
}

export interface Metric {
  id: string;
  workload: string;
  title: string;
  unit: string;
  /** The reference peer for the ratio column. */
  ref: string;
  rows: Row[];
  targets: Target[];
  /** Formats one value of this metric. */
  format: (value: number) => string;
  notes?: string[];
}

export type Verdict = "PASS" | "FAIL" | "n/a";

export interface TargetResult extends Target {
  verdict: Verdict;
  /** subject / peer for relative targets, the subject's median for absolute ones. */
  measured?: number;
  reason?: string;
}

export interface RowSummary extends Row {
  summary?: Summary;
  ratio?: number;
}

function rowOf(metric: Metric, name: string): Row | undefined {
  return metric.rows.find((r) => r.allocator === name);
}

function medianOf(row: Row | undefined): number | undefined {
  return row === undefined ? undefined : summarize(row.values)?.median;
}

function missingReason(name: string, row: Row | undefined): string {
  if (row === undefined) return `${name} not measured`;
  // The row's note has the details; the verdict keeps the gist ("not built yet").
  const status = row.status ?? "no values";
  const cut = status.indexOf(" (");
  return `${name} ${cut > 0 ? status.slice(0, cut) : status}`;
}

export function evaluate(metric: Metric, target: Target): TargetResult {
  const subjectRow = rowOf(metric, target.subject);
  const s = medianOf(subjectRow);
  if (s === undefined) {
    return { ...target, verdict: "n/a", reason: missingReason(target.subject, subjectRow) };
  }
  let measured = s;
  if (target.peer !== undefined) {
    const peerRow = rowOf(metric, target.peer);
    const p = medianOf(peerRow);
    if (p === undefined || p === 0) {
      return { ...target, verdict: "n/a", reason: missingReason(target.peer, peerRow) };
    }
    measured = s / p;
  }
  const pass = target.strict ? measured < target.bound : measured <= target.bound;
  return { ...target, verdict: pass ? "PASS" : "FAIL", measured };
}

export function summarizeRows(metric: Metric): RowSummary[] {
  const ref = medianOf(rowOf(metric, metric.ref));
  return metric.rows.map((row) => {
    const out: RowSummary = { ...row };
    const summary = summarize(row.values);
    if (summary !== undefined) {
      out.summary = summary;
      if (ref !== undefined && ref !== 0) out.ratio = summary.median / ref;
    }
    return out;
  });
}

// ----- number formats ----------------------------------------------------------------------

/** ns with 3 significant digits (thousands separated above 1000). */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const a = Math.abs(ns);
  if (a >= 1000) return Math.round(ns).toLocaleString("en-US");
  if (a >= 100) return ns.toFixed(0);
  if (a >= 10) return ns.toFixed(1);
  return ns.toFixed(2);
}

export function formatRatio(x: number): string {
  if (x >= 100) return `${x.toFixed(0)}x`;
  if (x >= 10) return `${x.toFixed(1)}x`;
  return `${x.toFixed(2)}x`;
}

export function formatPercent(fraction: number): string {
  const p = fraction * 100;
  return Math.abs(p) >= 10 ? `${p.toFixed(1)}%` : `${p.toFixed(2)}%`;
}

export function formatMiB(mib: number): string {
  return Math.abs(mib) >= 100 ? mib.toFixed(0) : mib.toFixed(1);
}

export function formatFactor(x: number): string {
  return x.toFixed(3);
}

// ----- tables ------------------------------------------------------------------------------

function pad(cells: string[][]): string[] {
  const widths: number[] = [];
  for (const row of cells) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return cells.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

function verdictText(t: TargetResult, metric: Metric): string {
  if (t.verdict === "n/a") return `n/a (${t.reason ?? ""})`;
  const m = t.measured ?? Number.NaN;
  let shown = metric.format(m);
  if (t.peer !== undefined) {
    // "faster" targets read as speed-ups, the others as the plain ratio.
    if (/faster|slower/.test(t.label)) {
      shown = m <= 1 ? `${formatRatio(1 / m)} faster` : `${formatRatio(m)} slower`;
    } else {
      shown = formatRatio(m);
    }
  }
  return `${t.verdict} (${shown})`;
}

/** The printed table of a metric. */
export function renderMetric(metric: Metric): string {
  const rows = summarizeRows(metric);
  const results = metric.targets.map((t) => evaluate(metric, t));
  const header = [
    "allocator",
    "min",
    "median",
    "max",
    `vs ${metric.ref}`,
    "target",
    "result",
    "note",
  ];
  const cells: string[][] = [header];
  for (const row of rows) {
    // Relative targets sit on the peer's row, absolute ones on the subject's.
    const here = results.filter((t) =>
      t.peer !== undefined ? t.peer === row.allocator : t.subject === row.allocator,
    );
    const s = row.summary;
    const impl = row.impl === row.allocator || row.impl === "memkind" ? undefined : row.impl;
    const notes = [row.status, row.note, impl].filter((x) => x !== undefined && x !== "");
    const lines = here.length > 0 ? here : [undefined];
    lines.forEach((t, i) => {
      const first = i === 0;
      cells.push([
        first ? row.allocator : "",
        first && s ? metric.format(s.min) : first ? "-" : "",
        first && s ? metric.format(s.median) : first ? "-" : "",
        first && s ? metric.format(s.max) : first ? "-" : "",
        first && row.ratio !== undefined ? formatRatio(row.ratio) : first ? "-" : "",
        t ? t.label : "",
        t ? verdictText(t, metric) : "",
        first ? notes.join("; ") : "",
      ]);
    });
  }
  const out = [`${metric.title} [${metric.unit}]`, ...pad(cells).map((l) => `  ${l}`)];
  for (const note of metric.notes ?? []) out.push(`  * ${note}`);
  return out.join("\n");
}

/** JSON form of a metric (summaries and verdicts included). */
export function metricJson(metric: Metric): object {
  return {
    id: metric.id,
    workload: metric.workload,
    title: metric.title,
    unit: metric.unit,
    ref: metric.ref,
    notes: metric.notes ?? [],
    rows: summarizeRows(metric),
    targets: metric.targets.map((t) => evaluate(metric, t)),
  };
}
