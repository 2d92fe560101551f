/**
 * TransferImages: for each product, try its image URLs in order, upload the first that downloads
 * to `<images>/<uniq_id>_<index>.jpg` (local or gs://) and set `image_uri` to it; no URL, or none
 * that works: `image_uri` is empty.
 *
 * Concurrency: `process` starts a product's transfer and returns at once, so one DoFn keeps up to
 * `maxConcurrent` products in flight (it waits only when that many are pending); the fetcher limits
 * requests and buffered bytes per process (./fetch.ts). Finished products are emitted, in input
 * order, from later `process` calls or at `finishBundle`, in their own window and timestamp.
 *
 * Metrics (namespace "flipkart"): imagesUploaded, productsWithoutImage, and the failed URLs by
 * kind: imageNotFound, imageTimeout, imageTooLarge, imageOtherFailure. Each failed URL is logged
 * with the product id (`Image '<url>' not found (product <id>)`, as the original did).
 *
 * Images are written straight to their final names (deterministic, so a retried bundle or a rerun
 * overwrites rather than duplicates); unlike the catalogue CSV they are not removed if the run fails.
 */
import { BundleContext, DoFn, ProcessContext, RuntimeContext } from "../../lib/model/dofn";
import { Metrics } from "../../lib/model/metrics";
import type { BoundedWindow, Instant } from "../../lib/model/window";
import { FileSystems } from "../../lib/io/filesystems/registry";
import { imageUrls } from "./categories";
import { releaseSharedFetcher, sharedFetcher, type FailureKind, type FetchSettings, type ImageFetcher } from "./fetch";

/** What TransferImages needs of a product. */
export interface ProductImages {
  readonly uniq_id: string;
  readonly image: string;
}

/** The outcome for one product, as counted in metrics. */
interface TransferResult {
  readonly imageUri: string;
  readonly failures: readonly FailureKind[];
  readonly hadUrls: boolean;
}

interface Pending<T> {
  readonly product: T;
  readonly window: BoundedWindow;
  readonly timestamp: Instant;
  result?: TransferResult;
  error?: unknown;
}

const MESSAGES: Record<FailureKind, string> = {
  notFound: "not found",
  timeout: "timed out",
  tooLarge: "is too large",
  other: "failed",
};

/** Where a product's image goes. */
export function imagePath(images: string, uniqId: string, index: number): string {
  return FileSystems.join(images, `${uniqId}_${index}.jpg`);
}

async function upload(path: string, body: Buffer, contentType: string): Promise<void> {
  const out = await FileSystems.create(path, { mimeType: contentType });
  await new Promise<void>((resolve, reject) => {
    out.once("error", reject);
    out.once("finish", resolve);
    out.end(body);
  });
}

/** Adds `image_uri` to each product; see the module comment. */
export class TransferImages<T extends ProductImages> extends DoFn<T, T & { image_uri: string }> {
  private fetcher: ImageFetcher | undefined;
  private pending: Pending<T>[] = [];
  private inFlight = new Set<Promise<void>>();
  private log: (message: string) => void = (m) => console.warn(m);
  private readonly counters = {
    uploaded: Metrics.counter("flipkart", "imagesUploaded"),
    without: Metrics.counter("flipkart", "productsWithoutImage"),
    notFound: Metrics.counter("flipkart", "imageNotFound"),
    timeout: Metrics.counter("flipkart", "imageTimeout"),
    tooLarge: Metrics.counter("flipkart", "imageTooLarge"),
    other: Metrics.counter("flipkart", "imageOtherFailure"),
  };

  constructor(
    private readonly images: string,
    private readonly settings: FetchSettings,
  ) {
    super();
  }

  setup(_runtime: RuntimeContext): void {
    this.fetcher = sharedFetcher(this.settings);
  }

  startBundle(): void {
    this.pending = [];
    this.inFlight = new Set();
  }

  /**
   * Not `async`: it returns a promise only when it must wait for a free slot, so the runner keeps
   * no async-context scope open per element (which would slow every await of the transfers), and
   * metrics are only updated synchronously here or in finishBundle.
   */
  process(product: T, ctx: ProcessContext<T & { image_uri: string }>): void | Promise<void> {
    this.emitFinished((value, p) => {
      if (p.window.id() !== ctx.window.id() || p.timestamp !== ctx.timestamp) return false;
      ctx.output(value);
      return true;
    });
    const item: Pending<T> = { product, window: ctx.window, timestamp: ctx.timestamp };
    this.pending.push(item);
    const task: Promise<void> = this.transfer(product).then(
      (r) => {
        item.result = r;
      },
      (e: unknown) => {
        item.error = e;
      },
    );
    const tracked = task.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    if (this.inFlight.size < this.settings.maxConcurrent) return undefined;
    return this.waitForSlot();
  }

  private async waitForSlot(): Promise<void> {
    while (this.inFlight.size >= this.settings.maxConcurrent) await Promise.race(this.inFlight);
  }

  async finishBundle(ctx: BundleContext<T & { image_uri: string }>): Promise<void> {
    await Promise.all(this.inFlight);
    this.emitFinished((value, p) => {
      ctx.output(value, { window: p.window, timestamp: p.timestamp });
      return true;
    });
  }

  async teardown(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    if (this.fetcher !== undefined) await releaseSharedFetcher(this.fetcher);
    this.fetcher = undefined;
  }

  /** Emits finished products (in input order up to the first unfinished one), counting metrics. */
  private emitFinished(emit: (value: T & { image_uri: string }, p: Pending<T>) => boolean): void {
    let done = 0;
    while (done < this.pending.length) {
      const p = this.pending[done]!;
      if (p.error !== undefined) throw p.error;
      if (p.result === undefined) break;
      if (!emit({ ...p.product, image_uri: p.result.imageUri }, p)) break;
      this.count(p.result);
      done++;
    }
    if (done > 0) this.pending.splice(0, done);
  }

  private count(r: TransferResult): void {
    for (const kind of r.failures) this.counters[kind].inc();
    if (r.imageUri === "") this.counters.without.inc();
    else this.counters.uploaded.inc();
  }

  private async transfer(product: T): Promise<TransferResult> {
    const urls = imageUrls(product.image);
    const failures: FailureKind[] = [];
    if (urls.length === 0) {
      this.log(`No image url for product ${product.uniq_id}`);
      return { imageUri: "", failures, hadUrls: false };
    }
    for (let index = 0; index < urls.length; index++) {
      const url = urls[index]!;
      const outcome = await this.fetcher!.fetch(url);
      if (!outcome.ok) {
        failures.push(outcome.kind);
        this.log(`Image '${url}' ${MESSAGES[outcome.kind]} (product ${product.uniq_id}): ${outcome.detail}`);
        continue;
      }
      const path = imagePath(this.images, product.uniq_id, index);
      try {
        await upload(path, outcome.body, outcome.contentType);
      } finally {
        outcome.release();
      }
      return { imageUri: path, failures, hadUrls: true };
    }
    this.log(`No image found for product ${product.uniq_id}`);
    return { imageUri: "", failures, hadUrls: true };
  }
}
