/**
 * Enrichment: joins each element with what an external source holds for it (Beam Python's
 * `apache_beam.transforms.enrichment.Enrichment`).
 *
 *     const handler = new BigQueryEnrichmentHandler<Order, Product>({
 *       project, tableName: "shop.catalog.products", rowRestrictionTemplate: "id = {}", fields: ["id"],
 *     });
 *     const { main, failed } = orders.apply("AddProduct", Enrichment.of(handler));
 *
 * An EnrichmentSourceHandler fetches the response for a request (./enrichment_handler); the
 * transform calls it as Beam's RequestResponseIO does (./request_response): with a timeout, retries
 * with backoff of transient failures, client-side throttling, batches when the handler asks for
 * them, and an optional cache. Each request and its response are joined by `joinFn`, by default
 * `crossJoin` (the response's fields added to the request's). A request whose call fails for good,
 * that finds no response, or on which the join throws goes to `failed` with the reason, a
 * dead-letter output: the run goes on (and fails only if nothing reads `failed`, unless
 * `ignoreRejected`).
 */
import { PipelineConstructionError, previewValue } from "../model/errors";
import type { DeadLetterOptions, FailedElement } from "../model/dead_letter";
import { ParDo } from "../model/pardo";
import type { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { EnrichmentDoFn } from "./enrichment_dofn";
import type { EnrichmentSourceHandler } from "./enrichment_handler";
import { DefaultThrottler, ExponentialBackOffRepeater, DEFAULT_ENRICHMENT_TIMEOUT_MILLIS, type Repeater } from "./request_response";

/**
 * The default join's output: the request's fields, and the response's fields the request does
 * not have (Beam's `cross_join`: on a name both have, the request's value is kept).
 */
export type CrossJoined<Req, Resp> = { [K in keyof Req | keyof Resp]: K extends keyof Req ? Req[K] : K extends keyof Resp ? Resp[K] : never };

/** Fields whose conflicting values were already reported (Beam logs each; once per field here). */
const warnedFields = new Set<string>();

/**
 * Beam's `cross_join`: the request's fields, then each field of the response the request lacks.
 * On a field both have with different values, the request's value is kept (and a warning printed,
 * once per field name): pass your own `joinFn` to Enrichment for another rule.
 */
export function crossJoin<Req extends object, Resp extends object>(request: Req, response: Resp): CrossJoined<Req, Resp> {
  for (const [side, value] of [["request", request], ["source", response]] as const) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new TypeError(`crossJoin joins objects, but the ${side === "source" ? "source returned" : "request is"} ${previewValue(value, 80)}; pass a joinFn to Enrichment to join other ${side === "source" ? "responses" : "requests"}`);
    }
  }
  const joined = { ...request } as Record<string, unknown>;
  for (const [k, v] of Object.entries(response)) {
    if (!(k in joined)) joined[k] = v;
    else if (joined[k] !== v && !warnedFields.has(k)) {
      warnedFields.add(k);
      process.stderr.write(
        `Enrichment: warning: '${k}' is both in the input row and in the row fetched from the source, with different values ` +
          `(${previewValue(joined[k], 60)} and ${previewValue(v, 60)}); the input's value is kept. Pass a joinFn to Enrichment to choose otherwise.\n`,
      );
    }
  }
  return joined as CrossJoined<Req, Resp>;
}

/** Options of Enrichment.withCache (Beam Python's `with_redis_cache`, here in each worker process's memory). */
export interface EnrichmentCacheOptions {
  /** How long a response stays cached, in ms (Beam's time_to_live; default 24 hours). */
  readonly timeToLiveMillis?: number;
  /** The most responses kept per handler and process; the least recently used go first (default 100,000). */
  readonly maxEntries?: number;
}

/** Options of Enrichment (Beam Python's Enrichment arguments). */
export interface EnrichmentOptions<Req, Resp, Out> extends DeadLetterOptions {
  /** Joins a request and its response into the output (Beam's join_fn; default `crossJoin`). A throw sends the request to `failed`. */
  readonly joinFn?: (request: Req, response: Resp) => Out;
  /** How long one call to the source may take, in ms (Beam's timeout, 30 s): then it is abandoned and counts as a transient failure. */
  readonly timeoutMillis?: number;
  /** How failed calls are repeated (default `new ExponentialBackOffRepeater()`: 2 retries of transient failures; `new NoOpsRepeater()` for none). */
  readonly repeater?: Repeater;
  /** Client-side throttling (default `new DefaultThrottler()`); `false` sends every request as it comes. */
  readonly throttler?: DefaultThrottler | false;
  /**
   * Caches responses by the handler's `getCacheKey` (Beam's `with_redis_cache`): a request whose
   * key is cached is joined with the cached response without a call. The cache is in the memory
   * of each worker process (Beam's is a Redis server), shared by the steps using the same handler
   * name; `true` takes the default time to live and size.
   */
  readonly useCache?: boolean | EnrichmentCacheOptions;
  /** Namespace of the step's metrics (requests, responses, failures, requests_timed_out, ...; default "Enrichment"). */
  readonly metricsNamespace?: string;
}

/** The outputs of Enrichment. */
export type EnrichmentOutputs<Req, Out> = {
  /** One joined element per request that got a response, with the request's timestamp and window. */
  readonly main: PCollection<Out>;
  /** Requests that could not be enriched, each with the reason (a dead-letter output). */
  readonly failed: PCollection<FailedElement<Req>>;
};

/** @internal What the DoFn is given: the options resolved. */
export interface ResolvedEnrichment<Req, Resp, Out> {
  readonly handler: EnrichmentSourceHandler<Req, Resp>;
  readonly joinFn: (request: Req, response: Resp) => Out;
  readonly timeoutMillis: number;
  readonly repeater: Repeater;
  readonly throttler: DefaultThrottler | undefined;
  readonly cache: Required<EnrichmentCacheOptions> | undefined;
  readonly metricsNamespace: string;
}

const DEFAULT_CACHE: Required<EnrichmentCacheOptions> = { timeToLiveMillis: 24 * 60 * 60 * 1000, maxEntries: 100_000 };

/**
 * Enriches each element with what an EnrichmentSourceHandler fetches for it; build it with
 * `Enrichment.of(handler, options)`.
 */
export class Enrichment<Req, Out> extends PTransform<PCollection<Req>, EnrichmentOutputs<Req, Out>> {
  private constructor(private readonly spec: { handler: EnrichmentSourceHandler<Req, unknown>; options: EnrichmentOptions<Req, unknown, Out> }) {
    super("Enrichment");
  }

  /** Enriches with `joinFn(request, response)`. */
  static of<Req, Resp, Out>(handler: EnrichmentSourceHandler<Req, Resp>, options: EnrichmentOptions<Req, Resp, Out> & { readonly joinFn: (request: Req, response: Resp) => Out }): Enrichment<Req, Out>;
  /** Enriches with `crossJoin`: each request's fields and those of its response that the request lacks. */
  static of<Req extends object, Resp extends object>(handler: EnrichmentSourceHandler<Req, Resp>, options?: EnrichmentOptions<Req, Resp, CrossJoined<Req, Resp>>): Enrichment<Req, CrossJoined<Req, Resp>>;
  static of<Req, Resp, Out>(handler: EnrichmentSourceHandler<Req, Resp>, options: EnrichmentOptions<Req, Resp, Out> = {}): Enrichment<Req, Out> {
    if (typeof handler !== "object" || handler === null || typeof handler.call !== "function") {
      throw new PipelineConstructionError(`Enrichment.of needs an EnrichmentSourceHandler (an object with a call(request) method), got ${previewValue(handler)}`);
    }
    if (options.joinFn !== undefined && typeof options.joinFn !== "function") throw new PipelineConstructionError(`Enrichment's joinFn must be a function, got ${previewValue(options.joinFn)}`);
    const timeout = options.timeoutMillis;
    if (timeout !== undefined && !(timeout > 0 && Number.isFinite(timeout))) {
      throw new PipelineConstructionError(`Enrichment's timeoutMillis must be a positive number of milliseconds, got ${previewValue(timeout)}`);
    }
    const { throttler, repeater } = options as { throttler?: unknown; repeater?: unknown };
    if (throttler !== undefined && throttler !== false && !(throttler instanceof DefaultThrottler)) {
      throw new PipelineConstructionError(`Enrichment's throttler must be a DefaultThrottler or false, got ${previewValue(throttler)}; e.g. new DefaultThrottler({ windowMillis: 60_000 })`);
    }
    if (repeater !== undefined && typeof (repeater as { repeat?: unknown } | null)?.repeat !== "function") {
      throw new PipelineConstructionError(`Enrichment's repeater must have a repeat(attempt) method (an ExponentialBackOffRepeater, a NoOpsRepeater, or your own Repeater), got ${previewValue(repeater)}`);
    }
    const cache = typeof options.useCache === "object" ? options.useCache : undefined;
    if (cache !== undefined) {
      const { timeToLiveMillis: ttl, maxEntries: max } = cache;
      if ((ttl !== undefined && !(ttl > 0)) || (max !== undefined && !(Number.isInteger(max) && max > 0))) {
        throw new PipelineConstructionError(`Enrichment's useCache needs a positive timeToLiveMillis and a positive integer maxEntries, got ${previewValue(cache)}`);
      }
    }
    return new Enrichment<Req, Out>({ handler: handler as EnrichmentSourceHandler<Req, unknown>, options: options as EnrichmentOptions<Req, unknown, Out> });
  }

  expand(input: PCollection<Req>): EnrichmentOutputs<Req, Out> {
    const { handler, options } = this.spec;
    const useCache = options.useCache;
    const resolved: ResolvedEnrichment<Req, unknown, Out> = {
      handler,
      joinFn: options.joinFn ?? ((req, resp) => crossJoin(req as object, resp as object) as Out),
      timeoutMillis: options.timeoutMillis ?? DEFAULT_ENRICHMENT_TIMEOUT_MILLIS,
      repeater: options.repeater ?? new ExponentialBackOffRepeater(),
      throttler: options.throttler === false ? undefined : (options.throttler ?? new DefaultThrottler()),
      cache: useCache === undefined || useCache === false ? undefined : { ...DEFAULT_CACHE, ...(useCache === true ? {} : useCache) },
      metricsNamespace: options.metricsNamespace ?? "Enrichment",
    };
    const deadLetters = { failed: { reason: (f: FailedElement<Req>) => f.reason, ignoreUnread: options.ignoreRejected === true } };
    return input.apply("Call", ParDo.of(new EnrichmentDoFn<Req, unknown, Out>(resolved), { deadLetters }).withOutputs("failed"));
  }
}
