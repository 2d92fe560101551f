/** Streams generated input through one stage of a harness, as a runner does: chunked, with back-pressure, output counted not kept. */
import { createHash } from "node:crypto";
import type { Coder } from "../../lib/coders/coder";
import { ByteReader, ByteWriter } from "../../lib/coders/index";
import type { Pipeline } from "../../lib/model/pipeline";
import { inGlobalWindow, type WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { plan, type Stage } from "../portable/fuser";
import type { FnApiServer, RunningBundle } from "./fn_server";
import { coder, stageWith } from "./wire";

/** A stage of `p` (the one running `transform`), its descriptor served by `fn`, with its wire coders. */
export function serveStage(fn: FnApiServer, p: Pipeline, transform: string): { stage: Stage; inCoder: Coder<unknown>; outCoder: Coder<unknown>; sink: string } {
  const planned = plan(translatePipeline(p, dockerEnvironment()).proto, fn.url, { breakAt: new Set([transform]) });
  const stage = stageWith(planned, transform);
  fn.addDescriptor(stage.descriptor!);
  const [outPc, sink] = [...stage.outputs][0]!;
  return { stage, inCoder: coder(planned.components, planned.wireCoder(stage.input)), outCoder: coder(planned.components, planned.wireCoder(outPc)), sink };
}

/** Counts the elements of an output stream chunk by chunk (an element may span chunks) and hashes their values. */
export class OutputTally {
  elements = 0;
  bytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  private readonly hash = createHash("sha256");
  private readonly raw = createHash("sha256");
  /** Without a coder, only the bytes are counted and hashed (fast: for streams of gigabytes). */
  constructor(private readonly outCoder?: Coder<unknown>) {}
  add(data: Uint8Array): void {
    this.bytes += data.length;
    this.raw.update(data);
    if (this.outCoder === undefined) return;
    const buf = this.tail.length > 0 ? Buffer.concat([this.tail, data]) : Buffer.from(data);
    const r = new ByteReader(buf);
    for (;;) {
      const start = r.offset;
      if (r.atEnd()) break;
      try {
        const wv = this.outCoder.decode(r, "nested") as WindowedValue<string>;
        this.hash.update(String(wv.value));
        this.elements++;
      } catch {
        this.tail = buf.subarray(start);
        return;
      }
    }
    this.tail = Buffer.alloc(0);
  }
  digest(): string {
    return this.hash.digest("hex");
  }
  /** Hash of the bytes received. */
  rawDigest(): string {
    return this.raw.digest("hex");
  }
}

/**
 * Sends `totalBytes` (rounded up to whole chunks) to `source`: `distinct` different chunks of
 * about `chunkBytes` of lines, encoded once and sent in turn (so the runner side sends far faster
 * than a stage processes). Returns the bytes sent and their hash.
 */
export async function sendRepeated(bundle: RunningBundle, source: string, inCoder: Coder<unknown>, totalBytes: number, distinct = 8, chunkBytes = 1 << 20): Promise<{ bytes: number; digest: string }> {
  const chunks: Uint8Array[] = [];
  const pad = "z".repeat(1024);
  for (let c = 0; c < distinct; c++) {
    const w = new ByteWriter(chunkBytes + 2048);
    for (let i = 0; w.length < chunkBytes; i++) inCoder.encode(inGlobalWindow(`${c}:${i}:${pad}`), w, "nested");
    chunks.push(w.finish());
  }
  const hash = createHash("sha256");
  let sent = 0;
  for (let i = 0; sent < totalBytes; i++) {
    const chunk = chunks[i % distinct]!;
    hash.update(chunk);
    sent += chunk.length;
    await bundle.send(source, chunk, false);
  }
  await bundle.send(source, new Uint8Array(0), true);
  return { bytes: sent, digest: hash.digest("hex") };
}

/**
 * Sends `totalBytes` (about) of distinct lines of `lineBytes` characters to `source`, in chunks
 * of `chunkBytes`, each send waiting while the data stream is full. Returns the count sent and
 * the hash of the lines (as OutputTally computes it).
 */
export async function sendLines(bundle: RunningBundle, source: string, inCoder: Coder<unknown>, totalBytes: number, lineBytes = 1024, chunkBytes = 1 << 20): Promise<{ lines: number; digest: string }> {
  const hash = createHash("sha256");
  const pad = "y".repeat(lineBytes);
  let lines = 0;
  let sent = 0;
  while (sent < totalBytes) {
    const w = new ByteWriter(chunkBytes + lineBytes * 2);
    while (w.length < chunkBytes) {
      const line = `${lines}:${pad}`.slice(0, lineBytes);
      hash.update(line);
      inCoder.encode(inGlobalWindow(line), w, "nested");
      lines++;
    }
    const chunk = w.finish();
    sent += chunk.length;
    await bundle.send(source, chunk, false);
  }
  await bundle.send(source, new Uint8Array(0), true);
  return { lines, digest: hash.digest("hex") };
}
