/**
 * memkind's stderr log lines. `MEMKIND_DEBUG=1` turns on MEMKIND_INFO / MEMKIND_WARNING /
 * MEMKIND_ERROR lines; any other value prints one warning, as upstream (memkind_log.c).
 * Reports of bad pointers (`report`) are always printed: they are bugs in the caller.
 */

let enabled: boolean | undefined;

function debugEnabled(): boolean {
  if (enabled === undefined) {
    const value = process.env.MEMKIND_DEBUG;
    enabled = value === "1";
    if (value !== undefined && value !== "1") {
      process.stderr.write(
        `MEMKIND_WARNING: debug option "${value}" unknown; Try man memkind for available options.\n`,
      );
    }
  }
  return enabled;
}

/** Re-reads MEMKIND_DEBUG on next use (for tests that change it). */
export function resetLogging(): void {
  enabled = undefined;
}

export function logInfo(message: string): void {
  if (debugEnabled()) process.stderr.write(`MEMKIND_INFO: ${message}\n`);
}

export function logWarning(message: string): void {
  if (debugEnabled()) process.stderr.write(`MEMKIND_WARNING: ${message}\n`);
}

export function logError(message: string): void {
  if (debugEnabled()) process.stderr.write(`MEMKIND_ERROR: ${message}\n`);
}

/** An error line printed whatever MEMKIND_DEBUG says. */
export function report(message: string): void {
  process.stderr.write(`MEMKIND_ERROR: ${message}\n`);
}
