/**
 * A parser for the `multipart/related` bodies that the GCS (multipart upload) and BigQuery (load
 * job upload) clients send: a JSON metadata part followed by a binary data part. Parts are kept as
 * Buffers because the data part is arbitrary bytes, not UTF-8.
 */
import { httpErrors } from "./http";

export interface MultipartPart {
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Buffer;
}

/** Extracts the boundary from a `Content-Type` such as `multipart/related; boundary="abc"`. */
export function multipartBoundary(contentType: string | undefined): string {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw httpErrors.invalid(`Expected a multipart Content-Type with a boundary, got: ${contentType ?? "(none)"}`);
  return boundary;
}

export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartPart[] {
  const delimiter = Buffer.from(`--${multipartBoundary(contentType)}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw httpErrors.invalid("Multipart body has no boundary delimiter");
  for (;;) {
    pos += delimiter.length;
    // `--` right after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const headerEnd = body.indexOf("\r\n\r\n", pos);
    if (headerEnd < 0) throw httpErrors.invalid("Malformed multipart part: no end of headers");
    const headers: Record<string, string> = {};
    for (const line of body.subarray(pos, headerEnd).toString("utf8").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const contentStart = headerEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), contentStart);
    if (next < 0) {
      // Tolerate a missing closing delimiter: the rest is the last part's content.
      parts.push({ headers, body: body.subarray(contentStart) });
      break;
    }
    parts.push({ headers, body: body.subarray(contentStart, next) });
    pos = next + 2;
  }
  return parts;
}
