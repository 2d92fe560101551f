/**
 * How Enrichment calls an external source, as Beam Python's RequestResponseIO
 * (`apache_beam.io.requestresponse`) does: each call has a timeout; a repeater retries the calls
 * that failed for a transient reason (a quota, HTTP 429, a timeout) with exponential backoff; and a
 * throttler delays requests on the client side while the source is refusing too many of them.
 *
 * Beam's error classes keep their names (`UserCodeExecutionException` → `UserCodeExecutionError`):
 * a handler throws `UserCodeQuotaError` for a quota or rate limit it meets, and `UserCodeTimeoutError`
 * for a timeout of its own; both are retried. Any other error is not: the request is a bad one, and
 * Enrichment sends it to its dead-letter output.
 */
import { errorCode } from "../io/gcp/errors";

/** Beam's DEFAULT_TIMEOUT_SECS, in milliseconds: how long one call may take. */
export const DEFAULT_ENRICHMENT_TIMEOUT_MILLIS = 30_000;

/** A call to the external source failed (Beam's UserCodeExecutionException). */
export class UserCodeExecutionError extends Error {
  /** The class's name, shown in reasons and stack traces. */
  override name = "UserCodeExecutionError";
}

/** The source refused a call for its quota or rate limit (Beam's UserCodeQuotaException): retried. */
export class UserCodeQuotaError extends UserCodeExecutionError {
  /** The class's name, shown in reasons and stack traces. */
  override name = "UserCodeQuotaError";
}

/** A call did not finish within its timeout (Beam's UserCodeTimeoutException): retried. */
export class UserCodeTimeoutError extends UserCodeExecutionError {
  /** The class's name, shown in reasons and stack traces. */
  override name = "UserCodeTimeoutError";
}

/**
 * Whether a failed call is worth repeating (Beam's `retry_on_exception`): a quota error, a timeout,
 * or an error carrying HTTP status 429 (Beam's TooManyRequests) as the Google clients' errors do.
 */
export function isTransientCallError(error: unknown): boolean {
  return error instanceof UserCodeQuotaError || error instanceof UserCodeTimeoutError || errorCode(error) === 429;
}

/**
 * Runs `call` with an AbortSignal that fires after `timeoutMillis`; by then an unfinished call is
 * abandoned and this rejects with a UserCodeTimeoutError (Beam abandons the call's thread the same
 * way). A handler that passes the signal on (to fetch, or a client) has its request cancelled too.
 */
export async function callWithTimeout<T>(call: (signal: AbortSignal) => T | Promise<T>, timeoutMillis: number, what: string): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new UserCodeTimeoutError(`Timeout ${timeoutMillis} ms exceeded while completing request ${what}`);
      controller.abort(error);
      reject(error);
    }, timeoutMillis);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => call(controller.signal)), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Repeats failed calls (Beam's Repeater). */
export interface Repeater {
  /**
   * Calls `attempt` until it succeeds, or until this repeater gives up: then it rejects with the
   * last error. `onRetry` is called before each repeated attempt.
   */
  repeat<T>(attempt: () => Promise<T>, onRetry?: (error: unknown, delayMillis: number) => void): Promise<T>;
}

/** Calls once, whatever the error (Beam's NoOpsRepeater). */
export class NoOpsRepeater implements Repeater {
  /** The one attempt's result or error. */
  repeat<T>(attempt: () => Promise<T>): Promise<T> {
    return attempt();
  }
}

/** Options of ExponentialBackOffRepeater (Beam's `retry.with_exponential_backoff` arguments, in milliseconds). */
export interface ExponentialBackOffOptions {
  /** Attempts after the first (Beam's num_retries; default 2, so 3 calls at most). */
  readonly numRetries?: number;
  /** The delay before the first retry (Beam's initial_delay_secs: default 5000 ms). */
  readonly initialDelayMillis?: number;
  /** Each next delay is this many times the previous one (default 2). */
  readonly factor?: number;
  /** Each delay is shortened by up to this fraction, at random, so retries spread out (default 0.5). */
  readonly fuzz?: number;
  /** The longest delay (default one hour). */
  readonly maxDelayMillis?: number;
}

/**
 * Retries transient failures with exponential backoff (Beam's ExponentialBackOffRepeater, the
 * default): quota errors, HTTP 429 and timeouts (`isTransientCallError`); any other error fails at once.
 */
export class ExponentialBackOffRepeater implements Repeater {
  /** Attempts after the first. */
  readonly numRetries: number;
  private readonly initialDelayMillis: number;
  private readonly factor: number;
  private readonly fuzz: number;
  private readonly maxDelayMillis: number;

  constructor(options: ExponentialBackOffOptions = {}) {
    this.numRetries = options.numRetries ?? 2;
    this.initialDelayMillis = options.initialDelayMillis ?? 5_000;
    this.factor = options.factor ?? 2;
    this.fuzz = options.fuzz ?? 0.5;
    this.maxDelayMillis = options.maxDelayMillis ?? 3_600_000;
    const bad = (name: string, value: number, ok: boolean) => {
      if (!ok) throw new RangeError(`ExponentialBackOffRepeater: ${name} must be ${name === "numRetries" ? "a non-negative integer" : name === "fuzz" ? "between 0 and 1" : "a non-negative number"}, got ${value}`);
    };
    bad("numRetries", this.numRetries, Number.isInteger(this.numRetries) && this.numRetries >= 0);
    bad("initialDelayMillis", this.initialDelayMillis, this.initialDelayMillis >= 0);
    bad("factor", this.factor, this.factor >= 1);
    bad("fuzz", this.fuzz, this.fuzz >= 0 && this.fuzz <= 1);
    bad("maxDelayMillis", this.maxDelayMillis, this.maxDelayMillis >= 0);
  }

  /** Retries `attempt` while it fails transiently, waiting longer each time; the last error once it gives up. */
  async repeat<T>(attempt: () => Promise<T>, onRetry?: (error: unknown, delayMillis: number) => void): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (e) {
        if (retry >= this.numRetries || !isTransientCallError(e)) throw e;
        const base = Math.min(this.maxDelayMillis, this.initialDelayMillis * this.factor ** retry);
        const delay = base * (1 - this.fuzz * Math.random());
        onRetry?.(e, delay);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** Options of DefaultThrottler (Beam's DefaultThrottler arguments; its delay in milliseconds). */
export interface DefaultThrottlerOptions {
  /** How much history of requests decides throttling, in ms (Beam's window_ms; default 1). */
  readonly windowMillis?: number;
  /** The granularity of that history, in ms (Beam's bucket_ms; default 1). */
  readonly bucketMillis?: number;
  /** The ratio of requests to successful requests above which requests are throttled (Beam's overload_ratio; default 2). */
  readonly overloadRatio?: number;
  /** How long a throttled request waits before it is considered again (Beam's delay_secs: default 5000 ms). */
  readonly delayMillis?: number;
}

/**
 * Client-side adaptive throttling (Beam's DefaultThrottler over AdaptiveThrottler, from the SRE
 * book's "Handling Overload"): a request is delayed with probability
 * `(requests - overloadRatio × successes) / (requests + 1)` over the last `windowMillis`, so a
 * source that fails most calls is sent fewer of them. Beam's defaults (a 1 ms window) make it act
 * only under a burst of failures; widen the window to throttle for longer.
 */
export class DefaultThrottler {
  /** The options, defaults filled in. */
  readonly options: Required<DefaultThrottlerOptions>;

  constructor(options: DefaultThrottlerOptions = {}) {
    this.options = { windowMillis: 1, bucketMillis: 1, overloadRatio: 2, delayMillis: 5_000, ...options };
    const { windowMillis, bucketMillis, overloadRatio, delayMillis } = this.options;
    if (!(windowMillis > 0 && bucketMillis > 0 && bucketMillis <= windowMillis)) {
      throw new RangeError(`DefaultThrottler: windowMillis and bucketMillis must be positive, the bucket no longer than the window; got ${windowMillis} and ${bucketMillis}`);
    }
    if (!(overloadRatio > 0) || !(delayMillis >= 0)) throw new RangeError(`DefaultThrottler: overloadRatio must be positive and delayMillis non-negative; got ${overloadRatio} and ${delayMillis}`);
  }
}

/** A sum over a moving window of time, in buckets (Beam's io.components.util.MovingSum). */
class MovingSum {
  private readonly buckets = new Map<number, number>();
  constructor(
    private readonly windowMillis: number,
    private readonly bucketMillis: number,
  ) {}

  private prune(now: number): void {
    const oldest = Math.floor((now - this.windowMillis) / this.bucketMillis);
    for (const b of this.buckets.keys()) if (b <= oldest) this.buckets.delete(b);
  }

  add(now: number, n: number): void {
    this.prune(now);
    const b = Math.floor(now / this.bucketMillis);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
  }

  sum(now: number): number {
    this.prune(now);
    let s = 0;
    for (const v of this.buckets.values()) s += v;
    return s;
  }
}

/** @internal The state of one DefaultThrottler in one DoFn instance (Beam's AdaptiveThrottler). */
export class AdaptiveThrottler {
  private readonly all: MovingSum;
  private readonly successful: MovingSum;

  constructor(
    private readonly options: Required<DefaultThrottlerOptions>,
    private readonly random: () => number = Math.random,
  ) {
    this.all = new MovingSum(options.windowMillis, options.bucketMillis);
    this.successful = new MovingSum(options.windowMillis, options.bucketMillis);
  }

  /** The chance that a request now is throttled. */
  throttlingProbability(now: number): number {
    const all = this.all.sum(now);
    if (all === 0) return 0;
    return Math.max(0, (all - this.options.overloadRatio * this.successful.sum(now)) / (all + 1));
  }

  /** Whether to hold a request now; a request not held is counted as sent. */
  throttleRequest(now: number): boolean {
    const throttle = this.random() < this.throttlingProbability(now);
    if (!throttle) this.all.add(now, 1);
    return throttle;
  }

  /** Counts a request sent at `sentAt` as successful. */
  successfulRequest(sentAt: number): void {
    this.successful.add(sentAt, 1);
  }
}
