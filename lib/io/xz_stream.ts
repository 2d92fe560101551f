/**
 * .xz decompressed as a stream, with xz-decompress's WebAssembly build of xz-embedded (shipped in
 * the package). Its own `XzReadableStream` allows one stream at a time in the whole process (a
 * second waits for the first to finish, so reading two files at once, one waiting on the other,
 * would hang) and fails on an empty input; so this module drives the WebAssembly decoder itself:
 * any number of decoders at once. The decoder reads concatenated streams (`cat a.xz b.xz`) one
 * after the other (xz-embedded's concatenated mode, which also skips the zero padding the .xz
 * format allows between streams), as Beam Python reads them (a new `LZMADecompressor` for the
 * unused data); it reports the end only once told the input has ended. Memory is the
 * decoder's buffers and the dictionary the stream asks for. Data in the legacy .lzma format ("LZMA alone",
 * which Beam Python's `LZMADecompressor` also accepts; xz-embedded has no decoder for it) is told
 * by its first bytes (not the .xz magic) and decoded by lzma_alone.ts instead.
 *
 * This uses xz-decompress 0.2.3's WebAssembly exports and context layout (pinned): `create_context`
 * returns a context whose first words are the buffer size, the input buffer's address, the input
 * position and size, the output buffer's address and the output position.
 */
import { Transform, type TransformCallback } from "node:stream";
import { CorruptCompressedDataError } from "./compression";
import { isXzMagic, LzmaAloneDecoder } from "./lzma_alone";

interface XzExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  create_context(): number;
  destroy_context(context: number): void;
  supply_input(context: number, length: number): void;
  get_next_output(context: number): number;
}

/** xz-embedded's results (`enum xz_ret`) that are errors, in words. */
const XZ_ERRORS: Readonly<Record<number, string>> = {
  2: "its integrity check type is not supported",
  3: "out of memory",
  4: "it needs more memory than the decoder allows",
  5: "it is not in the .xz format",
  6: "its compression options are not supported",
  7: "its compressed data is corrupt",
  8: "it ends too early (truncated?)",
};
const XZ_OK = 0;
const XZ_STREAM_END = 1;

let xzModule: Promise<XzExports> | undefined;
/** The WebAssembly decoder, instantiated once (asynchronously) through the package. */
function xzExports(): Promise<XzExports> {
  return (xzModule ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { XzReadableStream } = require("xz-decompress") as {
      XzReadableStream: { _moduleInstance?: { readonly exports: unknown }; _moduleInstancePromise?: Promise<void>; _getModuleInstance?: () => Promise<void> };
    };
    const Xz = XzReadableStream;
    if (Xz._moduleInstance === undefined) {
      if (typeof Xz._getModuleInstance !== "function") throw new Error("xz-decompress has changed: this needs xz-decompress 0.2.3");
      await (Xz._moduleInstancePromise ??= Xz._getModuleInstance());
    }
    return Xz._moduleInstance!.exports as unknown as XzExports;
  })());
}

/** One xz-embedded decoder (one .xz stream). */
class XzDecoder {
  private readonly context: number;
  readonly bufferSize: number;
  private readonly inAddress: number;
  private readonly outAddress: number;

  constructor(private readonly xz: XzExports) {
    this.context = xz.create_context();
    const words = this.words();
    this.bufferSize = words[0]!;
    this.inAddress = words[1]!;
    this.outAddress = words[4]!;
  }

  /** The context's words (a new view each time: the memory's buffer changes when it grows). */
  private words(): Uint32Array {
    return new Uint32Array(this.xz.memory.buffer, this.context, 6);
  }

  hasInput(): boolean {
    const w = this.words();
    return w[2]! < w[3]!;
  }

  /** Gives the decoder `data` (at most `bufferSize` bytes), after what it has decoded; empty: the input has ended. */
  supply(data: Uint8Array): void {
    new Uint8Array(this.xz.memory.buffer, this.inAddress, data.length).set(data);
    this.xz.supply_input(this.context, data.length);
  }

  /** Decodes what it can: its output, whether the output buffer filled, and whether the stream ended. */
  run(): { output: Buffer; full: boolean; end: boolean } {
    const result = this.xz.get_next_output(this.context);
    if (result !== XZ_OK && result !== XZ_STREAM_END) {
      throw new CorruptCompressedDataError(`xz: ${XZ_ERRORS[result] ?? "decoding failed"} (xz error ${result})`);
    }
    const w = this.words();
    const length = w[5]!;
    const output = Buffer.from(new Uint8Array(this.xz.memory.buffer, this.outAddress, length));
    w[5] = 0;
    return { output, full: length === this.bufferSize, end: result === XZ_STREAM_END };
  }

  dispose(): void {
    this.xz.destroy_context(this.context);
  }
}

class UnxzStream extends Transform {
  private xz: XzExports | undefined;
  private decoder: XzDecoder | undefined;
  private pending: Buffer[] = [];
  private outputFull = false;
  /** Set when the data is in the legacy .lzma format (told by its first bytes, as liblzma's FORMAT_AUTO tells it). */
  private legacy: LzmaAloneDecoder | undefined;
  /** Whether the first bytes have told the format. */
  private sniffed = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    if (!this.sniff(false)) return callback();
    if (this.legacy !== undefined) return callback(this.legacyStep(false));
    this.ready().then(() => callback(this.step(false)), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.sniff(true);
    if (this.legacy !== undefined) return callback(this.legacyStep(true));
    this.ready().then(() => callback(this.step(true)), callback);
  }

  /** Tells .xz from legacy .lzma by the first six bytes (the .xz magic); false: too few bytes yet. */
  private sniff(ended: boolean): boolean {
    if (this.sniffed) return true;
    const head = Buffer.concat(this.pending);
    if (head.length < 6 && !ended) return false;
    this.sniffed = true;
    this.pending = head.length > 0 ? [head] : [];
    if (head.length > 0 && !isXzMagic(head)) this.legacy = new LzmaAloneDecoder((b) => this.push(b));
    return true;
  }

  private legacyStep(ended: boolean): Error | null {
    try {
      for (const chunk of this.pending.splice(0)) this.legacy!.write(chunk);
      if (ended) this.legacy!.end();
      return null;
    } catch (e) {
      return e instanceof CorruptCompressedDataError ? e : new CorruptCompressedDataError(`lzma: ${(e as Error).message}`, { cause: e });
    }
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.decoder?.dispose();
    this.decoder = undefined;
    callback(error);
  }

  private async ready(): Promise<void> {
    this.xz ??= await xzExports();
  }

  private step(ended: boolean): Error | null {
    try {
      this.decode(ended);
      return null;
    } catch (e) {
      this.decoder?.dispose();
      this.decoder = undefined;
      return e instanceof CorruptCompressedDataError ? e : new CorruptCompressedDataError(`xz: ${(e as Error).message}`, { cause: e });
    }
  }

  private decode(ended: boolean): void {
    let finishing = false;
    for (;;) {
      if (!this.outputFull && (this.decoder === undefined || !this.decoder.hasInput())) {
        const next = this.pending.shift();
        if (next === undefined) {
          if (!ended || this.decoder === undefined) return;
          // The input has ended: an empty input tells the decoder so (it reports the end of the
          // last stream only then, as it reads concatenated streams itself).
          if (finishing) throw new CorruptCompressedDataError("xz: the data ends inside a stream (truncated?)");
          finishing = true;
          this.decoder.supply(new Uint8Array(0));
        } else if (next.length === 0) {
          continue;
        } else {
          this.decoder ??= new XzDecoder(this.xz!);
          const size = this.decoder.bufferSize;
          if (next.length > size) this.pending.unshift(next.subarray(size));
          this.decoder.supply(next.subarray(0, size));
        }
      }
      const decoder = this.decoder!;
      const { output, full, end } = decoder.run();
      if (output.length > 0) this.push(output);
      this.outputFull = full;
      if (end) {
        // Reported only once told the input has ended (it reads concatenated streams itself).
        decoder.dispose();
        this.decoder = undefined;
        this.outputFull = false;
        return;
      }
    }
  }
}

/** A stream that decompresses .xz data (one or more concatenated streams), or legacy .lzma data (lzma_alone.ts). */
export function unxzStream(): Transform {
  return new UnxzStream();
}
