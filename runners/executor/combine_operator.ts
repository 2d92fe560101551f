/**
 * The lifted half of a CombinePerKey that runs before the shuffle: one accumulator per key and
 * window per bundle, flushed to the shuffle at the end of the bundle (or when the table grows
 * past a bound, so memory stays flat for huge key spaces).
 */
import type { Coder } from "../../lib/coders/coder";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { MetricsContainer, setActiveContainer } from "../../lib/model/metrics";
import type { BoundedWindow, Instant, KV, WindowedValue } from "../../lib/model/window";
import { CheckSampler, checkKeyDeterministic } from "./checks";
import { groupIdentity, keyIdentity } from "./grouping_key";
import { Operator, wrapUserError } from "./operator";
import type { MaybePromise } from "./receiver";

/** Where grouped data goes: the shuffle of a GroupByKey or lifted combine. */
export interface GroupingSink {
  /** Adds a value (or an accumulator, for combines) to the group `groupId`. */
  add(groupId: string, key: unknown, window: BoundedWindow, timestamp: Instant, value: unknown): void;
}

/** How many distinct keys a bundle may hold before flushing early. */
export const PRECOMBINE_MAX_KEYS = 50_000;

interface Entry {
  key: unknown;
  window: BoundedWindow;
  timestamp: Instant;
  acc: unknown;
}

export class PrecombineOperator implements Operator {
  private table = new Map<string, Entry>();

  constructor(
    readonly transformName: string,
    private readonly combineFn: CombineFnLike,
    private readonly keyCoder: Coder<unknown>,
    private readonly sink: GroupingSink,
    private readonly metrics: MetricsContainer,
    private readonly keyChecks: CheckSampler | undefined,
  ) {}

  setup(): MaybePromise {
    return undefined;
  }
  startBundle(): MaybePromise {
    this.keyChecks?.resetForBundle();
    return undefined;
  }
  teardown(): MaybePromise {
    return undefined;
  }

  receive(wv: WindowedValue<unknown>): MaybePromise {
    const { key, value } = wv.value as KV<unknown, unknown>;
    if (this.keyChecks !== undefined && this.keyChecks.shouldCheck()) checkKeyDeterministic(this.transformName, key, this.keyCoder);
    const keyId = keyIdentity(key, this.keyCoder);
    const previous = setActiveContainer(this.metrics);
    try {
      for (const window of wv.windows) {
        const id = groupIdentity(keyId, window);
        let entry = this.table.get(id);
        if (entry === undefined) {
          entry = { key, window, timestamp: wv.timestamp, acc: this.combineFn.createAccumulator() };
          this.table.set(id, entry);
        } else if (wv.timestamp < entry.timestamp) entry.timestamp = wv.timestamp;
        entry.acc = this.combineFn.addInput(entry.acc, value);
      }
    } catch (e) {
      throw wrapUserError(this.transformName, "combine", e, wv);
    } finally {
      setActiveContainer(previous);
    }
    if (this.table.size >= PRECOMBINE_MAX_KEYS) this.flush();
    return undefined;
  }

  finishBundle(): MaybePromise {
    this.flush();
    return undefined;
  }

  private flush(): void {
    const previous = setActiveContainer(this.metrics);
    try {
      for (const [id, e] of this.table) {
        const acc = this.combineFn.compact ? this.combineFn.compact(e.acc) : e.acc;
        this.sink.add(id, e.key, e.window, e.timestamp, acc);
      }
    } catch (e) {
      throw wrapUserError(this.transformName, "combine", e);
    } finally {
      setActiveContainer(previous);
    }
    this.table = new Map();
  }
}

/** Feeds a GroupByKey's shuffle from its input PCollection. */
export class GroupingWriter implements Operator {
  constructor(
    readonly transformName: string,
    private readonly keyCoder: Coder<unknown>,
    private readonly sink: GroupingSink,
    private readonly keyChecks: CheckSampler | undefined,
  ) {}
  setup(): MaybePromise {
    return undefined;
  }
  startBundle(): MaybePromise {
    this.keyChecks?.resetForBundle();
    return undefined;
  }
  finishBundle(): MaybePromise {
    return undefined;
  }
  teardown(): MaybePromise {
    return undefined;
  }
  receive(wv: WindowedValue<unknown>): MaybePromise {
    const { key, value } = wv.value as KV<unknown, unknown>;
    if (this.keyChecks !== undefined && this.keyChecks.shouldCheck()) checkKeyDeterministic(this.transformName, key, this.keyCoder);
    const keyId = keyIdentity(key, this.keyCoder);
    for (const window of wv.windows) this.sink.add(groupIdentity(keyId, window), key, window, wv.timestamp, value);
    return undefined;
  }
}
