/** The image fetcher against the local image server: failure kinds, retries, redirects, limits. */
import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_FETCH_SETTINGS, ImageFetcher, isBlockedAddress, refusedUrl, Semaphore, type FetchOutcome, type FetchSettings } from "../../pipelines/flipkart/fetch";
import { imageFor, startImageServer, type ImageBehaviour, type ImageServer } from "../../setup/flipkart/image_server";

const kindOf = (o: FetchOutcome): string => (o.ok ? "ok" : o.kind);

describe("pipelines/flipkart: image fetcher", function () {
  this.timeout(30_000);
  let server: ImageServer;
  const plan = new Map<string, (attempt: number) => ImageBehaviour>();
  const settings: FetchSettings = { ...DEFAULT_FETCH_SETTINGS, timeoutMs: 400, maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 50, maxBytes: 100_000, maxBufferedBytes: 200_000, maxConcurrent: 4 };
  let fetcher: ImageFetcher;

  before(async () => {
    server = await startImageServer({ behaviour: (p, attempt) => plan.get(p)?.(attempt) });
    fetcher = new ImageFetcher(settings);
  });
  after(async () => {
    await fetcher?.close();
    await server?.stop();
  });

  it("refuses other schemes and link-local / metadata hosts before connecting", () => {
    for (const url of ["file:///etc/passwd", "ftp://example.com/a.jpg", "http://169.254.169.254/computeMetadata/v1/", "http://metadata.google.internal/x", "http://[fe80::1]/a", "http://[::ffff:169.254.1.1]/a", "http://0.0.0.0/a"]) {
      assert.ok(refusedUrl(new URL(url)) !== undefined, url);
    }
    for (const url of ["http://127.0.0.1:8000/a.jpg", "https://img5a.flixcart.com/image/a.jpeg", "http://10.0.0.5/a"]) assert.equal(refusedUrl(new URL(url)), undefined, url);
    assert.ok(isBlockedAddress("169.254.0.1") && isBlockedAddress("fe80::abcd") && isBlockedAddress("::") && !isBlockedAddress("127.0.0.1") && !isBlockedAddress("::1"));
  });

  it("classifies failures: 404 (no retry), 503 then fine (retried), 500 (retried, then other), hang (timeout), not an image, empty", async () => {
    plan.set("/404", () => ({ kind: "status", status: 404 }));
    plan.set("/503-once", (a) => (a === 1 ? { kind: "status", status: 503 } : { kind: "ok" }));
    plan.set("/500", () => ({ kind: "status", status: 500 }));
    plan.set("/hang", () => ({ kind: "hang" }));
    plan.set("/html", () => ({ kind: "notImage" }));
    plan.set("/ok", () => ({ kind: "ok", bytes: 5000 }));
    const results = await Promise.all(["/404", "/503-once", "/500", "/hang", "/html", "/ok"].map((p) => fetcher.fetch(server.url + p)));
    assert.deepEqual(results.map(kindOf), ["notFound", "ok", "other", "timeout", "other", "ok"]);
    assert.deepEqual(["/404", "/503-once", "/500", "/hang"].map((p) => server.requests.get(p)), [1, 2, 3, 3]);
    const ok = results[5]!;
    assert.ok(ok.ok && ok.body.equals(imageFor("/ok", 5000)) && ok.contentType === "image/jpeg");
    for (const r of results) if (r.ok) r.release();
  });

  it("refuses bodies over maxBytes, by Content-Length or while streaming, and slow bodies past the deadline", async () => {
    plan.set("/huge-declared", () => ({ kind: "huge", bytes: 5_000_000, declareLength: true }));
    plan.set("/huge-chunked", () => ({ kind: "huge", bytes: 5_000_000, declareLength: false }));
    plan.set("/slow-ok", () => ({ kind: "slow", totalMs: 100, bytes: 3000 }));
    plan.set("/slow-too-slow", () => ({ kind: "slow", totalMs: 2000, bytes: 3000 }));
    const results = await Promise.all(["/huge-declared", "/huge-chunked", "/slow-ok", "/slow-too-slow"].map((p) => fetcher.fetch(server.url + p)));
    assert.deepEqual(results.map(kindOf), ["tooLarge", "tooLarge", "ok", "timeout"]);
    for (const r of results) if (r.ok) r.release();
  });

  it("follows redirects to http(s) only and never to a link-local address", async () => {
    plan.set("/to-ok", () => ({ kind: "redirect", location: "/ok" }));
    plan.set("/to-file", () => ({ kind: "redirect", location: "file:///etc/passwd" }));
    plan.set("/to-metadata", () => ({ kind: "redirect", location: "http://169.254.169.254/latest/meta-data/" }));
    plan.set("/loop", () => ({ kind: "redirect", location: "/loop" }));
    const [toOk, toFile, toMetadata, loop] = await Promise.all(["/to-ok", "/to-file", "/to-metadata", "/loop"].map((p) => fetcher.fetch(server.url + p)));
    assert.ok(toOk!.ok);
    toOk!.release();
    assert.deepEqual([toFile, toMetadata, loop].map((r) => (r!.ok ? "ok" : `${r!.kind}: ${r!.detail}`)), [
      "other: refused: only http and https URLs are fetched, not file:",
      "other: refused: 169.254.169.254 is a link-local or unspecified address",
      "other: more than 5 redirects",
    ]);
  });

  it("keeps at most maxConcurrent requests in flight, and waits for memory before reading bodies", async () => {
    let inFlight = 0;
    let peak = 0;
    const counting = http.createServer((req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        const body = imageFor(req.url ?? "/", 60_000);
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": body.length });
        res.end(body);
      }, 30);
    });
    await new Promise<void>((resolve) => counting.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(counting.address() as AddressInfo).port}`;
    try {
      // 60 KB bodies with a 200 KB budget: at most 3 held at once until released.
      const held: (() => void)[] = [];
      const fetches = Array.from({ length: 12 }, (_, i) =>
        fetcher.fetch(`${base}/img/${i}`).then((r) => {
          assert.ok(r.ok);
          held.push(r.release);
        }),
      );
      const all = Promise.all(fetches);
      let finished = false;
      void all.then(() => (finished = true));
      // A negative check (nothing may complete while the budget is held), bounded at 500 ms.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(finished, false, "downloads wait while the memory budget is held");
      const holding = (): number => held.length;
      assert.equal(holding(), 3, "three 60 KB downloads fit the 200 KB budget");
      while (!finished) {
        held.shift()?.();
        await new Promise((resolve) => setImmediate(resolve));
        if (holding() === 0) await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 20))]);
      }
      held.splice(0).forEach((release) => release());
      assert.ok(peak <= settings.maxConcurrent, `peak ${peak} requests in flight`);
      assert.ok(peak >= 2, `requests ran concurrently (peak ${peak})`);
    } finally {
      await new Promise<void>((resolve) => counting.close(() => resolve()));
    }
  });

  it("Semaphore: FIFO, weighted", async () => {
    const s = new Semaphore(3);
    const order: string[] = [];
    await s.acquire(2);
    const a = s.acquire(2).then(() => order.push("a"));
    const b = s.acquire(1).then(() => order.push("b"));
    s.release(2);
    await Promise.all([a, b]);
    assert.deepEqual(order, ["a", "b"]);
  });
});
