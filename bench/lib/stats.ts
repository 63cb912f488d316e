/** Summaries of repeated measurements. */

export interface Summary {
  min: number;
  median: number;
  max: number;
  /** Number of values summarised. */
  n: number;
}

/** min / median / max of `xs` (median of an even count: mean of the two middle values). */
export function summarize(xs: readonly number[]): Summary | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >>> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    min: sorted[0] as number,
    median,
    max: sorted[sorted.length - 1] as number,
    n: sorted.length,
  };
}

const ORIGIN = process.hrtime.bigint();

/** Nanoseconds since this module was loaded, as a double (exact for 104 days). */
export function nowNs(): number {
  return Number(process.hrtime.bigint() - ORIGIN);
}
