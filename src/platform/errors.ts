import { constants } from "node:os";

/** Where names collide on one number, the name glibc's headers and strerror use. */
const PREFERRED_NAMES = new Set(["EOPNOTSUPP", "EAGAIN", "EDEADLK"]);

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!errnoNames.has(value) || PREFERRED_NAMES.has(name)) errnoNames.set(value, name);
}

/** The symbolic name of a Linux errno value (`22` -> `"EINVAL"`), or `"E<n>"` if unknown. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** The errno value of a symbolic name (`"ENOMEM"` -> 12). Throws on an unknown name. */
export function errnoValue(name: string): number {
  const value = (constants.errno as Record<string, number | undefined>)[name];
  if (value === undefined) throw new RangeError(`unknown errno name ${name}`);
  return value;
}

/**
 * A failed system call. Carries the call (with its arguments, as text), the errno value and
 * its name, so that callers can branch on `code` ("ENOMEM", "EINVAL", ...) like Node's own
 * system errors.
 */
export class PlatformError extends Error {
  override readonly name = "PlatformError";
  /** The call that failed, e.g. `mbind(0x7f0000000000, 4096, MPOL_BIND, {1}, 0)`. */
  readonly call: string;
  /** The errno value (positive). */
  readonly errno: number;
  /** The errno name, e.g. `"EINVAL"`. */
  readonly code: string;

  constructor(call: string, errno: number, description?: string) {
    const code = errnoName(errno);
    super(`${call} failed: ${code}${description ? ` (${description})` : ""}`);
    this.call = call;
    this.errno = errno;
    this.code = code;
  }
}

/** Formats an address for messages: hexadecimal, as C prints pointers. */
export function hex(address: number): string {
  return `0x${address.toString(16)}`;
}
