/** Page providers for tests that need one with fewer abilities than the real ones. */
import type { PageProvider } from "../../src/providers/provider.js";

/**
 * A provider that passes map, unmap, purge and view to `inner` and has none of its optional
 * abilities (mapAt, growChunks, commit, grant, ...) unless `extra` gives them back.
 */
export function plainProvider(
  inner: PageProvider,
  description: string,
  extra: Partial<PageProvider> = {},
): PageProvider {
  return {
    description,
    zeroed: true,
    map: (length, alignment) => inner.map(length, alignment),
    unmap: (addr, length) => inner.unmap(addr, length),
    purge: (addr, length) => inner.purge(addr, length),
    view: (addr, length) => inner.view(addr, length),
    ...extra,
  };
}
