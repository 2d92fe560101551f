/**
 * Trigger state machines: the runtime state of a Trigger for one key and window, with the
 * semantics of Beam's trigger state machines (runners-core).
 *
 * The grouping step calls `onElement` for each element added to the window, asks `shouldFire`
 * once per bundle for the windows the bundle touched and whenever a timer of the window is due
 * (its end, a processing-time delay), and calls `onFire` before emitting the pane. A finished
 * machine closes the window. When windows merge (sessions), a fresh machine for the merged
 * window takes over the states of the merging windows' machines through `onMerge`.
 *
 * Each node has a `finished` flag (Beam's "finished bits") and state (counts, delays). `clear`
 * drops the state but keeps the flags; `resetTree` drops both, for the node and its subtree.
 */
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { alignProcessingTime, type ProcessingTimeAlignment, type Trigger } from "../../lib/model/triggers";
import type { BoundedWindow, Instant } from "../../lib/model/window";
import { readOptionalDouble, writeOptionalDouble } from "./checkpoint";

/** What a trigger sees when it is evaluated. */
export interface TriggerContext {
  readonly window: BoundedWindow;
  /** The input watermark of the grouping step. */
  readonly watermark: Instant;
  readonly processingTime: Instant;
}

function endOfWindowReached(ctx: TriggerContext): boolean {
  return ctx.watermark > ctx.window.maxTimestamp();
}

/** The state of one trigger node. */
export abstract class TriggerMachine {
  finished = false;
  constructor(readonly children: readonly TriggerMachine[] = NO_CHILDREN) {}
  /** Whether onElement does anything in this subtree (the grouping step skips the call per element otherwise). */
  get seesElements(): boolean {
    return true;
  }
  abstract onElement(ctx: TriggerContext): void;
  /**
   * Takes over the states of `parts`, the machines (same tree) of the windows merging into this
   * one; this machine starts with the finished flags of the merged window if it was one of them.
   */
  abstract onMerge(parts: readonly TriggerMachine[], ctx: TriggerContext): void;
  abstract shouldFire(ctx: TriggerContext): boolean;
  /** Called when the window fires because `shouldFire` was true. */
  abstract onFire(ctx: TriggerContext): void;
  /** Drops this subtree's state, keeping the finished flags. */
  clear(): void {
    for (const c of this.children) c.clear();
  }
  /** Back to the initial state: state and finished flags of the whole subtree. */
  resetTree(): void {
    this.finished = false;
    this.clear();
    for (const c of this.children) c.resetTree();
  }
  /** Copies the finished flags of `other` (a machine of the same tree). */
  copyFinished(other: TriggerMachine): void {
    this.finished = other.finished;
    this.children.forEach((c, i) => c.copyFinished(other.children[i]!));
  }
  /** Writes the state of the subtree (finished flags, counts, deadlines), node by node, pre-order. */
  save(w: ByteWriter): void {
    w.writeByte(this.finished ? 1 : 0);
    this.saveOwn(w);
    for (const c of this.children) c.save(w);
  }
  /** Reads what `save` wrote into a fresh machine of the same trigger. */
  load(r: ByteReader): void {
    this.finished = r.readByte() === 1;
    this.loadOwn(r);
    for (const c of this.children) c.load(r);
  }
  /** The node's own state beyond its finished flag (none for most triggers). */
  protected saveOwn(_w: ByteWriter): void {}
  protected loadOwn(_r: ByteReader): void {}
  /** The first child not finished (sequences: AfterEach, AfterWatermark's early/late phases). */
  protected firstUnfinished(): TriggerMachine | undefined {
    for (const c of this.children) if (!c.finished) return c;
    return undefined;
  }
}

/** The children of a leaf (one array for all of them: a machine per key and window must be small). */
const NO_CHILDREN: readonly TriggerMachine[] = [];

/** The child `i` of every part. */
const childOf = (parts: readonly TriggerMachine[], i: number): TriggerMachine[] => parts.map((p) => p.children[i]!);

class NeverMachine extends TriggerMachine {
  override get seesElements(): boolean {
    return false;
  }
  onElement(): void {}
  onMerge(): void {}
  shouldFire(): boolean {
    return false;
  }
  onFire(): void {}
}

/** The default trigger: every time the watermark is past the end of the window; never finishes. */
class DefaultMachine extends TriggerMachine {
  override get seesElements(): boolean {
    return false;
  }
  onElement(): void {}
  onMerge(): void {}
  shouldFire(ctx: TriggerContext): boolean {
    return endOfWindowReached(ctx);
  }
  onFire(): void {}
}

const DEFAULT_MACHINE = new DefaultMachine();

class AfterCountMachine extends TriggerMachine {
  count = 0;
  constructor(private readonly target: number) {
    super();
  }
  onElement(): void {
    this.count++;
  }
  /** Finished in any merging window: finished; otherwise the counts add up. */
  onMerge(parts: readonly TriggerMachine[]): void {
    if (parts.some((p) => p.finished)) {
      this.finished = true;
      this.count = 0;
      return;
    }
    let n = 0;
    for (const p of parts) n += (p as AfterCountMachine).count;
    this.count = n;
  }
  shouldFire(): boolean {
    return this.count >= this.target;
  }
  onFire(): void {
    this.count = 0;
    this.finished = true;
  }
  clear(): void {
    this.count = 0;
  }
  protected saveOwn(w: ByteWriter): void {
    w.writeVarInt(this.count);
  }
  protected loadOwn(r: ByteReader): void {
    this.count = r.readVarInt();
  }
}

class AfterProcessingTimeMachine extends TriggerMachine {
  /** Processing time at which it fires: the first element's arrival plus the delay (aligned up). */
  delayedUntil: Instant | undefined;
  constructor(
    private readonly delay: number,
    private readonly alignedTo: ProcessingTimeAlignment | undefined,
  ) {
    super();
  }
  onElement(ctx: TriggerContext): void {
    if (this.delayedUntil !== undefined) return;
    const t = ctx.processingTime + this.delay;
    this.delayedUntil = this.alignedTo === undefined ? t : alignProcessingTime(t, this.alignedTo);
  }
  /** The earliest deadline of the merging windows (unless the merged window's is finished). */
  onMerge(parts: readonly TriggerMachine[]): void {
    if (this.finished) {
      this.delayedUntil = undefined;
      return;
    }
    for (const p of parts) {
      const t = (p as AfterProcessingTimeMachine).delayedUntil;
      if (t !== undefined && (this.delayedUntil === undefined || t < this.delayedUntil)) this.delayedUntil = t;
    }
  }
  shouldFire(ctx: TriggerContext): boolean {
    return this.delayedUntil !== undefined && ctx.processingTime >= this.delayedUntil;
  }
  onFire(): void {
    this.delayedUntil = undefined;
    this.finished = true;
  }
  clear(): void {
    this.delayedUntil = undefined;
  }
  protected saveOwn(w: ByteWriter): void {
    writeOptionalDouble(w, this.delayedUntil);
  }
  protected loadOwn(r: ByteReader): void {
    this.delayedUntil = readOptionalDouble(r);
  }
}

/** AfterWatermark() alone: fires once, when the watermark passes the end of the window. */
class AfterEndOfWindowMachine extends TriggerMachine {
  override get seesElements(): boolean {
    return false;
  }
  onElement(): void {}
  /** Finished only if finished in every merging window and the merged window's end has passed too. */
  onMerge(parts: readonly TriggerMachine[], ctx: TriggerContext): void {
    this.finished = parts.every((p) => p.finished) && endOfWindowReached(ctx);
  }
  shouldFire(ctx: TriggerContext): boolean {
    return endOfWindowReached(ctx);
  }
  onFire(): void {
    this.finished = true;
  }
}

/**
 * AfterWatermark with early and/or late firings. Children: [early, late?]; the early child
 * (Never when absent) being finished means the on-time pane has fired.
 */
class AfterWatermarkEarlyLateMachine extends TriggerMachine {
  constructor(
    early: TriggerMachine,
    late: TriggerMachine | undefined,
    private readonly merging: boolean,
  ) {
    super(late !== undefined ? [early, late] : [early]);
  }
  private get early(): TriggerMachine {
    return this.children[0]!;
  }
  private get late(): TriggerMachine | undefined {
    return this.children[1];
  }
  onElement(ctx: TriggerContext): void {
    if (this.merging) for (const c of this.children) c.onElement(ctx);
    else this.firstUnfinished()?.onElement(ctx);
  }
  /**
   * A merged window whose end the watermark has not passed, or that was still early in some
   * merging window, is early again (the on-time pane is still to come); otherwise it is late.
   */
  onMerge(parts: readonly TriggerMachine[], ctx: TriggerContext): void {
    const early = this.early;
    const late = this.late;
    if (!parts.every((p) => p.children[0]!.finished) || !endOfWindowReached(ctx)) {
      early.onMerge(childOf(parts, 0), ctx);
      early.finished = false;
      if (late !== undefined) {
        late.onMerge(childOf(parts, 1), ctx);
        late.finished = false;
        late.clear();
      }
    } else {
      early.finished = true;
      late?.onMerge(childOf(parts, 1), ctx);
    }
  }
  shouldFire(ctx: TriggerContext): boolean {
    if (!this.early.finished) return this.early.shouldFire(ctx) || endOfWindowReached(ctx);
    return this.late?.shouldFire(ctx) ?? false;
  }
  onFire(ctx: TriggerContext): void {
    const early = this.early;
    const late = this.late;
    if (!early.finished) {
      if (!endOfWindowReached(ctx)) {
        // An early pane: the early trigger starts over.
        early.onFire(ctx);
        early.clear();
        early.finished = false;
        return;
      }
      // The on-time pane.
      if (early.shouldFire(ctx)) early.onFire(ctx);
      early.finished = true;
      early.clear();
      if (late === undefined) this.finished = true;
      else late.clear();
    } else if (late !== undefined) {
      late.onFire(ctx);
      late.clear();
      late.finished = false;
    } else this.finished = true;
  }
}

class RepeatedlyMachine extends TriggerMachine {
  constructor(child: TriggerMachine) {
    super([child]);
  }
  onElement(ctx: TriggerContext): void {
    this.children[0]!.onElement(ctx);
  }
  onMerge(parts: readonly TriggerMachine[], ctx: TriggerContext): void {
    this.children[0]!.onMerge(childOf(parts, 0), ctx);
  }
  shouldFire(ctx: TriggerContext): boolean {
    return this.children[0]!.shouldFire(ctx);
  }
  /** Starts the trigger over once it has finished (an AfterEach in the middle of its sequence has not). */
  onFire(ctx: TriggerContext): void {
    const child = this.children[0]!;
    child.onFire(ctx);
    if (child.finished) child.resetTree();
  }
}

class AfterFirstMachine extends TriggerMachine {
  onElement(ctx: TriggerContext): void {
    for (const c of this.children) c.onElement(ctx);
  }
  onMerge(parts: readonly TriggerMachine[], ctx: TriggerContext): void {
    this.children.forEach((c, i) => c.onMerge(childOf(parts, i), ctx));
    this.finished = this.children.some((c) => c.finished);
  }
  shouldFire(ctx: TriggerContext): boolean {
    return this.children.some((c) => c.finished || c.shouldFire(ctx));
  }
  onFire(ctx: TriggerContext): void {
    for (const c of this.children) {
      if (c.shouldFire(ctx)) c.onFire(ctx);
      else c.clear();
    }
    this.finished = true;
  }
}

class AfterAllMachine extends TriggerMachine {
  onElement(ctx: TriggerContext): void {
    for (const c of this.children) if (!c.finished) c.onElement(ctx);
  }
  onMerge(parts: readonly TriggerMachine[], ctx: TriggerContext): void {
    this.children.forEach((c, i) => c.onMerge(childOf(parts, i), ctx));
    this.finished = this.children.every((c) => c.finished);
  }
  /** Every child is ready at once (or has finished). */
  shouldFire(ctx: TriggerContext): boolean {
    return this.children.every((c) => c.finished || c.shouldFire(ctx));
  }
  onFire(ctx: TriggerContext): void {
    for (const c of this.children) c.onFire(ctx);
    this.finished = true;
  }
}

class AfterEachMachine extends TriggerMachine {
  constructor(
    children: readonly TriggerMachine[],
    private readonly merging: boolean,
  ) {
    super(children);
  }
  /**
   * Without merging only the current trigger sees elements. With merging windows every trigger
   * does (a later one may be current in a window this one merges with) and all start over after
   * each firing.
   */
  onElement(ctx: TriggerContext): void {
    if (this.merging) for (const c of this.children) c.onElement(ctx);
    else this.firstUnfinished()?.onElement(ctx);
  }
  /** Merges the triggers in order while those before are finished; the rest start over. */
  onMerge(parts: readonly TriggerMachine[], ctx: TriggerContext): void {
    let priorFinished = true;
    this.children.forEach((c, i) => {
      if (priorFinished) {
        c.onMerge(childOf(parts, i), ctx);
        priorFinished = c.finished;
      } else c.clear();
    });
    this.finished = this.firstUnfinished() === undefined;
  }
  shouldFire(ctx: TriggerContext): boolean {
    return this.firstUnfinished()?.shouldFire(ctx) ?? false;
  }
  onFire(ctx: TriggerContext): void {
    this.firstUnfinished()?.onFire(ctx);
    if (this.merging) for (const c of this.children) c.clear();
    this.finished = this.firstUnfinished() === undefined;
  }
}

/**
 * OrFinally: children [main, finally]. Fires when either is ready; a firing of `finally` fires
 * it and finishes the whole (the main trigger's state is dropped), otherwise the main trigger
 * fires and `finally` keeps its state: it counts across the main trigger's panes. Finished as
 * soon as either child is (Beam's OrFinallyStateMachine).
 */
class OrFinallyMachine extends TriggerMachine {
  onElement(ctx: TriggerContext): void {
    for (const c of this.children) if (!c.finished) c.onElement(ctx);
  }
  onMerge(parts: readonly TriggerMachine[], ctx: TriggerContext): void {
    this.children.forEach((c, i) => c.onMerge(childOf(parts, i), ctx));
    this.finished = this.children.some((c) => c.finished);
  }
  shouldFire(ctx: TriggerContext): boolean {
    return this.children[0]!.shouldFire(ctx) || this.children[1]!.shouldFire(ctx);
  }
  onFire(ctx: TriggerContext): void {
    const [main, final] = this.children as [TriggerMachine, TriggerMachine];
    if (final.shouldFire(ctx)) {
      final.onFire(ctx);
      main.clear();
    } else main.onFire(ctx);
    this.finished = main.finished || final.finished;
  }
}

/**
 * A fresh state machine for a trigger (undefined: the default trigger). `merging`: the window fn
 * merges windows (sessions), which changes how sequences see elements.
 */
export function triggerMachine(trigger: Trigger | undefined, merging = false): TriggerMachine {
  // The default trigger has no state and never finishes: every key and window shares one (and a
  // new window state costs no allocation here).
  if (trigger === undefined || trigger.kind === "default") return DEFAULT_MACHINE;
  const t = trigger;
  const sub = (x: Trigger): TriggerMachine => triggerMachine(x, merging);
  switch (t.kind) {
    case "afterWatermark":
      if (t.early === undefined && t.late === undefined) return new AfterEndOfWindowMachine();
      // Early and late firings repeat (as Beam Python wraps them in Repeatedly; Beam Java takes
      // "once" triggers there and starts them over after each firing, which is the same).
      return new AfterWatermarkEarlyLateMachine(
        t.early !== undefined ? new RepeatedlyMachine(sub(t.early)) : new NeverMachine(),
        t.late !== undefined ? new RepeatedlyMachine(sub(t.late)) : undefined,
        merging,
      );
    case "afterProcessingTime":
      return new AfterProcessingTimeMachine(t.delayMillis, t.alignedTo);
    case "afterCount":
      return new AfterCountMachine(t.count);
    case "repeatedly":
      return new RepeatedlyMachine(sub(t.trigger));
    case "afterFirst":
      return new AfterFirstMachine(t.triggers.map(sub));
    case "afterAll":
      return new AfterAllMachine(t.triggers.map(sub));
    case "afterEach":
      return new AfterEachMachine(t.triggers.map(sub), merging);
    case "orFinally":
      return new OrFinallyMachine([sub(t.main), sub(t.finally)]);
    case "never":
      // Nothing fires: the window's garbage collection emits its final pane.
      return new NeverMachine();
  }
}

/** Whether a trigger can fire on processing time alone (then every window is re-evaluated as the clock moves). */
export function usesProcessingTime(t: Trigger | undefined): boolean {
  if (t === undefined) return false;
  switch (t.kind) {
    case "afterProcessingTime":
      return true;
    case "afterWatermark":
      return usesProcessingTime(t.early) || usesProcessingTime(t.late);
    case "repeatedly":
      return usesProcessingTime(t.trigger);
    case "afterFirst":
    case "afterAll":
    case "afterEach":
      return t.triggers.some(usesProcessingTime);
    case "orFinally":
      return usesProcessingTime(t.main) || usesProcessingTime(t.finally);
    default:
      return false;
  }
}

/**
 * Whether a processing-time trigger's state can outlive a pane: the finally trigger of an
 * OrFinally keeps counting from the window's first element, so it can come due (and close the
 * window) when the window holds nothing new. Elsewhere a firing clears what fired and a
 * processing-time delay starts at an element that is still pending.
 */
export function armedAcrossPanes(t: Trigger | undefined): boolean {
  if (t === undefined) return false;
  switch (t.kind) {
    case "orFinally":
      return usesProcessingTime(t.finally) || armedAcrossPanes(t.main);
    case "afterWatermark":
      return armedAcrossPanes(t.early) || armedAcrossPanes(t.late);
    case "repeatedly":
      return armedAcrossPanes(t.trigger);
    case "afterFirst":
    case "afterAll":
    case "afterEach":
      return t.triggers.some(armedAcrossPanes);
    default:
      return false;
  }
}
