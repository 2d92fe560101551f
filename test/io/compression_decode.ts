/** Test helper shared by the compression tests: feeds compressed bytes to a decoder piece by piece. */
import { decompressing, type FileCompression } from "../../lib/io/compression";

/**
 * The bytes `compression` decodes from `data`, written to the decoder in `chunk`-byte pieces, and
 * how many of them had come out when three quarters of the input had gone in (a streaming decoder
 * gives output before the end).
 */
export async function decode(data: Buffer, compression: FileCompression, chunk = 1 << 16): Promise<{ output: Buffer; early: number }> {
  const stream = decompressing(compression)!;
  const parts: Buffer[] = [];
  stream.on("data", (b: Buffer) => parts.push(b));
  const done = new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  // A failing write rejects first, and the stream's 'error' then rejects `done` unawaited.
  done.catch(() => undefined);
  let early = -1;
  for (let at = 0; at < data.length; at += chunk) {
    if (early < 0 && at >= (data.length * 3) / 4) early = parts.reduce((n, b) => n + b.length, 0);
    await new Promise<void>((resolve, reject) => stream.write(data.subarray(at, at + chunk), (err) => (err ? reject(err) : resolve())));
  }
  stream.end();
  await done;
  return { output: Buffer.concat(parts), early };
}
