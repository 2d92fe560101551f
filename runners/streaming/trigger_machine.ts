/**
 * Trigger state machines: the runtime state of a Trigger for one key and window.
 *
 * The grouping step calls `onElement` for each element added to the window, asks `shouldFire`
 * after elements and whenever the watermark or processing time advances, and calls `onFire`
 * after emitting a pane. A finished machine closes the window.
 */
import type { Trigger } from "../../lib/model/triggers";
import type { BoundedWindow, Instant } from "../../lib/model/window";

/** What a trigger sees when it is evaluated. */
export interface TriggerContext {
  readonly window: BoundedWindow;
  /** The input watermark of the grouping step. */
  readonly watermark: Instant;
  readonly processingTime: Instant;
}

function pastEndOfWindow(ctx: TriggerContext): boolean {
  return ctx.watermark > ctx.window.maxTimestamp();
}

/** The state of one trigger node. */
export abstract class TriggerMachine {
  finished = false;
  abstract onElement(ctx: TriggerContext): void;
  abstract shouldFire(ctx: TriggerContext): boolean;
  /** Called after the pane fired because `shouldFire` was true. */
  abstract onFire(ctx: TriggerContext): void;
  /** Back to the initial state (Repeatedly, early/late firings). */
  abstract reset(): void;
  /** Absorbs the states of machines of windows merged into this one (sessions). */
  abstract merge(others: readonly TriggerMachine[]): void;
}

class AfterCountMachine extends TriggerMachine {
  private count = 0;
  constructor(private readonly target: number) {
    super();
  }
  onElement(): void {
    this.count++;
  }
  shouldFire(): boolean {
    return !this.finished && this.count >= this.target;
  }
  onFire(): void {
    this.finished = true;
  }
  reset(): void {
    this.count = 0;
    this.finished = false;
  }
  merge(others: readonly TriggerMachine[]): void {
    for (const o of others) {
      this.count += (o as AfterCountMachine).count;
      this.finished ||= o.finished;
    }
  }
}

class AfterProcessingTimeMachine extends TriggerMachine {
  private firstElementAt: Instant | undefined;
  constructor(private readonly delay: number) {
    super();
  }
  onElement(ctx: TriggerContext): void {
    this.firstElementAt ??= ctx.processingTime;
  }
  shouldFire(ctx: TriggerContext): boolean {
    return !this.finished && this.firstElementAt !== undefined && ctx.processingTime >= this.firstElementAt + this.delay;
  }
  onFire(): void {
    this.finished = true;
  }
  reset(): void {
    this.firstElementAt = undefined;
    this.finished = false;
  }
  merge(others: readonly TriggerMachine[]): void {
    for (const o of others) {
      const t = (o as AfterProcessingTimeMachine).firstElementAt;
      if (t !== undefined && (this.firstElementAt === undefined || t < this.firstElementAt)) this.firstElementAt = t;
      this.finished ||= o.finished;
    }
  }
}

/** AfterWatermark with optional (repeated) early and late firings; also the default trigger. */
class AfterWatermarkMachine extends TriggerMachine {
  private onTimeFired = false;
  constructor(
    private readonly early: TriggerMachine | undefined,
    private readonly late: TriggerMachine | undefined,
    /** Keep firing for late data after the on-time pane (the default trigger). */
    private readonly repeatLate: boolean,
  ) {
    super();
  }
  onElement(ctx: TriggerContext): void {
    if (!this.onTimeFired) this.early?.onElement(ctx);
    else this.late?.onElement(ctx);
  }
  shouldFire(ctx: TriggerContext): boolean {
    if (this.finished) return false;
    if (!this.onTimeFired) return pastEndOfWindow(ctx) || (this.early?.shouldFire(ctx) ?? false);
    if (this.late !== undefined) return this.late.shouldFire(ctx);
    return this.repeatLate && pastEndOfWindow(ctx);
  }
  onFire(ctx: TriggerContext): void {
    if (!this.onTimeFired) {
      if (pastEndOfWindow(ctx)) {
        this.onTimeFired = true;
        this.early?.reset();
        if (this.late === undefined && !this.repeatLate) this.finished = true;
      } else this.early?.onFire(ctx); // Repeatedly: starts over only once its trigger has finished
    } else this.late?.onFire(ctx);
  }
  reset(): void {
    this.onTimeFired = false;
    this.finished = false;
    this.early?.reset();
    this.late?.reset();
  }
  merge(others: readonly TriggerMachine[]): void {
    for (const o of others) {
      const m = o as AfterWatermarkMachine;
      this.onTimeFired ||= m.onTimeFired;
      this.finished ||= m.finished;
      if (m.early !== undefined) this.early?.merge([m.early]);
      if (m.late !== undefined) this.late?.merge([m.late]);
    }
  }
}

class RepeatedlyMachine extends TriggerMachine {
  constructor(private readonly child: TriggerMachine) {
    super();
  }
  onElement(ctx: TriggerContext): void {
    this.child.onElement(ctx);
  }
  shouldFire(ctx: TriggerContext): boolean {
    return this.child.shouldFire(ctx);
  }
  /** Starts the trigger over once it has finished (an AfterEach in the middle of its sequence has not). */
  onFire(ctx: TriggerContext): void {
    this.child.onFire(ctx);
    if (this.child.finished) this.child.reset();
  }
  reset(): void {
    this.child.reset();
  }
  merge(others: readonly TriggerMachine[]): void {
    this.child.merge(others.map((o) => (o as RepeatedlyMachine).child));
  }
}

abstract class CompositeMachine extends TriggerMachine {
  constructor(protected readonly children: readonly TriggerMachine[]) {
    super();
  }
  reset(): void {
    this.finished = false;
    for (const c of this.children) c.reset();
  }
  merge(others: readonly TriggerMachine[]): void {
    this.children.forEach((c, i) => c.merge(others.map((o) => (o as CompositeMachine).children[i]!)));
    for (const o of others) this.finished ||= o.finished;
  }
}

class AfterFirstMachine extends CompositeMachine {
  onElement(ctx: TriggerContext): void {
    for (const c of this.children) c.onElement(ctx);
  }
  shouldFire(ctx: TriggerContext): boolean {
    return !this.finished && this.children.some((c) => c.shouldFire(ctx));
  }
  onFire(ctx: TriggerContext): void {
    for (const c of this.children) if (c.shouldFire(ctx)) c.onFire(ctx);
    this.finished = true;
  }
}

class AfterAllMachine extends CompositeMachine {
  onElement(ctx: TriggerContext): void {
    for (const c of this.children) if (!c.finished) c.onElement(ctx);
  }
  shouldFire(ctx: TriggerContext): boolean {
    if (this.finished) return false;
    // A child that is ready is remembered as fired (finished) until all of them are.
    for (const c of this.children) if (!c.finished && c.shouldFire(ctx)) c.onFire(ctx);
    return this.children.every((c) => c.finished);
  }
  onFire(): void {
    this.finished = true;
  }
}

class AfterEachMachine extends CompositeMachine {
  private index = 0;
  onElement(ctx: TriggerContext): void {
    this.children[this.index]?.onElement(ctx);
  }
  shouldFire(ctx: TriggerContext): boolean {
    return !this.finished && (this.children[this.index]?.shouldFire(ctx) ?? false);
  }
  /** Moves on to the next trigger once the current one has finished (a Repeatedly never does). */
  onFire(ctx: TriggerContext): void {
    const current = this.children[this.index]!;
    current.onFire(ctx);
    if (current.finished) this.index++;
    if (this.index >= this.children.length) this.finished = true;
  }
  reset(): void {
    super.reset();
    this.index = 0;
  }
  merge(others: readonly TriggerMachine[]): void {
    super.merge(others);
    for (const o of others) this.index = Math.max(this.index, (o as AfterEachMachine).index);
  }
}

/** A fresh state machine for a trigger (undefined: the default trigger). */
export function triggerMachine(trigger: Trigger | undefined): TriggerMachine {
  const t = trigger ?? { kind: "default" };
  switch (t.kind) {
    case "default":
      return new AfterWatermarkMachine(undefined, undefined, true);
    case "afterWatermark":
      return new AfterWatermarkMachine(
        t.early !== undefined ? new RepeatedlyMachine(triggerMachine(t.early)) : undefined,
        t.late !== undefined ? new RepeatedlyMachine(triggerMachine(t.late)) : undefined,
        false,
      );
    case "afterProcessingTime":
      return new AfterProcessingTimeMachine(t.delayMillis);
    case "afterCount":
      return new AfterCountMachine(t.count);
    case "repeatedly":
      return new RepeatedlyMachine(triggerMachine(t.trigger));
    case "afterFirst":
      return new AfterFirstMachine(t.triggers.map(triggerMachine));
    case "afterAll":
      return new AfterAllMachine(t.triggers.map(triggerMachine));
    case "afterEach":
      return new AfterEachMachine(t.triggers.map(triggerMachine));
  }
}
