/** Snippets of docs/guide/07-state-and-timers.md. */
import { ParDo, StateSpec, StatefulDoFn, TimerSpec, kv, Combiners } from "beamline";
import type { KV, PCollection, StatefulProcessContext, TimerContext } from "beamline";

// [START bag_and_timer]
/** Collects each user's events and emits them together when the window ends. */
class CollectUntilEndOfWindow extends StatefulDoFn<string, string, KV<string, string[]>> {
  readonly events = StateSpec.bag<string>("events");
  readonly flush = TimerSpec.eventTime("flush");

  process(e: KV<string, string>, ctx: StatefulProcessContext<KV<string, string[]>>): void {
    ctx.state(this.events).add(e.value);
    ctx.timer(this.flush).set(ctx.window.maxTimestamp());   // fires when the watermark passes the window's end
  }

  onTimer(timer: string, ctx: TimerContext<string, KV<string, string[]>>): void {
    const events = ctx.state(this.events);
    ctx.output(kv(ctx.key, [...events.read()].sort()));
    events.clear();
  }
}
// [END bag_and_timer]

export function collect(input: PCollection<KV<string, string>>): PCollection<KV<string, string[]>> {
  // [START bag_and_timer_use]
  const collected = input.apply("Collect", ParDo.of(new CollectUntilEndOfWindow()));
  // [END bag_and_timer_use]
  return collected;
}

// [START value_and_processing_timer]
/**
 * Numbers each key's elements and emits a running total at most once per 10 s of processing
 * time (a processing-time timer buffers the output).
 */
class RunningTotal extends StatefulDoFn<string, number, string> {
  readonly sequence = StateSpec.value<number>("sequence");
  readonly total = StateSpec.combining("total", Combiners.sum());
  readonly report = TimerSpec.processingTime("report");

  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const seq = ctx.state(this.sequence);
    seq.write((seq.read() ?? 0) + 1);
    ctx.state(this.total).add(e.value);
    ctx.timer(this.report).offset(10_000);   // 10 s after now; setting it again moves it
  }

  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    ctx.output(`${ctx.key}: ${ctx.state(this.sequence).read()} elements, total ${ctx.state(this.total).read()}`);
  }
}
// [END value_and_processing_timer]

export function runningTotal(input: PCollection<KV<string, number>>): PCollection<string> {
  return input.apply("RunningTotal", ParDo.of(new RunningTotal()));
}

// [START set_and_ordered_list]
/**
 * Per user: the distinct pages visited (a set: duplicates, even equal objects, count once) and the
 * clicks in event-time order, however late they arrived (an ordered list), emitted at the
 * window's end.
 */
class ClickPath extends StatefulDoFn<string, { page: string; at: number }, string> {
  readonly pages = StateSpec.set<{ page: string }>("pages");
  readonly clicks = StateSpec.orderedList<string>("clicks");
  readonly flush = TimerSpec.eventTime("flush");

  process(e: KV<string, { page: string; at: number }>, ctx: StatefulProcessContext<string>): void {
    ctx.state(this.pages).add({ page: e.value.page });   // compared by encoding, not identity
    ctx.state(this.clicks).add({ value: e.value.page, timestamp: e.value.at });
    ctx.timer(this.flush).set(ctx.window.maxTimestamp());
  }

  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    const clicks = ctx.state(this.clicks);
    const path = clicks.read().map((c) => c.value);            // sorted by timestamp
    const firstMinute = clicks.readRange(0, 60_000).length;    // [from, to): half-open
    ctx.output(`${ctx.key}: ${ctx.state(this.pages).read().length} pages, ${path.join(" > ")}, ${firstMinute} in the first minute`);
  }
}
// [END set_and_ordered_list]

export function clickPaths(input: PCollection<KV<string, { page: string; at: number }>>): PCollection<string> {
  return input.apply("ClickPath", ParDo.of(new ClickPath()));
}

// [START timer_family]
interface OrderEvent {
  readonly order: string;
  readonly event: "placed" | "paid";
}

/** Per customer: a reminder for each order still unpaid an hour (event time) after it was placed. */
class UnpaidReminders extends StatefulDoFn<string, OrderEvent, string> {
  readonly reminders = TimerSpec.eventTimeFamily("reminders");

  process(e: KV<string, OrderEvent>, ctx: StatefulProcessContext<string>): void {
    const reminder = ctx.timer(this.reminders, e.value.order);   // the timer of this order
    if (e.value.event === "placed") reminder.offset(60 * 60_000);
    else reminder.clear();                                       // the customer's other orders keep theirs
  }

  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    ctx.output(`${ctx.key}: order ${ctx.timerTag} unpaid since ${new Date(ctx.timestamp - 60 * 60_000).toISOString()}`);
  }
}
// [END timer_family]

export function unpaidReminders(input: PCollection<KV<string, OrderEvent>>): PCollection<string> {
  return input.apply("UnpaidReminders", ParDo.of(new UnpaidReminders()));
}
