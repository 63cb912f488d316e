/**
 * A kind: a name, where its pages come from (a page provider) and how its arenas behave. The
 * same object is the `memkind_t` of memkind/c and the `Kind` of the TypeScript API.
 *
 * Arenas: upstream gives each arena kind `arenasPerKind()` arenas and picks one per thread by
 * hashing the thread id. Here each worker has its own heap, so a worker only ever creates the
 * one arena its thread id selects (its index is kept for statistics).
 */
import { threadId } from "node:worker_threads";
import type { Arena } from "../heap/arena.js";
import { LOOKUP_MAX_SIZE, MAX_REQUEST } from "../heap/size-classes.js";
import type { PageProvider } from "../providers/provider.js";
import { arenasPerKind, DEFAULT_DECAY_MS, hogMemory } from "./env.js";
import {
  EINVAL,
  ENOMEM,
  MEMKIND_ERROR_ENVIRON,
  MEMKIND_ERROR_INVALID,
  MEMKIND_SUCCESS,
  MemkindError,
} from "./errors.js";
import type { FixedMemory } from "./fixed-kind.js";
import { heap } from "./heap.js";
import { logInfo } from "./log.js";
import type { PmemOptions } from "./pmem.js";
import type { KindOperations } from "./user-kind.js";

export interface KindDescription {
  /** The mbind mode ("MPOL_BIND", ...) or "none". */
  readonly policy: string;
  readonly nodes: readonly number[] | null;
  readonly pageSize: number;
}

export interface KindDefinition {
  readonly name: string;
  /** Makes the provider when the kind is first used (node choice happens then). */
  readonly provider: () => PageProvider;
  /** MEMKIND_SUCCESS, or the error that makes the kind unavailable. */
  readonly checkAvailable?: () => number;
  /** Decay of dirty pages in ms (default 10 s). */
  readonly decayMs?: number;
  /** MEMKIND_DEFAULT follows plain jemalloc's edge cases, not the arena kinds' (section 1.10). */
  readonly isDefault?: boolean;
  /** memkind_get_capacity: bytes the kind can hold, -1 where upstream says "not supported". */
  readonly capacity?: () => number;
  /** Policy, nodes for the calling CPU (null: unavailable) and page size, for `memkind info`. */
  readonly describe?: () => KindDescription;
  /**
   * Releases what the kind owns beyond its arena (a file descriptor, ...) when it is
   * destroyed, after the arena's chunks are gone; MEMKIND_SUCCESS or an error code.
   */
  readonly finalize?: () => number;
}

/** splitmix64 of a thread id, as upstream hashes pthread_self() to pick an arena. */
function splitmix64(x: bigint): bigint {
  const mask = (1n << 64n) - 1n;
  let z = (x + 0x9e3779b97f4a7c15n) & mask;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
  return z ^ (z >> 31n);
}

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export interface TypedArrayConstructor<T extends TypedArray> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** Sizes Heap.mallocSmall serves from the thread cache (a module-local copy for the hot path). */
const CACHED_MAX = LOOKUP_MAX_SIZE;

/** Arena owner table: kind of each heap arena id, for kind detection in O(1). */
export const kindOfArena: (Kind | undefined)[] = [];

/**
 * What `Kind`'s static constructors and `Symbol.dispose` need from modules that import this
 * one (the registry, kinds/pmem.ts): installed by those modules when they load, since a
 * static import from here would be a cycle that breaks the static kinds' initialisation.
 */
export interface DynamicKinds {
  /** Kind.pmem (kinds/pmem.ts). */
  readonly pmem: (dir: string, options: PmemOptions) => Kind;
  /** memkind_destroy_kind (registry.destroyKind). */
  readonly destroy: (kind: Kind) => number;
  /** Kind.create (kinds/dynamic-kinds.ts). */
  readonly create: (name: string, operations: KindOperations) => Kind;
  /** Kind.fixed (kinds/dynamic-kinds.ts). */
  readonly fixed: (memory: FixedMemory, size?: number) => Kind;
}

const dynamicKinds: Partial<DynamicKinds> = {};

export function installDynamicKinds(hooks: Partial<DynamicKinds>): void {
  Object.assign(dynamicKinds, hooks);
}

function dynamicKind<K extends keyof DynamicKinds>(name: K): DynamicKinds[K] {
  const hook = dynamicKinds[name];
  if (!hook) throw new Error(`Kind: ${name} is not loaded (import "memkind" or "memkind/c")`);
  return hook as DynamicKinds[K];
}

export class Kind {
  /** The arena this worker allocates from; undefined until first use. */
  arena: Arena | undefined;
  /** Its id in the heap (-1 until first use): the malloc fast path needs only this number. */
  arenaId = -1;
  /** memkind_set_allow_zero_allocs: malloc(0) returns a minimal allocation instead of NULL. */
  allowZeroAllocs = false;
  /** Index of this worker's arena among the kind's `arenaCount`. */
  arenaIndex = 0;
  arenaCount = 0;
  readonly isDefault: boolean;
  /** Set by memkind_destroy_kind: the kind can no longer allocate. */
  destroyed = false;

  constructor(
    readonly partition: number,
    private readonly definition: KindDefinition,
  ) {
    this.isDefault = definition.isDefault ?? false;
  }

  get name(): string {
    return this.definition.name;
  }

  checkAvailable(): number {
    return this.definition.checkAvailable?.() ?? MEMKIND_SUCCESS;
  }

  /** Policy, nodes for the calling CPU and page size. */
  describe(): KindDescription {
    return this.definition.describe?.() ?? { policy: "none", nodes: null, pageSize: 4096 };
  }

  /** Bytes the kind's memory can hold (memkind_get_capacity), or -1. */
  capacity(): number {
    return this.definition.capacity?.() ?? -1;
  }

  /**
   * Creates this worker's arena on first use. Throws MemkindError when the kind cannot be
   * initialised at all (upstream aborts there: an invalid MEMKIND_ARENA_NUM_PER_KIND).
   */
  init(): Arena {
    if (this.arena) return this.arena;
    if (this.destroyed)
      throw new MemkindError(`kind ${this.name} has been destroyed`, MEMKIND_ERROR_INVALID);
    logInfo(`Initializing kind ${this.name}.`);
    const count = this.isDefault ? 256 : arenasPerKind();
    if (count === undefined) {
      throw new MemkindError(
        `[${this.name}] Failed to create arena map: invalid MEMKIND_ARENA_NUM_PER_KIND="${process.env.MEMKIND_ARENA_NUM_PER_KIND}"`,
        MEMKIND_ERROR_ENVIRON,
      );
    }
    this.arenaCount = count;
    this.arenaIndex = Number(splitmix64(BigInt(threadId)) & BigInt(count - 1));
    const arena = heap.createArena(this.definition.provider(), {
      decayMs: this.definition.decayMs ?? DEFAULT_DECAY_MS,
      hog: hogMemory(),
    });
    kindOfArena[arena.id] = this;
    this.arena = arena;
    this.arenaId = arena.id;
    return arena;
  }

  /**
   * `size` bytes of this kind as a pointer, or 0 when no memory can be had or the size is not
   * a positive integer: the hot path, without exceptions (memkind_malloc without errno).
   */
  malloc(size: number): number {
    const arenaId = this.arenaId;
    // The thread-cache hit, as memkind_malloc's: small enough for V8 to inline into callers.
    if (arenaId >= 0 && size > 0 && size <= CACHED_MAX && (size | 0) === size)
      return heap.mallocSmall(arenaId, size);
    return +this.mallocSlow(size); // `+`: a raw double on both paths (see Heap.mallocSmall)
  }

  private mallocSlow(size: number): number {
    if (!Number.isInteger(size) || size <= 0 || size > MAX_REQUEST || this.destroyed) return 0;
    return heap.malloc(this.arena ?? this.init(), size);
  }

  /** `bytes` bytes of this kind as a Uint8Array over the allocation; throws MemkindError. */
  alloc(bytes: number): Uint8Array {
    const ptr = this.allocChecked("alloc", bytes);
    return heap.bytes(ptr, bytes);
  }

  /** `length` elements of `Type` (aligned to the element size); throws MemkindError. */
  allocArray<T extends TypedArray>(Type: TypedArrayConstructor<T>, length: number): T {
    if (!Number.isInteger(length) || length <= 0) {
      throw new MemkindError(
        `${this.name}.allocArray(): length ${length} is not a positive integer`,
        EINVAL,
      );
    }
    const bytes = length * Type.BYTES_PER_ELEMENT;
    const view = heap.bytes(this.allocChecked("allocArray", bytes), bytes);
    return new Type(view.buffer, view.byteOffset, length);
  }

  private allocChecked(call: string, bytes: number): number {
    if (!Number.isInteger(bytes) || bytes <= 0) {
      throw new MemkindError(
        `${this.name}.${call}(): size ${bytes} is not a positive integer`,
        EINVAL,
      );
    }
    const ptr = bytes > MAX_REQUEST ? 0 : heap.malloc(this.arena ?? this.init(), bytes);
    if (ptr === 0)
      throw new MemkindError(`${this.name}.${call}(): out of memory for ${bytes} bytes`, ENOMEM);
    return ptr;
  }

  /**
   * The end of a destroyed kind, after its arena was released (registry.destroyKind):
   * releases the kind's own resources and stops it from allocating again.
   */
  finalize(): number {
    this.destroyed = true;
    this.arena = undefined;
    this.arenaId = -1;
    return this.definition.finalize?.() ?? MEMKIND_SUCCESS;
  }

  toString(): string {
    return this.name;
  }

  /**
   * A PMEM kind (memkind_create_pmem): memory in a temporary file in `dir`, unlinked at once,
   * holding at most `maxSize` bytes. Throws MemkindError with memkind's code (INVALID for a
   * bad size or directory, TOOMANY when 512 kinds exist). `using kind = Kind.pmem(dir)`
   * destroys it at the end of the scope.
   */
  static pmem(dir: string, options: PmemOptions = {}): Kind {
    return dynamicKind("pmem")(dir, options);
  }

  /**
   * Destroys a dynamic kind (memkind_destroy_kind): its pointers become foreign. Static kinds
   * and kinds destroyed already are left as they are.
   */
  [Symbol.dispose](): void {
    if (this.destroyed) return;
    const code = dynamicKind("destroy")(this);
    if (code !== MEMKIND_SUCCESS && code !== MEMKIND_ERROR_INVALID)
      throw new MemkindError(`destroying kind ${this.name} failed`, code);
  }

  /** A user-defined kind over memory operations (memkind_create); throws MemkindError. */
  static create(name: string, operations: KindOperations): Kind {
    return dynamicKind("create")(name, operations);
  }

  /** A kind living in the caller's memory only (memkind_create_fixed); throws MemkindError. */
  static fixed(memory: FixedMemory, size?: number): Kind {
    return dynamicKind("fixed")(memory, size);
  }
}
