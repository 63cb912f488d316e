/**
 * Loading memkind's C-style API (`dist/src/c.js`) for the benchmarks.
 *
 * The module is imported by URL at run time, so the suite compiles and runs before the heap
 * exists: a missing `memkind_malloc` export is reported as "not built yet" and every peer
 * still runs. The interface below lists only what the suite calls (DESIGN.md section 6.1).
 */

/** A kind object (opaque to the benchmarks). */
export type Kind = object;

/** The part of `memkind/c` that the benchmarks use. */
export interface MemkindC {
  MEMKIND_DEFAULT: Kind;
  memkind_malloc(kind: Kind, size: number): number;
  memkind_free(kind: Kind | null, ptr: number): void;
  memkind_detect_kind(ptr: number): Kind | null;
  view(ptr: number, length: number): Uint8Array;
  memkind_purge?: (kind: Kind | null) => number;
  memkind_get_stat?: (kind: Kind | null, stat: number, out: { value: number }) => number;
  memkind_update_cached_stats?: () => number;
  MEMKIND_STAT_TYPE_RESIDENT?: number;
}

export type MemkindLoad = { ok: true; api: MemkindC } | { ok: false; status: string };

/** `dist/src/c.js`, relative to this file (`dist/bench/lib/memkind.js`). */
export const MEMKIND_C_URL = new URL("../../src/c.js", import.meta.url);

function isFunction(x: unknown): boolean {
  return typeof x === "function";
}

/**
 * Imports memkind/c and checks it with one malloc(64) + view + free. Never throws: what does
 * not work comes back as a status line ("not built yet ...", "failed to load: ...").
 */
export async function loadMemkind(): Promise<MemkindLoad> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(MEMKIND_C_URL.href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND") {
      return { ok: false, status: "not built yet (no dist/src/c.js: run npm run build)" };
    }
    return { ok: false, status: `failed to load dist/src/c.js: ${String(err)}` };
  }
  if (!isFunction(mod.memkind_malloc)) {
    return { ok: false, status: "not built yet (dist/src/c.js has no memkind_malloc)" };
  }
  for (const name of ["memkind_free", "memkind_detect_kind", "view"]) {
    if (!isFunction(mod[name])) return { ok: false, status: `not built yet (no ${name})` };
  }
  if (typeof mod.MEMKIND_DEFAULT !== "object" || mod.MEMKIND_DEFAULT === null) {
    return { ok: false, status: "not built yet (no MEMKIND_DEFAULT)" };
  }
  const api = mod as unknown as MemkindC;
  try {
    const p = api.memkind_malloc(api.MEMKIND_DEFAULT, 64);
    if (p === 0) return { ok: false, status: "broken: memkind_malloc(MEMKIND_DEFAULT, 64) = 0" };
    const bytes = api.view(p, 64);
    bytes[0] = 1;
    bytes[63] = 2;
    api.memkind_free(api.MEMKIND_DEFAULT, p);
  } catch (err) {
    return { ok: false, status: `broken: ${String(err)}` };
  }
  return { ok: true, api };
}

/** memkind's own resident statistic over all kinds in bytes, if the API has one. */
export function memkindResidentBytes(api: MemkindC): number | undefined {
  const getStat = api.memkind_get_stat;
  if (getStat === undefined) return undefined;
  api.memkind_update_cached_stats?.();
  const out = { value: 0 };
  const rc = getStat(null, api.MEMKIND_STAT_TYPE_RESIDENT ?? 0, out);
  return rc === 0 ? out.value : undefined;
}
