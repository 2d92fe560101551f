/**
 * GETs of large JSON bodies (pages of rows) through a client object of `@google-cloud/bigquery`,
 * with the client's auth, endpoint, retries and request timeouts (its stream mode), but decoding
 * the body here. The client's callback mode decodes every body with `TextDecoder`, which on Node 20
 * takes ~6 ns a byte: ~30 ms of the pipeline's thread for a page of 2,000 MNIST rows (4.6 MB), as
 * much as parsing the rows' images. A body that is all ASCII (BigQuery's JSON is, unless the data
 * is not) is read as Latin-1, which is a copy; anything else is decoded as UTF-8.
 */
import { isAscii } from "node:buffer";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { BigQuery, Table } from "@google-cloud/bigquery";

const gunzipAsync = promisify(gunzip);

/** What the client's stream mode emits as `response` (teeny-request's response). */
interface StreamResponse {
  readonly statusCode: number;
  readonly statusMessage?: string;
  readonly headers?: Record<string, string | undefined>;
}

/** Client objects that can stream a REST request relative to their own URL. */
interface StreamRequester {
  requestStream(options: { uri: string; qs?: Record<string, unknown>; headers?: Record<string, string> }): NodeJS.ReadableStream;
}

/** An HTTP error in the shape the client gives its own (`code`, `errors`), so ../gcp/errors classifies it alike. */
export class BigQueryHttpError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly errors: readonly { readonly reason?: string; readonly message?: string }[],
  ) {
    super(message);
    this.name = "BigQueryHttpError";
  }
}

/** A response body as JSON: inflated if gzip, read as Latin-1 when all ASCII, else as UTF-8. */
export async function decodeJsonBody(body: Buffer, contentEncoding: string | undefined): Promise<unknown> {
  const encoding = (contentEncoding ?? "identity").trim().toLowerCase();
  let bytes = body;
  if (encoding === "gzip" || encoding === "x-gzip") bytes = await gunzipAsync(body);
  else if (encoding !== "identity" && encoding !== "") throw new Error(`the response is encoded as ${contentEncoding}, which was not asked for (only gzip is)`);
  return JSON.parse(isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8"));
}

/** The error a non-2xx response stands for, from its JSON body (`{error: {code, message, errors}}`) when it has one. */
function httpError(response: StreamResponse, body: unknown): BigQueryHttpError {
  const error = typeof body === "object" && body !== null ? (body as { error?: { message?: unknown; errors?: unknown } }).error : undefined;
  const message = typeof error?.message === "string" ? error.message : `HTTP ${response.statusCode}${response.statusMessage ? ` ${response.statusMessage}` : ""}`;
  const errors = Array.isArray(error?.errors) ? (error.errors as { reason?: string; message?: string }[]) : [];
  return new BigQueryHttpError(message, response.statusCode, errors);
}

/** GETs `uri` (relative to `target`'s URL) and resolves with its JSON body; rejects as the client would on an HTTP error. */
export function rawGetLarge<T>(target: BigQuery | Table, options: { uri: string; qs?: Record<string, unknown> }): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // The client's stream mode does not ask for compression itself; gzip is what its callback mode asks for.
    const stream = (target as unknown as StreamRequester).requestStream({ ...options, headers: { "Accept-Encoding": "gzip" } });
    let response: StreamResponse | undefined;
    const chunks: Buffer[] = [];
    stream.on("response", (r: StreamResponse) => (response = r));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("end", () => {
      if (response === undefined) return reject(new Error(`the request for ${options.uri} ended without a response`));
      const r = response;
      const ok = r.statusCode >= 200 && r.statusCode <= 299;
      decodeJsonBody(Buffer.concat(chunks), r.headers?.["content-encoding"]).then(
        (body) => (ok ? resolve(body as T) : reject(httpError(r, body))),
        (e: unknown) => reject(ok ? new Error(`the response to ${options.uri} is not JSON: ${e instanceof Error ? e.message : String(e)}`) : httpError(r, undefined)),
      );
    });
  });
}
