/**
 * errno of the memkind-compatible API: what the last memkind_ / hbw_ / memtier_ call of this
 * worker left. Calls that succeed leave it unchanged, as in C.
 */
let errno = 0;

export function getErrno(): number {
  return errno;
}

export function setErrno(value: number): void {
  errno = value;
}
