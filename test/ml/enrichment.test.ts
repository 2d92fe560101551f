/**
 * Enrichment (Beam Python's enrichment_test.py and RequestResponseIO's behaviour) over in-memory
 * sources: the default cross join, retries of transient failures with backoff, timeouts, dead
 * letters, batches, the cache, throttling; batch and streaming, 1 and 2 workers.
 */
import { strict as assert } from "node:assert";
import { Create, DoFn, FixedWindows, ParDo, Window, type IntervalWindow, type ProcessContext } from "../../lib";
import {
  AdaptiveThrottler,
} from "../../lib/ml/request_response";
import {
  crossJoin,
  DefaultThrottler,
  Enrichment,
  ExponentialBackOffRepeater,
  NoOpsRepeater,
  UserCodeQuotaError,
  type EnrichmentPair,
  type EnrichmentSourceHandler,
} from "../../lib/ml";
import { clearEnrichmentCaches } from "../../lib/ml/enrichment_dofn";
import { TestStream } from "../../lib/testing/test_stream";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runDirect } from "../helpers";
import { enrichProgram, LookupHandler, ordersUpTo, PRODUCTS, type Order, type Product } from "./enrichment_programs";

/** Retries fast: the backoff is Beam's, only shorter. */
const fastRetries = new ExponentialBackOffRepeater({ initialDelayMillis: 1 });

/** Calls per request id, of the flaky handlers below (they run in this process: one worker). */
const calls = new Map<number, number>();

/**
 * id 1: a quota error on the first two calls; id 2: a quota error always; id 3: a TypeError (a bad
 * request); id 4: hangs on its first call until aborted; others answer at once.
 */
class FlakyHandler implements EnrichmentSourceHandler<Order, { id: number; found: boolean }> {
  readonly name = "FlakyHandler";
  async call(request: Order, signal: AbortSignal): Promise<{ id: number; found: boolean }> {
    const n = (calls.get(request.id) ?? 0) + 1;
    calls.set(request.id, n);
    if (request.id === 1 && n <= 2) throw new UserCodeQuotaError(`quota exceeded (call ${n})`);
    if (request.id === 2) throw new UserCodeQuotaError("quota exceeded, always");
    if (request.id === 3) throw new TypeError("id 3 is malformed");
    if (request.id === 4 && n === 1) {
      await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error)));
    }
    return { id: request.id, found: true };
  }
}

describe("ml: Enrichment", function () {
  this.timeout(60_000);
  beforeEach(() => {
    calls.clear();
    clearEnrichmentCaches();
  });

  it("test_cross_join: the response's fields are added to the request's; on a name both have, the request's value is kept (Beam's cross_join)", () => {
    assert.deepEqual(crossJoin({ id: 1, key: "city" }, { id: 1, value: "durham" }), { id: 1, key: "city", value: "durham" });
    const joined = crossJoin({ id: 1, name: "from the input" }, { id: 1, name: "from the source", quantity: 2 });
    assert.deepEqual(joined, { id: 1, name: "from the input", quantity: 2 });
  });

  it("joins each request with its response (default crossJoin, or joinFn); a request the source has nothing for goes to failed with the reason", async () => {
    const { orders, joined } = ordersUpTo(10);
    const result = await runDirect((p) => {
      const input = p.apply(Create.from<Order>([...orders.map((o) => ({ ...o, name: "kept" }))]));
      const out = input.apply("Enrich", Enrichment.of(new LookupHandler()));
      assertThat(out.main, equalTo(joined.map((j) => ({ ...j, name: "kept" }))), "CheckJoined");
      assertThat(out.failed.map("Reasons", (f) => `${f.element.id} ${f.reason} ${f.step}`), equalTo(["9 RangeError: no product 9 Enrich/Call", "10 RangeError: no product 10 Enrich/Call"]), "CheckFailed");
      const custom = input.apply("Custom", Enrichment.of(new LookupHandler(), { joinFn: (o: Order, r: Product) => `${o.id}:${r.quantity}`, ignoreRejected: true }));
      assertThat(custom.main, equalTo(PRODUCTS.map((r) => `${r.id}:${r.quantity}`)), "CheckCustom");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.equal(result.metrics.counterTotal("Enrichment", "requests", "Enrich/Call"), 10);
    assert.equal(result.metrics.counterTotal("Enrichment", "responses", "Enrich/Call"), 8);
    assert.equal(result.metrics.counterTotal("Enrichment", "failures", "Enrich/Call"), 2);
    assert.equal(result.metrics.counterTotal("beamline", "rejected", "Custom/Call"), 2);
  });

  it("retries transient failures with backoff (ExponentialBackOffRepeater: 2 retries), times calls out, and sends bad requests to failed without a retry", async () => {
    const result = await runDirect((p) => {
      const out = p.apply(Create.of<Order>({ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }, { id: 5 })).apply("Enrich", Enrichment.of(new FlakyHandler(), { repeater: fastRetries, timeoutMillis: 200 }));
      assertThat(out.main.map("Ids", (r) => r.id), equalTo([1, 4, 5]), "CheckJoined");
      assertThat(
        out.failed.map("Reasons", (f) => `${f.element.id}: ${f.reason}`),
        equalTo(["2: UserCodeQuotaError: quota exceeded, always (gave up after 3 attempts)", "3: TypeError: id 3 is malformed"]),
        "CheckFailed",
      );
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.deepEqual(Object.fromEntries(calls), { 1: 3, 2: 3, 3: 1, 4: 2, 5: 1 });
    assert.equal(result.metrics.counterTotal("Enrichment", "retries", "Enrich/Call"), 2 + 2 + 1);
    assert.equal(result.metrics.counterTotal("Enrichment", "requests_timed_out", "Enrich/Call"), 1);
  });

  it("NoOpsRepeater calls once: a transient failure goes to failed at once", async () => {
    const result = await runDirect((p) => {
      const out = p.apply(Create.of<Order>({ id: 1 }, { id: 5 })).apply("Enrich", Enrichment.of(new FlakyHandler(), { repeater: new NoOpsRepeater() }));
      assertThat(out.main.map("Ids", (r) => r.id), equalTo([5]), "CheckJoined");
      assertThat(out.failed.map("Reasons", (f) => f.reason), equalTo(["UserCodeQuotaError: quota exceeded (call 1)"]), "CheckFailed");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.equal(calls.get(1), 1);
  });

  it("an unread failed output fails the run on the first bad request, naming the step; ignoreRejected drops them (counted)", async () => {
    const failing = await runDirect((p) => {
      p.apply(Create.of<Order>({ id: 1 }, { id: 42 })).apply("Enrich", Enrichment.of(new LookupHandler()));
    });
    await assert.rejects(failing.waitUntilFinish(), /Transform 'Enrich\/Call' rejected an element .*"id":42.*RangeError: no product 42/);
    const ignoring = await runDirect((p) => {
      p.apply(Create.of<Order>({ id: 1 }, { id: 42 })).apply("Enrich", Enrichment.of(new LookupHandler(), { ignoreRejected: true }));
    });
    assert.equal(await ignoring.waitUntilFinish(), "DONE");
    assert.equal(ignoring.metrics.counterTotal("beamline", "rejected", "Enrich/Call"), 1);
  });

  it("batches requests when the handler asks (batchElementsKwargs), never above maxBatchSize; requests a batch has no pair for go to failed", async () => {
    const sizes: number[] = [];
    class Batching extends LookupHandler {
      override callBatch(requests: readonly Order[]): EnrichmentPair<Order, Product>[] {
        sizes.push(requests.length);
        return super.callBatch(requests);
      }
    }
    const { orders, joined } = ordersUpTo(11);
    const result = await runDirect((p) => {
      const out = p.apply(Create.from(orders)).apply("Enrich", Enrichment.of(new Batching({ minBatchSize: 2, maxBatchSize: 4 })));
      assertThat(out.main, equalTo(joined), "CheckJoined");
      assertThat(out.failed.map("Reasons", (f) => `${f.element.id}: ${f.reason}`), equalTo([9, 10, 11].map((id) => `${id}: Error: the source returned no response for this request (handler LookupHandler)`)), "CheckFailed");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.equal(sizes.reduce((a, b) => a + b, 0), 11);
    assert.ok(sizes.every((s) => s <= 4) && sizes.length >= 3, `batch sizes ${sizes.join(",")}`);
    assert.ok(sizes.some((s) => s > 1), `batch sizes ${sizes.join(",")}`);
  });

  it("a handler asking for batches without callBatch fails the run at setup, naming the step and the fix", async () => {
    const handler: EnrichmentSourceHandler<Order, Product> = { name: "NoBatch", call: () => PRODUCTS[0]!, batchElementsKwargs: () => ({ maxBatchSize: 2 }) };
    const result = await runDirect((p) => {
      p.apply(Create.of<Order>({ id: 1 })).apply("Enrich", Enrichment.of(handler, { ignoreRejected: true }));
    });
    await assert.rejects(result.waitUntilFinish(), /Enrich\/Call[\s\S]*NoBatch asks for batches \(batchElementsKwargs\) but has no callBatch/);
  });

  it("test_bigquery_enrichment_with_redis, in memory: a second run with a source that fails is served from the cache (useCache, by getCacheKey)", async () => {
    const orders: Order[] = [{ id: 1 }, { id: 2 }];
    const expected = [PRODUCTS[0], PRODUCTS[1]];
    const first = await runDirect((p) => {
      const out = p.apply(Create.from(orders)).apply("Enrich", Enrichment.of(new LookupHandler(undefined, "Products"), { useCache: true }));
      assertThat(out.main, equalTo(expected), "CheckJoined");
    });
    assert.equal(await first.waitUntilFinish(), "DONE", first.error?.message);
    assert.equal(first.metrics.counterTotal("Enrichment", "cache_hits", "Enrich/Call"), 0);
    class Broken extends LookupHandler {
      override call(): Product {
        throw new Error("the source is down");
      }
    }
    const second = await runDirect((p) => {
      const out = p.apply(Create.from<Order>([...orders, { id: 3 }])).apply("Enrich", Enrichment.of(new Broken(undefined, "Products"), { useCache: { timeToLiveMillis: 60_000 } }));
      assertThat(out.main, equalTo(expected), "CheckJoined");
      assertThat(out.failed.map("Reasons", (f) => `${f.element.id}: ${f.reason}`), equalTo(["3: Error: the source is down"]), "CheckFailed");
    });
    assert.equal(await second.waitUntilFinish(), "DONE", second.error?.message);
    assert.equal(second.metrics.counterTotal("Enrichment", "cache_hits", "Enrich/Call"), 2);
  });

  it("checks its options when built, and a response crossJoin cannot join goes to failed", async () => {
    const handler = new LookupHandler();
    assert.throws(() => Enrichment.of(handler, { throttler: true as never }), /Enrichment's throttler must be a DefaultThrottler or false, got true/);
    assert.throws(() => Enrichment.of(handler, { repeater: {} as never }), /Enrichment's repeater must have a repeat\(attempt\) method/);
    assert.throws(() => Enrichment.of(handler, { timeoutMillis: 0 }), /timeoutMillis must be a positive number/);
    assert.throws(() => Enrichment.of({} as never), /Enrichment.of needs an EnrichmentSourceHandler/);
    const words: EnrichmentSourceHandler<Order, string> = { call: (o) => `word ${o.id}` };
    const result = await runDirect((p) => {
      const out = p.apply(Create.of<Order>({ id: 1 })).apply("Enrich", Enrichment.of(words as unknown as EnrichmentSourceHandler<Order, object>));
      assertThat(out.failed.map("Reasons", (f) => f.reason), equalTo(['joinFn threw: TypeError: crossJoin joins objects, but the source returned "word 1"; pass a joinFn to Enrichment to join other responses']), "CheckFailed");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
  });

  it("AdaptiveThrottler (DefaultThrottler's): throttles with probability (requests - 2 × successes) / (requests + 1) over its window", () => {
    const throttler = new AdaptiveThrottler(new DefaultThrottler({ windowMillis: 1000, bucketMillis: 10 }).options, () => 0.4);
    assert.equal(throttler.throttleRequest(0), false, "no history: never throttled");
    assert.equal(throttler.throttlingProbability(5), 0.5);
    assert.equal(throttler.throttleRequest(5), true, "1 request, 0 successes: p = 1/2 > 0.4");
    throttler.successfulRequest(5);
    assert.equal(throttler.throttlingProbability(6), 0);
    assert.equal(throttler.throttleRequest(6), false);
    assert.equal(throttler.throttlingProbability(2000), 0, "the window has passed");
    assert.throws(() => new DefaultThrottler({ windowMillis: 0 }), /windowMillis and bucketMillis must be positive/);
    assert.throws(() => new ExponentialBackOffRepeater({ numRetries: -1 }), /numRetries must be a non-negative integer/);
  });

  it("streaming (TestStream, fixed windows): each request's result keeps its timestamp and window; batches do not mix windows", async () => {
    const windowsSeen: string[] = [];
    class Batching extends LookupHandler {
      override callBatch(requests: readonly Order[]): EnrichmentPair<Order, Product>[] {
        windowsSeen.push([...new Set(requests.map((r) => (r.id <= 3 ? "first" : "second")))].join(","));
        return super.callBatch(requests);
      }
    }
    class WithWindow extends DoFn<Product, string> {
      process(r: Product, ctx: ProcessContext<string>): void {
        ctx.output(`${r.id}:${r.name}@${(ctx.window as IntervalWindow).start}/${ctx.timestamp}`);
      }
    }
    const result = await runDirect((p) => {
      const out = p
        .apply(
          TestStream.create<Order>()
            .addElements(...[1, 2, 3].map((id) => ({ value: { id }, timestamp: id })))
            .advanceWatermarkTo(10)
            .addElements(...[4, 5, 6, 42].map((id) => ({ value: { id }, timestamp: 10 + (id % 10) })))
            .advanceWatermarkToInfinity(),
        )
        .apply(Window.into(new FixedWindows(10)))
        .apply("Enrich", Enrichment.of(new Batching({ minBatchSize: 8, maxBatchSize: 8 })));
      assertThat(out.main.apply("Tag", ParDo.of(new WithWindow())), equalTo(["1:A@0/1", "2:B@0/2", "3:C@0/3", "4:D@10/14", "5:C@10/15", "6:D@10/16"]), "CheckJoined");
      assertThat(out.failed.map("Ids", (f) => f.element.id), equalTo([42]), "CheckFailed");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.deepEqual(windowsSeen.filter((w) => w.includes(",")), [], `a batch mixed windows: ${windowsSeen.join(" | ")}`);
  });

  for (const batched of [false, true]) {
    it(`2 worker threads (directNumWorkers: 2), ${batched ? "batched" : "one call per request"}: every request is enriched once, the unknown ones fail`, async () => {
      const result = await enrichProgram.run({ n: 40, batched }, { directNumWorkers: 2, directWorkerThreads: "always" });
      assert.equal(result.state, "DONE", result.error?.message);
      assert.equal(result.metrics.counterTotal("Enrichment", "requests"), 40);
      if (!batched) assert.equal(result.metrics.counterTotal("Enrichment", "responses"), 8);
      assert.equal(result.metrics.counterTotal("beamline", "rejected"), 32);
    });
  }
});
