/**
 * The TypeScript makers of fixed and user-defined kinds (Kind.fixed, Kind.create and
 * `using`), installed into kind.ts: exceptions instead of codes.
 */
import { MemkindError } from "./errors.js";
import { createFixedKind, type FixedMemory } from "./fixed-kind.js";
import { installDynamicKinds, type Kind } from "./kind.js";
import { createUserKind, type KindOperations } from "./user-kind.js";

function made(creation: ReturnType<typeof createFixedKind>): Kind {
  if ("kind" in creation) return creation.kind;
  throw new MemkindError(creation.message, creation.code);
}

installDynamicKinds({
  create: (name: string, operations: KindOperations) => made(createUserKind(name, operations)),
  fixed: (memory: FixedMemory, size?: number) => {
    const whole = typeof memory === "number" ? size : (size ?? memory.byteLength);
    return made(createFixedKind(memory, whole));
  },
});
