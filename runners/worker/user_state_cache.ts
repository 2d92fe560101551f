/**
 * The worker's cache of user state between bundles. State stays cached while the runner sends
 * the same user-state cache token (ProcessBundleRequest.cache_tokens): the runner promises
 * nobody else changed it meanwhile. Without a token, or with a new one, every bundle reads what
 * it touches again. The cache is the worker's, shared by the pooled processors of a descriptor,
 * as Beam Python's StateCache is: a key's next bundle may run on another processor than its last.
 */
import type { Cell } from "./user_state_cells";

/** At most this many (key, window) slots stay cached between bundles (the oldest go first). */
const MAX_CACHED_SLOTS = 10_000;

/** The cells of one key in one window. */
export interface Slot {
  readonly keyBytes: Uint8Array;
  readonly windowBytes: Uint8Array;
  readonly cells: Map<string, Cell>;
}

/**
 * The user state of one stateful ParDo cached between bundles under the runner's cache token,
 * shared by every processor running the transform. A bundle takes a (key, window) out while it
 * works on it and puts it back, as the runner then holds it, once its writes are done: so a
 * failed bundle leaves nothing behind, and bundles running at once (on other keys, as runners
 * guarantee) never share a cell.
 */
export class UserStateCache {
  private token: string | undefined;
  private readonly slots = new Map<string, Slot>();

  /** A bundle starts under `token`: a new token (or none) means anything cached may be stale. */
  begin(token: string | undefined): void {
    if (token === undefined || token !== this.token) this.slots.clear();
    this.token = token;
  }

  /** The cached slot `id` for a bundle under `token`, removed from the cache while the bundle holds it. */
  take(token: string | undefined, id: string): Slot | undefined {
    if (token === undefined || token !== this.token) return undefined;
    const slot = this.slots.get(id);
    if (slot !== undefined) this.slots.delete(id);
    return slot;
  }

  /** Caches a slot a bundle under `token` wrote back (dropped if the token has changed since). */
  put(token: string | undefined, id: string, slot: Slot): void {
    if (token === undefined || token !== this.token) return;
    this.slots.delete(id);
    this.slots.set(id, slot);
    if (this.slots.size > MAX_CACHED_SLOTS) this.slots.delete(this.slots.keys().next().value as string);
  }
}
