/**
 * A stateful DoFn as the executor's ParDoOperator sees it: elements go to `process`, fired timers
 * (TimerFiring values travelling the element path, so outputs, metrics and errors are handled
 * exactly as for elements) go to `onTimer`, and the lifecycle is delegated. Shared by the
 * DirectRunner's streaming driver and the Fn API harness.
 */
import { BundleContext, DoFn, OutputTags, ProcessContext, RuntimeContext } from "../../lib/model/dofn";
import { TransformError } from "../../lib/model/errors";
import type { StatefulDoFn, StatefulProcessContext, TimerContext } from "../../lib/model/state";
import type { KV } from "../../lib/model/window";

export type AnyStatefulDoFn = StatefulDoFn<unknown, unknown, unknown, OutputTags>;

/** A due timer, delivered to the DoFn in place of an element. */
export class TimerFiring {
  constructor(readonly name: string) {}
}

export class StatefulAdapter extends DoFn<unknown, unknown, OutputTags> {
  constructor(
    /** The user DoFn. */
    readonly wrapped: AnyStatefulDoFn,
    private readonly transformName: string,
  ) {
    super();
  }
  setup(runtime: RuntimeContext): void | Promise<void> {
    return this.wrapped.setup?.(runtime);
  }
  startBundle(ctx: BundleContext<unknown, OutputTags>): void | Promise<void> {
    return this.wrapped.startBundle?.(ctx);
  }
  finishBundle(ctx: BundleContext<unknown, OutputTags>): void | Promise<void> {
    return this.wrapped.finishBundle?.(ctx);
  }
  teardown(): void | Promise<void> {
    return this.wrapped.teardown?.();
  }
  process(value: unknown, ctx: ProcessContext<unknown, OutputTags>): void | Promise<void> {
    if (value instanceof TimerFiring) {
      if (this.wrapped.onTimer === undefined) {
        throw new TransformError(this.transformName, `Timer '${value.name}' fired for transform '${this.transformName}', whose DoFn has no onTimer method; add onTimer(timer, ctx) to the DoFn`);
      }
      return this.wrapped.onTimer(value.name, ctx as TimerContext<unknown, unknown, OutputTags>);
    }
    return this.wrapped.process(value as KV<unknown, unknown>, ctx as StatefulProcessContext<unknown, OutputTags>);
  }
}
