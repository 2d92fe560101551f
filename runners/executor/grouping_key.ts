/**
 * Grouping identity of a (key, window) pair as a JS string, so grouping can use a Map.
 *
 * Beam groups by the encoded bytes of the key. Strings and numbers get a fast path whose
 * identity matches their encoding (-0 and 0 differ, as their encodings do); any other key is
 * encoded with the deterministic key coder.
 */
import type { Coder } from "../../lib/coders/coder";
import { encodeToBytes } from "../../lib/coders/coder";
import { BoundedWindow, GlobalWindow } from "../../lib/model/window";

export function keyIdentity(key: unknown, keyCoder: Coder<unknown>): string {
  switch (typeof key) {
    case "string":
      return "s" + key;
    case "number":
      return Object.is(key, -0) ? "n-0" : "n" + key;
    case "boolean":
      return key ? "T" : "F";
    default:
      if (key === null) return "N";
      return "b" + Buffer.from(encodeToBytes(keyCoder, key)).toString("latin1");
  }
}

/** Identity of a key within a window. */
export function groupIdentity(keyId: string, window: BoundedWindow): string {
  return window === GlobalWindow.INSTANCE ? keyId : `${window.id()}\u0000${keyId}`;
}
