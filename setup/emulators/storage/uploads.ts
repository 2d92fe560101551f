/**
 * The three upload protocols of `POST /upload/storage/v1/b/{bucket}/o`: `media` (raw body),
 * `multipart` (JSON metadata part + data part) and `resumable` (a session started by POST, fed by
 * PUTs to the returned Location, answered with 308 until the last byte arrives).
 *
 * Media and resumable bodies stream straight into the object's blob (a file with `--data_dir`),
 * checksummed on the way; only a multipart body is held in memory to be split. Every upload is
 * capped at `maxObjectBytes`.
 */
import { randomUUID } from "node:crypto";
import { httpErrors, readBody, readBodyChunks, type ParsedRequest } from "../common/http";
import { asObject, optString, optStringMap, type JsonObject } from "../common/json_fields";
import { parseMultipart } from "../common/multipart";
import { preconditionsFrom, type ObjectMetadataInput, type StorageStore, type StoredObject, type UploadSession } from "./store";

interface UploadMetadata extends ObjectMetadataInput {
  name?: string;
}

/** What a resumable PUT produced: more bytes wanted (308), or the finished object. */
export type ResumableOutcome = { done: false; received: number } | { done: true; object: StoredObject };

function metadataFromJson(json: JsonObject): UploadMetadata {
  const meta: UploadMetadata = {};
  for (const field of ["name", "contentType", "contentEncoding", "contentDisposition", "contentLanguage", "cacheControl"] as const) {
    const value = optString(json, field);
    if (value !== undefined) meta[field] = value;
  }
  const metadata = optStringMap(json, "metadata", true);
  if (metadata !== undefined) meta.metadata = metadata;
  return meta;
}

function parseJsonPart(body: Buffer): JsonObject {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw httpErrors.invalid(`Invalid JSON in upload metadata: ${(e as Error).message}`, "parseError");
  }
  return asObject(parsed, "upload metadata");
}

export class UploadHandler {
  constructor(
    private readonly store: StorageStore,
    /** The largest object an upload may create. */
    private readonly maxObjectBytes: number,
  ) {}

  /** `uploadType=media`: the body is the object's bytes; the name comes from the query. */
  async media(bucket: string, request: ParsedRequest): Promise<StoredObject> {
    const name = request.query.get("name");
    if (!name) throw httpErrors.invalid("Upload requires the 'name' query parameter", "required");
    const pre = preconditionsFrom(request.query);
    this.store.checkWritable(bucket, name, pre);
    const writer = this.store.blobs.create();
    try {
      await readBodyChunks(request.req, this.maxObjectBytes, (chunk) => writer.append(chunk));
    } catch (e) {
      writer.discard();
      throw e;
    }
    return this.store.writeObject(bucket, name, writer.finish(), { contentType: request.req.headers["content-type"] }, pre);
  }

  /** `uploadType=multipart`: first part object metadata JSON, second part the bytes (binary). */
  async multipart(bucket: string, request: ParsedRequest): Promise<StoredObject> {
    this.store.getBucket(bucket);
    // The data part plus a little room for the metadata part and the boundaries.
    const body = await readBody(request.req, this.maxObjectBytes + 64 * 1024);
    const parts = parseMultipart(body, request.req.headers["content-type"]);
    if (parts.length < 2) throw httpErrors.invalid(`Multipart upload needs a metadata part and a data part, got ${parts.length} part(s)`);
    const meta = metadataFromJson(parseJsonPart(parts[0].body));
    const name = request.query.get("name") || meta.name;
    if (!name) throw httpErrors.invalid("Upload requires an object name (query 'name' or metadata 'name')", "required");
    if (!meta.contentType) meta.contentType = parts[1].headers["content-type"];
    if (parts[1].body.length > this.maxObjectBytes) throw httpErrors.payloadTooLarge(this.maxObjectBytes);
    return this.store.writeObjectBytes(bucket, name, parts[1].body, meta, preconditionsFrom(request.query));
  }

  /** Starts a resumable session; returns the upload URL for the `Location` header. */
  async startResumable(bucket: string, request: ParsedRequest): Promise<string> {
    this.store.getBucket(bucket);
    const meta = metadataFromJson(parseJsonPart(await readBody(request.req)));
    const name = request.query.get("name") || meta.name;
    if (!name) throw httpErrors.invalid("Upload requires an object name (query 'name' or metadata 'name')", "required");
    const headerType = request.req.headers["x-upload-content-type"];
    if (!meta.contentType && typeof headerType === "string") meta.contentType = headerType;
    delete meta.name;
    const declared = Number(request.req.headers["x-upload-content-length"] ?? 0);
    if (declared > this.maxObjectBytes) throw httpErrors.payloadTooLarge(this.maxObjectBytes);
    const pre = preconditionsFrom(request.query);
    this.store.checkWritable(bucket, name, pre);
    const id = randomUUID().replace(/-/g, "");
    this.store.addUpload({ id, bucket, name, meta, pre, writer: this.store.blobs.create(id) });
    const params = new URLSearchParams({ uploadType: "resumable", name, upload_id: id });
    return `${request.baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?${params.toString()}`;
  }

  /**
   * A PUT to a session. `Content-Range` forms: `bytes a-b/N` (chunk; final when b+1 = N),
   * `bytes a-b/*` (more to come), `bytes 0-* / *` (the Node client's single streamed chunk: the end of
   * the body is the end of the object), `bytes * /N` or `bytes * / *` with no body (status query).
   */
  async putResumable(uploadId: string, request: ParsedRequest): Promise<ResumableOutcome> {
    const session = this.store.getUpload(uploadId);
    if (!session) throw httpErrors.notFound(`No such resumable upload session: ${uploadId}`);
    if (session.result) return { done: true, object: session.result };
    const range = parseContentRange(request.req.headers["content-range"]);
    if (range.kind === "query") {
      if (range.total !== undefined && range.total === session.writer.size) return this.finish(session);
      return { done: false, received: session.writer.size };
    }
    const start = range.kind === "chunk" ? range.start : session.writer.size;
    if (start > session.writer.size) {
      throw httpErrors.invalid(`Resumable upload ${uploadId}: chunk starts at ${start} but only ${session.writer.size} bytes were received`);
    }
    // A retried chunk may overlap what we already have: keep only the new tail.
    let skip = session.writer.size - start;
    await readBodyChunks(request.req, this.maxObjectBytes - start, (chunk) => {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        return;
      }
      session.writer.append(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
    });
    if (range.kind === "chunk" && (range.total === undefined || session.writer.size < range.total)) return { done: false, received: session.writer.size };
    // A final chunk, or an open-ended ("0-*") / range-less body: the upload is complete.
    return this.finish(session);
  }

  cancel(uploadId: string): void {
    if (!this.store.removeUpload(uploadId)) throw httpErrors.notFound(`No such resumable upload session: ${uploadId}`);
  }

  private finish(session: UploadSession): ResumableOutcome {
    let object: StoredObject;
    try {
      object = this.store.writeObject(session.bucket, session.name, session.writer.finish(), session.meta, session.pre);
    } catch (e) {
      // A failed precondition ends the session, as on the real service.
      this.store.removeUpload(session.id);
      throw e;
    }
    // The session stays, finished, so a repeated final PUT or a status query gets the object.
    this.store.finishUpload(session.id, object);
    return { done: true, object };
  }
}

type ContentRange = { kind: "query"; total?: number } | { kind: "chunk"; start: number; total?: number } | { kind: "open" };

function parseContentRange(header: string | undefined): ContentRange {
  if (header === undefined || header === "") return { kind: "open" };
  const match = /^bytes (\*|(\d+)-(\d+|\*))\/(\*|\d+)$/.exec(header.trim());
  if (!match) throw httpErrors.invalid(`Invalid Content-Range: ${header}`);
  const total = match[4] === "*" ? undefined : Number(match[4]);
  if (match[1] === "*") return { kind: "query", total };
  if (match[3] === "*") return { kind: "open" };
  return { kind: "chunk", start: Number(match[2]), total };
}
