/**
 * What Enrichment calls: an EnrichmentSourceHandler, Beam Python's EnrichmentSourceHandler (a
 * RequestResponseIO `Caller`) typed. Beam's `__call__` is `call` (one request) and `callBatch`
 * (a list of them), `__enter__` / `__exit__` are `setup` / `teardown`, `get_cache_key` is
 * `getCacheKey` and `batch_elements_kwargs` is `batchElementsKwargs`.
 */

/** A request and its response, as a batched call returns them. */
export type EnrichmentPair<Req, Resp> = readonly [request: Req, response: Resp];

/** Batch sizes a handler asks for (Beam's `batch_elements_kwargs`, BatchElements' bounds). */
export interface EnrichmentBatching {
  /** The fewest requests per batch while more are coming (a bundle's last batch may hold fewer; default 1). */
  readonly minBatchSize?: number;
  /** The most requests per batch (default 10,000). */
  readonly maxBatchSize?: number;
}

/**
 * Fetches what an external source holds for a request. Implement `call`; add `callBatch` and
 * `batchElementsKwargs` to look requests up in batches.
 *
 * Errors: throw `UserCodeQuotaError` (or an error with HTTP code 429) when the source refuses for
 * a quota or rate limit, and `UserCodeTimeoutError` for a timeout of your own: Enrichment retries
 * those with backoff. Any other error means the request is a bad one: it goes to Enrichment's
 * `failed` output with the error as the reason, without a retry.
 */
export interface EnrichmentSourceHandler<Req, Resp> {
  /**
   * Names the handler in metrics, errors and the cache (requests of handlers of the same name
   * share cached responses). Default: the handler's class name.
   */
  readonly name?: string;
  /**
   * Once per DoFn instance before any call (Beam's `__enter__`): create clients here. It may run
   * more than once on the same handler object (one per DoFn instance using it), so keep what it
   * creates per process, or make it idempotent.
   */
  setup?(): void | Promise<void>;
  /**
   * The response for one request (Beam's `__call__`). `signal` aborts when the call times out: pass
   * it on to the request you make, so that an abandoned call stops too.
   */
  call(request: Req, signal: AbortSignal): Resp | Promise<Resp>;
  /**
   * The responses for a batch of requests (Beam's `__call__` with a list), as pairs of a request
   * of the batch and its response; a request with no pair goes to `failed`. Needed when
   * `batchElementsKwargs` asks for batches.
   */
  callBatch?(requests: readonly Req[], signal: AbortSignal): readonly EnrichmentPair<Req, Resp>[] | Promise<readonly EnrichmentPair<Req, Resp>[]>;
  /**
   * The key a request's response is cached under (Beam's `get_cache_key`); default: the request
   * as JSON. Two requests with the same key share the cached response.
   */
  getCacheKey?(request: Req): string;
  /** Batch sizes to call `callBatch` with (Beam's `batch_elements_kwargs`); undefined: one request per `call`. */
  batchElementsKwargs?(): EnrichmentBatching | undefined;
  /** Once per DoFn instance when it is discarded (Beam's `__exit__`): close what `setup` opened. */
  teardown?(): void | Promise<void>;
}
