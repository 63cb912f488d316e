/**
 * Example: a user-defined kind whose pages come from a memfd shared with a child process.
 *
 * The kind's `map` operation grows an anonymous memory file (memfd_create) and maps the new
 * part MAP_SHARED, so every block the kind hands out is also a range of that file. The parent
 * allocates a block, writes a message into it and starts a child, telling it the file offset
 * of the block. The child maps the same memfd through /proc/<parent pid>/fd/<fd>, reads the
 * message and writes a reply next to it; the parent reads the reply from its own block.
 *
 *   node dist/examples/memfd-kind.js          # prints the message the child read and its reply
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { view } from "../src/c.js";
import {
  defaultPlatform,
  Kind,
  MADV_REMOVE,
  MAP_SHARED,
  MFD_CLOEXEC,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
} from "../src/index.js";

const platform = defaultPlatform();
const PAGE = 4096;

/** A piece of the memfd mapped into this process: [addr, addr + length) is file [offset, ...). */
interface Piece {
  readonly addr: number;
  readonly offset: number;
  readonly length: number;
}

/** A kind over a fresh memfd, and where each of its bytes lives in the file. */
export function memfdKind(name: string): {
  kind: Kind;
  fd: number;
  fileOffset: (ptr: number) => number;
} {
  const fd = platform.memfdCreate(name, MFD_CLOEXEC);
  let fileSize = 0;
  /** The mapped pieces, kept in step with `unmap`: the kernel reuses unmapped addresses. */
  let pieces: Piece[] = [];
  const kind = Kind.create(name, {
    // A chunk: grow the file and map the new part. (The heap may ask again with room to spare
    // when the address is not aligned, and unmap what it does not need.)
    map: (length) => {
      const offset = fileSize;
      platform.ftruncate(fd, offset + length);
      fileSize += length;
      const addr = platform.mmap(0, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
      pieces.push({ addr, offset, length });
      return addr;
    },
    // The heap unmaps what it does not keep (a misaligned first try, the ends of an aligned
    // one, chunks it releases): drop those bytes from the pieces.
    unmap: (addr, length) => {
      platform.munmap(addr, length);
      pieces = pieces.flatMap((p) => {
        const end = addr + length;
        if (end <= p.addr || addr >= p.addr + p.length) return [p];
        const kept: Piece[] = [];
        if (addr > p.addr) kept.push({ addr: p.addr, offset: p.offset, length: addr - p.addr });
        if (end < p.addr + p.length)
          kept.push({
            addr: end,
            offset: p.offset + (end - p.addr),
            length: p.addr + p.length - end,
          });
        return kept;
      });
    },
    // Freed pages give their memory back by punching the file (plain DONTNEED would not).
    purge: (addr, length) => platform.madvise(addr, length, MADV_REMOVE),
    zeroed: true,
    destroy: () => {
      platform.close(fd);
      return 0;
    },
  });
  const fileOffset = (ptr: number) => {
    const piece = pieces.find((p) => p.addr <= ptr && ptr < p.addr + p.length);
    if (!piece) throw new RangeError(`0x${ptr.toString(16)} is not in ${name}'s file`);
    return piece.offset + (ptr - piece.addr);
  };
  return { kind, fd, fileOffset };
}

/** The parent's side: returns what the child read and what it answered. */
export function runMemfdExample(message = "hello from the parent"): {
  read: string;
  reply: string;
} {
  const { kind, fd, fileOffset } = memfdKind("memfd_example");
  try {
    const text = new TextEncoder().encode(message);
    const ptr = kind.malloc(4096);
    if (ptr === 0) throw new Error("the memfd kind could not allocate");
    view(ptr, text.length).set(text);
    const child = spawnSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        "child",
        `/proc/${process.pid}/fd/${fd}`,
        `${fileOffset(ptr)}`,
        `${text.length}`,
      ],
      { encoding: "utf8" },
    );
    if (child.status !== 0) throw new Error(`the child failed: ${child.stderr}`);
    const replyBytes = view(ptr + 1024, 64);
    const reply = new TextDecoder().decode(replyBytes.subarray(0, replyBytes.indexOf(0)));
    return { read: child.stdout.trim(), reply };
  } finally {
    kind[Symbol.dispose]();
  }
}

/** The child's side: map the parent's memfd, read the message, write a reply 1 KiB after it. */
function child(path: string, offset: number, length: number): void {
  const fd = platform.open(path, O_RDWR);
  const start = Math.floor(offset / PAGE) * PAGE;
  const span = offset - start + 2048;
  const addr = platform.mmap(0, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, start);
  const bytes = platform.view(addr, span);
  const at = offset - start;
  process.stdout.write(`${new TextDecoder().decode(bytes.subarray(at, at + length))}\n`);
  bytes.set(new TextEncoder().encode(`child ${process.pid} read ${length} bytes\0`), at + 1024);
  platform.munmap(addr, span);
  platform.close(fd);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === "child") {
    child(process.argv[3] as string, Number(process.argv[4]), Number(process.argv[5]));
  } else {
    const { read, reply } = runMemfdExample();
    console.log(`the child read: ${read}\nits reply: ${reply}`);
  }
}
