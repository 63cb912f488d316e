/**
 * memkind/c: the memkind-compatible API (names, arguments and errno behaviour of memkind's
 * C API). See src/api/c.ts.
 */
export * from "./api/c.js";
