/**
 * The TypeScript makers of fixed and user-defined kinds (Kind.fixed, Kind.create and
 * `using`), installed into kind.ts: exceptions instead of codes.
 */
import { MEMKIND_SUCCESS, MemkindError } from "./errors.js";
import { createFixedKind, type FixedMemory } from "./fixed-kind.js";
import { dynamicKinds, type Kind } from "./kind.js";
import { destroyKind, isRegistered, isStaticKind } from "./registry.js";
import { createUserKind, type KindOperations } from "./user-kind.js";

function made(creation: ReturnType<typeof createFixedKind>): Kind {
  if ("kind" in creation) return creation.kind;
  throw new MemkindError(creation.message, creation.code);
}

dynamicKinds.create = (name: string, operations: KindOperations) =>
  made(createUserKind(name, operations));

dynamicKinds.fixed = (memory: FixedMemory, size?: number) => {
  const whole = typeof memory === "number" ? size : (size ?? memory.byteLength);
  return made(createFixedKind(memory, whole));
};

dynamicKinds.dispose = (kind: Kind) => {
  if (isStaticKind(kind) || !isRegistered(kind)) return;
  const code = destroyKind(kind);
  if (code !== MEMKIND_SUCCESS)
    throw new MemkindError(`destroying kind ${kind.name} returned ${code}`, code);
};
