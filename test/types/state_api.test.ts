/**
 * Type-level tests of the state API's SetState and OrderedListState: what `ctx.state(spec)`
 * returns for each spec, and the wrong uses the types refuse. This file fails to COMPILE when a
 * type breaks, and each `@ts-expect-error` line fails to compile when the wrong use it shows stops
 * being an error. Wrong uses sit in functions that never run: only their types matter.
 */
import { strict as assert } from "node:assert";
import { StatefulDoFn, StateSpec, type KV, type OrderedListState, type SetState, type StatefulProcessContext, type TimestampedValue } from "../../lib";
import { expectType } from "./expect_type";

interface Member {
  readonly id: number;
}

class Typed extends StatefulDoFn<string, Member, string> {
  readonly members = StateSpec.set<Member>("members");
  readonly events = StateSpec.orderedList<string>("events");
  process(e: KV<string, Member>, ctx: StatefulProcessContext<string>): void {
    const set = ctx.state(this.members);
    expectType(set)<SetState<Member>>(true);
    expectType(set.addIfAbsent(e.value))<boolean>(true);
    expectType(set.contains(e.value))<boolean>(true);
    expectType(set.read())<readonly Member[]>(true);
    const list = ctx.state(this.events);
    expectType(list)<OrderedListState<string>>(true);
    list.add({ value: "x", timestamp: 1 });
    expectType(list.read())<readonly TimestampedValue<string>[]>(true);
    expectType(list.readRange(0, 10))<readonly TimestampedValue<string>[]>(true);
    list.clearRange(0, 10);

    const typeOnly = (): void => {
      // @ts-expect-error: the set holds Members
      set.add("not a member");
      // @ts-expect-error: an ordered list takes a TimestampedValue, not a bare value
      list.add("x");
      // @ts-expect-error: the value is the list's element type
      list.add({ value: 1, timestamp: 1 });
      // @ts-expect-error: timestamps are Instants (epoch milliseconds), not Dates
      list.readRange(new Date(0), new Date(10));
      // @ts-expect-error: read() is read-only (a copy: changing it would not change the state)
      set.read().push(e.value);
    };
    void typeOnly;
  }
}

describe("the state API (type-level): SetState and OrderedListState", () => {
  it("ctx.state(spec) is typed by the spec", () => {
    const spec = StateSpec.set<number>("s");
    expectType(spec)<StateSpec<SetState<number>>>(true);
    expectType(StateSpec.orderedList<Member>("o"))<StateSpec<OrderedListState<Member>>>(true);
    assert.equal(spec.kind, "set");
    assert.ok(new Typed());
  });
});
