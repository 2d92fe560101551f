/**
 * The three upload protocols of `POST /upload/storage/v1/b/{bucket}/o`: `media` (raw body),
 * `multipart` (JSON metadata part + data part) and `resumable` (a session started by POST, fed by
 * PUTs to the returned Location, answered with 308 until the last byte arrives).
 */
import { randomUUID } from "node:crypto";
import { HttpError, httpErrors, type ParsedRequest } from "../common/http";
import { parseMultipart } from "../common/multipart";
import { preconditionsFrom, type ObjectMetadataInput, type Preconditions, type StorageStore, type StoredObject } from "./store";

interface UploadMetadata extends ObjectMetadataInput {
  name?: string;
}

interface ResumableSession {
  bucket: string;
  name: string;
  meta: ObjectMetadataInput;
  pre: Preconditions;
  chunks: Buffer[];
  received: number;
  /** Set once the last chunk arrived, so a later status query can return the object again. */
  result?: StoredObject;
}

/** What a resumable PUT produced: more bytes wanted (308), or the finished object. */
export type ResumableOutcome = { done: false; received: number } | { done: true; object: StoredObject };

function metadataFromJson(json: Record<string, unknown>): UploadMetadata {
  const meta: UploadMetadata = {};
  for (const field of ["name", "contentType", "contentEncoding", "contentDisposition", "contentLanguage", "cacheControl"] as const) {
    const value = json[field];
    if (typeof value === "string") meta[field] = value;
  }
  if (json.metadata && typeof json.metadata === "object") meta.metadata = json.metadata as Record<string, string>;
  return meta;
}

function parseJsonPart(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  } catch (e) {
    throw httpErrors.invalid(`Invalid JSON in upload metadata: ${(e as Error).message}`, "parseError");
  }
}

export class UploadHandler {
  private readonly sessions = new Map<string, ResumableSession>();

  constructor(private readonly store: StorageStore) {}

  /** `uploadType=media`: the body is the object's bytes; the name comes from the query. */
  media(bucket: string, request: ParsedRequest, body: Buffer): StoredObject {
    const name = request.query.get("name");
    if (!name) throw httpErrors.invalid("Upload requires the 'name' query parameter", "required");
    const contentType = request.req.headers["content-type"];
    return this.store.writeObject(bucket, name, body, { contentType }, preconditionsFrom(request.query));
  }

  /** `uploadType=multipart`: first part object metadata JSON, second part the bytes (binary). */
  multipart(bucket: string, request: ParsedRequest, body: Buffer): StoredObject {
    const parts = parseMultipart(body, request.req.headers["content-type"]);
    if (parts.length < 2) throw httpErrors.invalid(`Multipart upload needs a metadata part and a data part, got ${parts.length} part(s)`);
    const meta = metadataFromJson(parseJsonPart(parts[0].body));
    const name = request.query.get("name") || meta.name;
    if (!name) throw httpErrors.invalid("Upload requires an object name (query 'name' or metadata 'name')", "required");
    if (!meta.contentType) meta.contentType = parts[1].headers["content-type"];
    return this.store.writeObject(bucket, name, parts[1].body, meta, preconditionsFrom(request.query));
  }

  /** Starts a resumable session; returns the upload URL for the `Location` header. */
  startResumable(bucket: string, request: ParsedRequest, body: Buffer): string {
    this.store.getBucket(bucket);
    const meta = metadataFromJson(parseJsonPart(body));
    const name = request.query.get("name") || meta.name;
    if (!name) throw httpErrors.invalid("Upload requires an object name (query 'name' or metadata 'name')", "required");
    const headerType = request.req.headers["x-upload-content-type"];
    if (!meta.contentType && typeof headerType === "string") meta.contentType = headerType;
    const id = randomUUID();
    this.sessions.set(id, { bucket, name, meta, pre: preconditionsFrom(request.query), chunks: [], received: 0 });
    const params = new URLSearchParams({ uploadType: "resumable", name, upload_id: id });
    return `${request.baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?${params.toString()}`;
  }

  /**
   * A PUT to a session. `Content-Range` forms: `bytes a-b/N` (chunk; final when b+1 = N),
   * `bytes a-b/*` (more to come), `bytes 0-* / *` (the Node client's single streamed chunk: the end of
   * the body is the end of the object), `bytes * /N` or `bytes * / *` with no body (status query).
   */
  putResumable(uploadId: string, contentRange: string | undefined, body: Buffer): ResumableOutcome {
    const session = this.sessions.get(uploadId);
    if (!session) throw httpErrors.notFound(`No such resumable upload session: ${uploadId}`);
    if (session.result) return { done: true, object: session.result };

    const range = parseContentRange(contentRange);
    if (range.kind === "query") {
      if (range.total !== undefined && range.total === session.received) return this.finish(uploadId, session);
      return { done: false, received: session.received };
    }
    if (range.kind === "chunk") {
      if (range.start > session.received) {
        throw httpErrors.invalid(`Resumable upload ${uploadId}: chunk starts at ${range.start} but only ${session.received} bytes were received`);
      }
      // A retried chunk may overlap what we already have: keep only the new tail.
      const fresh = body.subarray(session.received - range.start);
      session.chunks.push(fresh);
      session.received += fresh.length;
      if (range.total === undefined) return { done: false, received: session.received };
      if (session.received >= range.total) return this.finish(uploadId, session);
      return { done: false, received: session.received };
    }
    // Open-ended ("0-*") or no Content-Range: this body completes the upload.
    session.chunks.push(body);
    session.received += body.length;
    return this.finish(uploadId, session);
  }

  cancel(uploadId: string): void {
    if (!this.sessions.delete(uploadId)) throw httpErrors.notFound(`No such resumable upload session: ${uploadId}`);
  }

  private finish(uploadId: string, session: ResumableSession): ResumableOutcome {
    try {
      session.result = this.store.writeObject(session.bucket, session.name, Buffer.concat(session.chunks), session.meta, session.pre);
    } catch (e) {
      // A failed precondition ends the session, as on the real service.
      if (e instanceof HttpError) this.sessions.delete(uploadId);
      throw e;
    }
    session.chunks = [];
    return { done: true, object: session.result };
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
