/**
 * What user code returns decides how the runner treats it, never how it was declared:
 * - a `process` returning a non-promise value (`(x) => arr.push(x)`) is synchronous;
 * - one returning a promise without being declared `async` gets the async path (metric updates
 *   after its awaits land on its own step), including a method that returns a promise only now
 *   and then;
 * - metrics of synchronous steps fused after an async one land on their own step;
 * - a failure names the transform whose code threw, wherever it sits in a fused stage.
 */
import { strict as assert } from "node:assert";
import { Create, DoFn, FixedWindows, Metrics, ParDo, Window, type ProcessContext } from "../../lib";
import type { BoundedWindow } from "../../lib/model/window";
import { runDirect, runOk } from "../helpers";

const tick = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Returns a promise but is not declared async (so its constructor name is "Function"). */
class PromiseReturning extends DoFn<number, number> {
  private readonly seen = Metrics.counter("ret", "afterAwait");
  process(n: number, ctx: ProcessContext<number>): Promise<void> {
    return tick().then(() => {
      this.seen.inc();
      ctx.output(n);
    });
  }
}

/** Synchronous except every third element, like a DoFn that flushes a batch. */
class SometimesAsync extends DoFn<number, number> {
  private readonly flushed = Metrics.counter("ret", "flushed");
  private buffer: number[] = [];
  process(n: number, ctx: ProcessContext<number>): void | Promise<void> {
    this.buffer.push(n);
    return this.buffer.length < 3 ? undefined : this.flush(ctx);
  }
  finishBundle(ctx: { output(v: number): void }): Promise<void> {
    return this.flush(ctx);
  }
  private flush(ctx: { output(v: number): void }): Promise<void> {
    const batch = this.buffer;
    this.buffer = [];
    return tick().then(() => {
      for (const x of batch) {
        this.flushed.inc();
        ctx.output(x);
      }
    });
  }
}

class AsyncEmit extends DoFn<number, number> {
  async process(n: number, ctx: ProcessContext<number>): Promise<void> {
    await tick();
    ctx.output(n);
  }
}

describe("DirectRunner: user code is judged by what it returns", () => {
  it("a process returning a non-promise value (arr.push) runs as synchronous code", async () => {
    const seen: number[] = [];
    const result = await runOk((p) => {
      p.apply(Create.of(1, 2, 3))
        .map("Double", (x) => x * 2)
        .apply("Push", ParDo.of((x: number) => seen.push(x)));
    });
    assert.equal(result.state, "DONE");
    assert.deepEqual(seen.sort(), [2, 4, 6]);
  });

  it("a process returning a promise without `async` counts every update after its awaits, on its own step", async () => {
    const result = await runOk((p) => {
      p.apply(Create.of(1, 2, 3, 4, 5)).apply("NotDeclaredAsync", ParDo.of(new PromiseReturning()));
    });
    assert.deepEqual(result.metrics.counters({ namespace: "ret" }), [{ step: "NotDeclaredAsync", namespace: "ret", name: "afterAwait", value: 5 }]);
  });

  it("after an async pipeline in the same process, the same counts stay exact", async () => {
    const asyncRun = await runOk((p) => {
      p.apply(Create.of(1, 2, 3)).apply("Async", ParDo.of(new AsyncEmit()));
    });
    assert.equal(asyncRun.state, "DONE");
    const result = await runOk((p) => {
      p.apply(Create.of(1, 2, 3, 4, 5)).apply("NotDeclaredAsync", ParDo.of(new PromiseReturning()));
    });
    assert.equal(result.metrics.counterTotal("ret", "afterAwait"), 5);
  });

  it("a method that returns a promise only now and then has every update counted on its own step", async () => {
    const result = await runOk((p) => {
      p.apply(Create.of(1, 2, 3, 4, 5, 6, 7)).apply("Batches", ParDo.of(new SometimesAsync())).map("Count", (x) => x);
    });
    assert.deepEqual(result.metrics.counters({ namespace: "ret" }), [{ step: "Batches", namespace: "ret", name: "flushed", value: 7 }]);
  });

  it("a synchronous step fused after an async one keeps its metrics on its own step", async () => {
    const counted = Metrics.counter("ret", "mapped");
    const result = await runOk((p) => {
      p.apply(Create.of(1, 2, 3, 4, 5))
        .apply("Async", ParDo.of(new AsyncEmit()))
        .map("Count", (x) => {
          counted.inc();
          return x;
        })
        .apply(
          "SyncParDo",
          ParDo.of<number, number>((x, ctx) => {
            counted.inc(10);
            ctx.output(x);
          }),
        );
    });
    assert.deepEqual(
      result.metrics.counters({ namespace: "ret" }).map((c) => [c.step, c.value]),
      [["Count", 5], ["SyncParDo", 50]],
    );
  });

  describe("a failure names the transform whose code threw", () => {
    const failingIn = async (build: Parameters<typeof runDirect>[0]): Promise<string> => {
      const result = await runDirect(build);
      assert.equal(result.state, "FAILED");
      return result.error!.message;
    };

    it("a throwing ParDo after a Map", async () => {
      const message = await failingIn((p) => {
        p.apply(Create.of(1, 2))
          .map("First", (x) => x + 1)
          .apply(
            "Thrower",
            ParDo.of<number, number>(() => {
              throw new Error("bad element");
            }),
          );
      });
      assert.match(message, /transform 'Thrower'.*bad element/);
    });

    it("a rejecting process (promise without async) after a synchronous ParDo", async () => {
      const message = await failingIn((p) => {
        p.apply(Create.of(1, 2))
          .apply("First", ParDo.of<number, number>((x, ctx) => ctx.output(x)))
          .apply("Rejecter", ParDo.of<number, number>(() => Promise.reject(new Error("no such row"))));
      });
      assert.match(message, /transform 'Rejecter'.*no such row/);
    });

    it("a throwing Map after an async ParDo", async () => {
      const message = await failingIn((p) => {
        p.apply(Create.of(1, 2))
          .apply("Async", ParDo.of(new AsyncEmit()))
          .map("Thrower", () => {
            throw new TypeError("cannot read x");
          });
      });
      assert.match(message, /transform 'Thrower'.*cannot read x/);
    });

    it("a throwing generator of a FlatMap names the FlatMap, a throwing Map after it names the Map", async () => {
      const inGenerator = await failingIn((p) => {
        p.apply(Create.of(1))
          .flatMap("Gen", function* (x) {
            yield x;
            throw new Error("generator broke");
          })
          .map("After", (x) => x);
      });
      assert.match(inGenerator, /transform 'Gen'.*generator broke/);
      const afterGenerator = await failingIn((p) => {
        p.apply(Create.of(1))
          .flatMap("Gen", function* (x) {
            yield x;
          })
          .map("After", () => {
            throw new Error("map broke");
          });
      });
      assert.match(afterGenerator, /transform 'After'.*map broke/);
    });

    it("a throwing WindowFn names its Window.into, not the Map before it", async () => {
      class BrokenWindows extends FixedWindows {
        override assignWindows(): readonly BoundedWindow[] {
          throw new RangeError("no window for this time");
        }
      }
      const message = await failingIn((p) => {
        p.apply(Create.of(1))
          .map("Before", (x) => x)
          .apply("Windowed", Window.into(new BrokenWindows(10)));
      });
      assert.match(message, /transform 'Windowed'.*no window for this time/);
    });
  });
});
