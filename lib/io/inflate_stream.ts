/**
 * DEFLATE (zlib format) decompression that reads concatenated streams one after the other, as
 * Beam Python does (`zlib.decompressobj()`, then a new one over its `unused_data`): node:zlib's
 * Inflate ends at the end of the first stream and drops what follows. Gunzip already reads
 * concatenated members itself.
 *
 * Each stream is inflated by its own node:zlib Inflate. When one ends inside a chunk (it consumed
 * fewer bytes than it was given: `bytesWritten`), the rest of the chunk starts the next; a stream
 * that ends exactly at a chunk's end is noticed when the next chunk is refused whole.
 */
import { once } from "node:events";
import { Transform, type TransformCallback, type Writable } from "node:stream";
import type { Inflate } from "node:zlib";
import { zlib } from "./compression";

class ConcatenatedInflate extends Transform {
  private current: Inflate | undefined;
  /** The current Inflate's output has all been emitted ('end', which may come before its write's callback). */
  private currentEnded: Promise<void> | undefined;
  /** Bytes given to the current Inflate. */
  private fed = 0;
  private failure: Error | undefined;

  constructor(private readonly chunkSize: number) {
    super();
  }

  private start(): Inflate {
    const inflate = zlib().createInflate({ chunkSize: this.chunkSize });
    inflate.on("data", (d: Buffer) => this.push(d));
    inflate.on("error", (e: Error) => (this.failure ??= e));
    this.currentEnded = new Promise<void>((resolve) => inflate.once("end", resolve));
    this.current = inflate;
    this.fed = 0;
    return inflate;
  }

  /** Writes `chunk` to the current stream, then starts streams for what each one leaves over. */
  private async feed(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      const inflate = this.current ?? this.start();
      this.fed += rest.length;
      await writeInflating(inflate, rest);
      if (this.failure !== undefined) throw this.failure;
      const left = this.fed - inflate.bytesWritten;
      if (left === 0) return;
      // The stream ended inside this chunk: its output is complete once it emits 'end'.
      inflate.end();
      await this.currentEnded;
      this.current = undefined;
      rest = rest.subarray(rest.length - left);
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.feed(chunk).then(
      () => callback(),
      (e: unknown) => callback(e as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    const inflate = this.current;
    if (inflate === undefined) {
      callback();
      return;
    }
    const failed = once(inflate, "error").then(() => undefined);
    inflate.end();
    // A truncated stream fails its end with an 'error' instead of 'end'.
    void Promise.race([this.currentEnded, failed]).then(() => callback(this.failure));
  }
}

/** Writes `bytes` into a zlib stream, failing on its 'error' (a corrupt stream may never call the write back). */
export function writeInflating(inflate: Writable, bytes: Uint8Array): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    inflate.once("error", onError);
    inflate.write(bytes, () => {
      inflate.off("error", onError);
      resolve();
    });
  });
}

/** A stream that inflates concatenated zlib-format streams (Beam's DEFLATE). */
export function inflateConcatenated(chunkSize = 1 << 16): Transform {
  return new ConcatenatedInflate(chunkSize);
}
