import { strict as assert } from "node:assert";
import {
  BundleContext,
  Create,
  DoFn,
  FixedWindows,
  GroupByKey,
  IntervalWindow,
  kv,
  KV,
  Metrics,
  ParDo,
  ProcessContext,
  RuntimeContext,
  Window,
} from "../../lib";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runDirect, runOk } from "../helpers";

describe("DirectRunner: DoFns", () => {
  it("runs the lifecycle in order: setup, startBundle, process, finishBundle, teardown", async () => {
    const log: string[] = [];
    class Lifecycle extends DoFn<number, number> {
      setup(runtime: RuntimeContext): void {
        log.push(`setup:${runtime.transformName}`);
      }
      startBundle(): void {
        log.push("startBundle");
      }
      process(n: number, ctx: ProcessContext<number>): void {
        log.push(`process:${n}`);
        ctx.output(n * 2);
      }
      finishBundle(ctx: BundleContext<number>): void {
        log.push("finishBundle");
        ctx.output(100);
      }
      teardown(): void {
        log.push("teardown");
      }
    }
    await runOk((p) => {
      assertThat(p.apply(Create.of(1, 2)).apply("Life", ParDo.of(new Lifecycle())), equalTo([2, 4, 100]));
    });
    // The builder runs twice (reconstruction check); only the executed graph's DoFn logs.
    assert.deepEqual(log, ["setup:Life", "startBundle", "process:1", "process:2", "finishBundle", "teardown"]);
  });

  it("outputs through the bundle context while processing carry no pane and survive a failing element (as Beam's FinishBundleContext)", async () => {
    // A batching DoFn: keeps the bundle context and emits earlier elements' results through it.
    class Batching extends DoFn<KV<string, Iterable<number>>, string> {
      private bundle: BundleContext<string> | undefined;
      startBundle(ctx: BundleContext<string>): void {
        this.bundle = ctx;
      }
      process(e: KV<string, Iterable<number>>, ctx: ProcessContext<string>): void {
        ctx.output(`direct:${e.key}`);
        this.bundle!.output(`batched:${e.key}`, { timestamp: ctx.timestamp, window: ctx.window });
        if (e.key === "b") throw new Error("bad element b");
      }
    }
    class Panes extends DoFn<string, string> {
      process(s: string, ctx: ProcessContext<string>): void {
        ctx.output(`${s}:${ctx.pane.timing}`);
      }
    }
    await runOk((p) => {
      const grouped = p.apply(Create.of(kv("a", 1), kv("b", 2))).apply(GroupByKey.create<string, number>());
      const out = grouped.apply("Batching", ParDo.of(new Batching()).withExceptionHandling());
      // The element that threw loses its own outputs, not what went out through the bundle context.
      assertThat(out.main.apply("Panes", ParDo.of(new Panes())), equalTo(["direct:a:ON_TIME", "batched:a:UNKNOWN", "batched:b:UNKNOWN"]));
      assertThat(out.failed.map("Reason", (f: { readonly reason: string }) => f.reason), equalTo(["Error: bad element b"]), "AssertFailed");
    });
  });

  it("supports async process, startBundle and finishBundle", async () => {
    class Delayed extends DoFn<number, string> {
      private prefix = "";
      async startBundle(): Promise<void> {
        await Promise.resolve();
        this.prefix = "n";
      }
      async process(n: number, ctx: ProcessContext<string>): Promise<void> {
        await new Promise<void>((resolve) => setImmediate(resolve));
        ctx.output(`${this.prefix}${n}`);
      }
    }
    await runOk((p) => {
      const out = p.apply(Create.of(1, 2, 3)).apply(ParDo.of(new Delayed())).map("Upper", (s: string) => s.toUpperCase());
      assertThat(out, equalTo(["N1", "N2", "N3"]));
    });
  });

  it("reports counters, distributions and gauges per step", async () => {
    const result = await runOk((p) => {
      p.apply(Create.of("a", "", "bb", "")).apply(
        "Measure",
        ParDo.of(
          new (class Measure extends DoFn<string, string> {
            private readonly empty = Metrics.counter("test", "empty");
            private readonly lengths = Metrics.distribution("test", "lengths");
            private readonly last = Metrics.gauge("test", "last");
            async process(s: string): Promise<void> {
              await Promise.resolve(); // updates after an await still land on this step
              if (s === "") this.empty.inc();
              this.lengths.update(s.length);
              this.last.set(s.length);
            }
          })(),
        ),
      );
    });
    assert.equal(result.metrics.counterTotal("test", "empty"), 2);
    const [dist] = result.metrics.distributions({ name: "lengths" });
    assert.equal(dist!.step, "Measure");
    assert.deepEqual(dist!.value, { count: 4, sum: 3, min: 0, max: 2 });
    assert.equal(result.metrics.gauges({ step: "Measure" }).length, 1);
  });

  it("fails the run with the transform's full name and a preview of the element", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of({ id: 1 }, { id: 2 })).apply(
        "Outer",
        new (class Outer extends (require("../../lib") as typeof import("../../lib")).PTransform<
          import("../../lib").PCollection<{ id: number }>,
          import("../../lib").PCollection<number>
        > {
          expand(input: import("../../lib").PCollection<{ id: number }>) {
            return input.map("Explode", (x: { id: number }) => {
              if (x.id === 2) throw new Error("boom");
              return x.id;
            });
          }
        })(),
      );
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Error in process of transform 'Outer\/Explode' while processing element \{"id":2\}: Error: boom/);
    await assert.rejects(result.waitUntilFinish(), /boom/);
  });

  it("groups per window with fixed windows", async () => {
    await runOk((p) => {
      const counts = p
        .apply(
          Create.timestamped([
            { value: kv("k", 1), timestamp: 1_000 },
            { value: kv("k", 2), timestamp: 59_999 },
            { value: kv("k", 3), timestamp: 60_000 },
          ]),
        )
        .apply(Window.into(new FixedWindows(60_000)))
        .apply(GroupByKey.create())
        .apply(
          "WithWindow",
          ParDo.of((g: KV<string, number[]>, ctx: ProcessContext<string>) => {
            const w = ctx.window as IntervalWindow;
            ctx.output(`${w.start}-${w.end}@${ctx.timestamp}:${[...g.value].sort().join(",")}`);
          }),
        );
      assertThat(counts, equalTo(["0-60000@59999:1,2", "60000-120000@119999:3"]));
    });
  });
});
