/**
 * memkind/c: the memkind-compatible API (names, arguments and errno behaviour of memkind's
 * C API). The heap and the kinds fill it in; for now it carries the version call.
 */

/** memkind 1.14.0, as upstream encodes it: major * 1000000 + minor * 1000 + patch. */
export function memkind_get_version(): number {
  return 1014000;
}
