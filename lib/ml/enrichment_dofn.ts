/**
 * The DoFn behind Enrichment (./enrichment): Beam's RequestResponseIO `_CallDoFn`, with the cache
 * read, BatchElements and the join folded in. Per element: the cache, then (unbatched) a call, or
 * (batched) a place in its window's batch, called when full or at the bundle's end. Every call is
 * throttled, timed out and repeated as configured (./request_response); what cannot be enriched
 * goes to `failed` with the reason.
 */
import { BundleContext, DoFn, ProcessContext, RuntimeContext } from "../model/dofn";
import { failedElement, type FailedElement } from "../model/dead_letter";
import { ValidationError, previewValue } from "../model/errors";
import { Metrics, type Counter } from "../model/metrics";
import type { BoundedWindow, Instant } from "../model/window";
import { BatchSizer } from "./batching";
import type { ResolvedEnrichment } from "./enrichment";
import type { EnrichmentPair } from "./enrichment_handler";
import { AdaptiveThrottler, callWithTimeout, UserCodeTimeoutError } from "./request_response";

interface Pending<Req> {
  readonly request: Req;
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
  /** The request's cache key, when caching. */
  readonly cacheKey: string | undefined;
}

/** Beam's RequestResponseIO metrics (and cache_hits). */
interface Counters {
  readonly requests: Counter;
  readonly responses: Counter;
  readonly failures: Counter;
  readonly timedOut: Counter;
  readonly retries: Counter;
  readonly throttledRequests: Counter;
  readonly throttledSeconds: Counter;
  readonly cacheHits: Counter;
}

/** A least-recently-used map with a time to live, one per handler name and process. */
class ResponseCache {
  private readonly entries = new Map<string, { value: unknown; expires: number }>();
  constructor(
    private readonly ttl: number,
    private readonly max: number,
  ) {}

  get(key: string): { value: unknown } | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    this.entries.delete(key);
    if (e.expires <= Date.now()) return undefined;
    this.entries.set(key, e);
    return { value: e.value };
  }

  /** Keeps the first response stored for a key, as Beam's Redis write (`nx=True`). */
  set(key: string, value: unknown): void {
    const e = this.entries.get(key);
    if (e !== undefined && e.expires > Date.now()) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expires: Date.now() + this.ttl });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}

const caches = new Map<string, ResponseCache>();

/** @internal Forgets every cached response of this process (tests). */
export function clearEnrichmentCaches(): void {
  caches.clear();
}

/** The default cache key: the request as JSON, its object keys sorted (Beam's `"request: %s" % request`). */
function defaultCacheKey(request: unknown): string {
  return JSON.stringify(request, (_k, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** Whether a handler's batch sizes are usable; the sizes resolved. */
function resolveBatching(kwargs: { minBatchSize?: number; maxBatchSize?: number }): { minBatchSize: number; maxBatchSize: number } {
  const minBatchSize = kwargs.minBatchSize ?? 1;
  const maxBatchSize = kwargs.maxBatchSize ?? 10_000;
  for (const [name, v] of [["minBatchSize", minBatchSize], ["maxBatchSize", maxBatchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValidationError(`the handler's batchElementsKwargs() gave ${name} ${previewValue(v)}; it must be a positive integer`);
  }
  if (minBatchSize > maxBatchSize) throw new ValidationError(`the handler's batchElementsKwargs() gave minBatchSize ${minBatchSize} above maxBatchSize ${maxBatchSize}; lower the minimum or raise the maximum`);
  return { minBatchSize, maxBatchSize };
}

export class EnrichmentDoFn<Req, Resp, Out> extends DoFn<Req, Out, { failed: FailedElement<Req> }> {
  private step = "Enrichment";
  private handlerName = "EnrichmentSourceHandler";
  private counters: Counters | undefined;
  private throttler: AdaptiveThrottler | undefined;
  private cache: ResponseCache | undefined;
  /** Set when the handler batches: the adaptive size of the next batch. */
  private sizer: BatchSizer | undefined;
  /** Requests waiting for their batch, per window id (a batch never mixes windows, as BatchElements'). */
  private pending = new Map<string, Pending<Req>[]>();
  private bundle: BundleContext<Out, { failed: FailedElement<Req> }> | undefined;

  constructor(private readonly spec: ResolvedEnrichment<Req, Resp, Out>) {
    super();
  }

  async setup(runtime: RuntimeContext): Promise<void> {
    const { handler, throttler, cache, metricsNamespace: ns } = this.spec;
    this.step = runtime.transformName;
    this.handlerName = handler.name ?? (handler.constructor?.name && handler.constructor !== Object ? handler.constructor.name : "EnrichmentSourceHandler");
    const kwargs = handler.batchElementsKwargs?.();
    if (kwargs !== undefined) {
      if (typeof handler.callBatch !== "function") {
        throw new ValidationError(`the enrichment handler ${this.handlerName} asks for batches (batchElementsKwargs) but has no callBatch(requests) method; add one, or return undefined from batchElementsKwargs`);
      }
      this.sizer = new BatchSizer({ ...resolveBatching(kwargs), targetBatchMillis: 1_000 });
    }
    this.counters = {
      requests: Metrics.counter(ns, "requests"),
      responses: Metrics.counter(ns, "responses"),
      failures: Metrics.counter(ns, "failures"),
      timedOut: Metrics.counter(ns, "requests_timed_out"),
      retries: Metrics.counter(ns, "retries"),
      throttledRequests: Metrics.counter(ns, "throttled_requests"),
      throttledSeconds: Metrics.counter(ns, "cumulativeThrottlingSeconds"),
      cacheHits: Metrics.counter(ns, "cache_hits"),
    };
    if (throttler !== undefined) this.throttler = new AdaptiveThrottler(throttler.options);
    if (cache !== undefined) {
      let shared = caches.get(this.handlerName);
      if (shared === undefined) caches.set(this.handlerName, (shared = new ResponseCache(cache.timeToLiveMillis, cache.maxEntries)));
      this.cache = shared;
    }
    await handler.setup?.();
  }

  startBundle(ctx: BundleContext<Out, { failed: FailedElement<Req> }>): void {
    this.bundle = ctx;
  }

  async process(request: Req, ctx: ProcessContext<Out, { failed: FailedElement<Req> }>): Promise<void> {
    this.counters!.requests.inc();
    let cacheKey: string | undefined;
    if (this.cache !== undefined) {
      try {
        cacheKey = this.spec.handler.getCacheKey?.(request) ?? defaultCacheKey(request);
      } catch (e) {
        this.fail({ request, timestamp: ctx.timestamp, window: ctx.window, cacheKey }, e, 1, "getCacheKey threw: ");
        return;
      }
      const hit = this.cache.get(cacheKey);
      if (hit !== undefined) {
        this.counters!.cacheHits.inc();
        this.join({ request, timestamp: ctx.timestamp, window: ctx.window, cacheKey }, hit.value as Resp, false);
        return;
      }
    }
    const p: Pending<Req> = { request, timestamp: ctx.timestamp, window: ctx.window, cacheKey };
    if (this.sizer === undefined) {
      const handler = this.spec.handler;
      const r = await this.fetch(request, (signal) => handler.call(request, signal));
      if ("error" in r) this.fail(p, r.error, r.attempts);
      else this.join(p, r.value, true);
      return;
    }
    const id = ctx.window.id();
    let batch = this.pending.get(id);
    if (batch === undefined) this.pending.set(id, (batch = []));
    batch.push(p);
    if (batch.length >= this.sizer.size) await this.flush(id);
  }

  async finishBundle(): Promise<void> {
    for (const id of [...this.pending.keys()]) await this.flush(id);
  }

  async teardown(): Promise<void> {
    await this.spec.handler.teardown?.();
  }

  /** Calls the handler for one window's waiting requests. */
  private async flush(id: string): Promise<void> {
    const batch = this.pending.get(id);
    this.pending.delete(id);
    if (batch === undefined || batch.length === 0) return;
    const handler = this.spec.handler;
    const requests = batch.map((p) => p.request);
    const started = Date.now();
    const r = await this.fetch(requests, (signal) => handler.callBatch!(requests, signal));
    this.sizer!.record(batch.length, Date.now() - started);
    if ("error" in r) {
      for (const p of batch) this.fail(p, r.error, r.attempts);
      return;
    }
    // Pairs are matched to the batch's requests by identity: the handler returns the request objects it was given.
    const waiting = new Map<Req, Pending<Req>[]>();
    for (const p of batch) {
      const list = waiting.get(p.request);
      if (list === undefined) waiting.set(p.request, [p]);
      else list.push(p);
    }
    const answered = new Set<Pending<Req>>();
    const pairs: readonly EnrichmentPair<Req, Resp>[] = Array.isArray(r.value) ? r.value : [];
    for (const [request, response] of pairs) {
      const matches = waiting.get(request);
      if (matches === undefined) continue;
      // A request with several responses gets an output for each (Beam flattens the batch's pairs).
      const p = matches.find((m) => !answered.has(m)) ?? matches[0]!;
      answered.add(p);
      this.join(p, response, true);
    }
    for (const p of batch) {
      if (!answered.has(p)) this.fail(p, new Error(`the source returned no response for this request (handler ${this.handlerName})`), 1);
    }
  }

  /** Throttles, then calls with the timeout and the repeater: the response, or the last error and how many attempts were made. */
  private async fetch<T>(what: unknown, call: (signal: AbortSignal) => T | Promise<T>): Promise<{ value: T } | { error: unknown; attempts: number }> {
    const counters = this.counters!;
    await this.throttle();
    const { repeater, timeoutMillis } = this.spec;
    let attempts = 0;
    const sentAt = Date.now();
    try {
      const value = await repeater.repeat(
        async () => {
          attempts++;
          try {
            return await callWithTimeout(call, timeoutMillis, previewValue(what, 200));
          } catch (e) {
            if (e instanceof UserCodeTimeoutError) counters.timedOut.inc();
            throw e;
          }
        },
        () => counters.retries.inc(),
      );
      counters.responses.inc();
      this.throttler?.successfulRequest(sentAt);
      return { value };
    } catch (error) {
      counters.failures.inc();
      return { error, attempts };
    }
  }

  /** Beam's DefaultThrottler in `_CallDoFn.process`: waits while the adaptive throttler holds the request. */
  private async throttle(): Promise<void> {
    const throttler = this.throttler;
    if (throttler === undefined) return;
    const delay = this.spec.throttler!.options.delayMillis;
    let throttled = false;
    while (throttler.throttleRequest(Date.now())) {
      throttled = true;
      await new Promise((resolve) => setTimeout(resolve, delay));
      this.counters!.throttledSeconds.inc(delay / 1000);
    }
    if (throttled) this.counters!.throttledRequests.inc();
  }

  /** Joins a request with its response and emits the result (caching the response if `fresh`). */
  private join(p: Pending<Req>, response: Resp, fresh: boolean): void {
    if (fresh && this.cache !== undefined && p.cacheKey !== undefined) this.cache.set(p.cacheKey, response);
    let joined: Out;
    try {
      joined = this.spec.joinFn(p.request, response);
    } catch (e) {
      this.fail(p, e, 1, "joinFn threw: ");
      return;
    }
    this.bundle!.output(joined, { timestamp: p.timestamp, window: p.window });
  }

  private fail(p: Pending<Req>, error: unknown, attempts: number, prefix = ""): void {
    const f = failedElement(p.request, error, this.step) as FailedElement<Req>;
    const reason = `${prefix}${f.reason}${attempts > 1 ? ` (gave up after ${attempts} attempts)` : ""}`;
    this.bundle!.outputTo("failed", { ...f, reason }, { timestamp: p.timestamp, window: p.window });
  }
}
