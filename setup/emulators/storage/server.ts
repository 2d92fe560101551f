/**
 * Cloud Storage JSON API emulator. Serves JSON calls both under `/storage/v1` (clients given
 * `apiEndpoint`) and at the root (clients given `STORAGE_EMULATOR_HOST`, which drops the prefix),
 * uploads under `/upload/storage/v1`, and media downloads (`alt=media`, or `/download/storage/v1`).
 */
import { FaultInjector } from "../common/faults";
import { HttpError, httpErrors, intParam, parseJsonBody, readBody, sendJson, startRestartableServer, stripPrefix, type ParsedRequest, type RestEmulatorHandle } from "../common/http";
import { asObject, optArray, optInt64Text, optObject, optString, optStringMap, type JsonObject } from "../common/json_fields";
import { listObjectsPage } from "./listing";
import { bucketResource, objectResource } from "./resources";
import { preconditionsFrom, StorageStore, type ObjectMetadataInput, type StoredObject } from "./store";
import { UploadHandler } from "./uploads";

/** Default cap on an uploaded object (the real service allows 5 TiB; the emulator is for tests). */
export const DEFAULT_MAX_OBJECT_BYTES = 1024 * 1024 * 1024;

/** Options of the Cloud Storage emulator. */
export interface StorageEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Persist buckets and objects here; in memory only when absent. */
  dataDir?: string;
  /** The largest object an upload may create (default 1 GiB). */
  maxObjectBytes?: number;
  /** Fault injection rules and request counts (a new injector when absent). */
  faults?: FaultInjector;
}

/** The Cloud Storage emulator; `endpoint` is the value for `apiEndpoint` and `STORAGE_EMULATOR_HOST`. */
export type StorageEmulator = RestEmulatorHandle;

/** Starts a Cloud Storage emulator (the JSON API, with resumable uploads) on 127.0.0.1. */
export async function startStorageEmulator(options: StorageEmulatorOptions = {}): Promise<StorageEmulator> {
  const maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  return startRestartableServer(options.port ?? 0, options.faults ?? new FaultInjector(), () => {
    const store = new StorageStore(options.dataDir);
    const uploads = new UploadHandler(store, maxObjectBytes);
    return { handler: (request) => route(store, uploads, request), close: () => store.close() };
  });
}

async function route(store: StorageStore, uploads: UploadHandler, request: ParsedRequest): Promise<void> {
  const { method, segments } = request;
  if (segments[0] === "upload") return routeUpload(uploads, request, stripPrefix(segments, ["upload", "storage", "v1"]));
  if (segments[0] === "download") {
    const path = stripPrefix(segments, ["download", "storage", "v1"]);
    if (method === "GET" && path[0] === "b" && path[2] === "o" && path.length >= 4) {
      await request.operation("storage.objects.get");
      return downloadObject(store, request, path[1], path.slice(3).join("/"));
    }
  }
  const path = stripPrefix(segments, ["storage", "v1"]);
  if (path[0] !== "b") throw httpErrors.notFound(`Unknown Cloud Storage path: ${request.req.url ?? ""}`);
  if (path.length === 1) return routeBuckets(store, request);
  const bucket = path[1];
  if (path.length === 2) return routeBucket(store, request, bucket);
  if (path[2] !== "o") throw httpErrors.notFound(`Unknown Cloud Storage path: ${request.req.url ?? ""}`);
  if (path.length === 3) {
    if (method === "GET") {
      await request.operation("storage.objects.list");
      return listObjects(store, request, bucket);
    }
    if (method === "POST") {
      await request.operation("storage.objects.insert");
      return routeUploadBody(uploads, request, bucket);
    }
    throw methodNotAllowed(request);
  }
  return routeObject(store, request, bucket, path.slice(3));
}

function methodNotAllowed(request: ParsedRequest): HttpError {
  return new HttpError(405, "methodNotAllowed", `Method ${request.method} is not allowed on ${request.req.url ?? ""}`);
}

async function routeBuckets(store: StorageStore, request: ParsedRequest): Promise<void> {
  if (request.method === "GET") {
    await request.operation("storage.buckets.list");
    const buckets = store.listBuckets(request.query.get("prefix") ?? "");
    return sendJson(request.res, 200, { kind: "storage#buckets", items: buckets.map((b) => bucketResource(b, request.baseUrl)) });
  }
  if (request.method === "POST") {
    await request.operation("storage.buckets.insert");
    const body = parseJsonBody(await readBody(request.req));
    const name = optString(body, "name");
    if (name === undefined) throw httpErrors.invalid("Bucket name is required", "required");
    const labels = optStringMap(body, "labels", false) as Record<string, string> | undefined;
    const bucket = store.createBucket(name, optString(body, "location"), optString(body, "storageClass"), labels);
    return sendJson(request.res, 200, bucketResource(bucket, request.baseUrl));
  }
  throw methodNotAllowed(request);
}

async function routeBucket(store: StorageStore, request: ParsedRequest, name: string): Promise<void> {
  switch (request.method) {
    case "GET":
      await request.operation("storage.buckets.get");
      return sendJson(request.res, 200, bucketResource(store.getBucket(name), request.baseUrl));
    case "PATCH":
    case "PUT": {
      await request.operation(request.method === "PATCH" ? "storage.buckets.patch" : "storage.buckets.update");
      const body = parseJsonBody(await readBody(request.req));
      const bucket = store.patchBucket(name, { labels: optStringMap(body, "labels", true), storageClass: optString(body, "storageClass") });
      return sendJson(request.res, 200, bucketResource(bucket, request.baseUrl));
    }
    case "DELETE":
      await request.operation("storage.buckets.delete");
      store.deleteBucket(name);
      request.res.writeHead(204).end();
      return;
    default:
      throw methodNotAllowed(request);
  }
}

function listObjects(store: StorageStore, request: ParsedRequest, bucket: string): void {
  const q = request.query;
  const page = listObjectsPage(store.listObjects(bucket), {
    prefix: q.get("prefix") ?? "",
    delimiter: q.get("delimiter") ?? "",
    startOffset: q.get("startOffset") ?? undefined,
    endOffset: q.get("endOffset") ?? undefined,
    matchGlob: q.get("matchGlob") ?? undefined,
    includeTrailingDelimiter: q.get("includeTrailingDelimiter") === "true",
    maxResults: intParam(q, "maxResults") || 1000,
    pageToken: q.get("pageToken") || undefined,
  });
  const body: Record<string, unknown> = { kind: "storage#objects", items: page.items.map((o) => objectResource(o, request.baseUrl)) };
  if (page.prefixes.length > 0) body.prefixes = page.prefixes;
  if (page.nextPageToken) body.nextPageToken = page.nextPageToken;
  sendJson(request.res, 200, body);
}

/** Object routes: `o/{name}`, `o/{name}/compose`, `o/{src}/rewriteTo|copyTo/b/{bucket}/o/{dst}`, `o/{src}/moveTo/o/{dst}`. */
async function routeObject(store: StorageStore, request: ParsedRequest, bucket: string, rest: string[]): Promise<void> {
  const { method } = request;
  const actionAt = rest.findIndex((s, i) => i > 0 && (s === "rewriteTo" || s === "copyTo" || s === "moveTo"));
  if (method === "POST" && actionAt > 0) {
    const source = rest.slice(0, actionAt).join("/");
    const target = rest.slice(actionAt + 1);
    const action = rest[actionAt];
    await request.operation(action === "moveTo" ? "storage.objects.move" : action === "rewriteTo" ? "storage.objects.rewrite" : "storage.objects.copy");
    if (action === "moveTo") {
      if (target[0] !== "o" || target.length < 2) throw httpErrors.invalid("moveTo expects o/{destinationObject}");
      return copyObject(store, request, bucket, source, bucket, target.slice(1).join("/"), "move");
    }
    if (target[0] !== "b" || target[2] !== "o" || target.length < 4) throw httpErrors.invalid(`${action} expects b/{bucket}/o/{object}`);
    return copyObject(store, request, bucket, source, target[1], target.slice(3).join("/"), action === "rewriteTo" ? "rewrite" : "copy");
  }
  if (method === "POST" && rest.length > 1 && rest[rest.length - 1] === "compose") {
    await request.operation("storage.objects.compose");
    return composeObject(store, request, bucket, rest.slice(0, -1).join("/"));
  }
  const name = rest.join("/");
  switch (method) {
    case "GET":
    case "HEAD":
      await request.operation("storage.objects.get");
      if (request.query.get("alt") === "media") return downloadObject(store, request, bucket, name);
      return sendJson(request.res, 200, objectResource(store.getObject(bucket, name, request.query.get("generation") ?? undefined), request.baseUrl));
    case "PATCH":
    case "PUT": {
      await request.operation(method === "PATCH" ? "storage.objects.patch" : "storage.objects.update");
      const patch = metadataInput(parseJsonBody(await readBody(request.req)), "");
      const object = store.patchObject(bucket, name, patch, preconditionsFrom(request.query));
      return sendJson(request.res, 200, objectResource(object, request.baseUrl));
    }
    case "DELETE":
      await request.operation("storage.objects.delete");
      store.deleteObject(bucket, name, preconditionsFrom(request.query));
      request.res.writeHead(204).end();
      return;
    default:
      throw methodNotAllowed(request);
  }
}

/**
 * Object metadata a client sent (PATCH body, copy overrides, compose destination), type-checked.
 * A `null` (or "") field is kept as null: PATCH removes it.
 */
function metadataInput(body: JsonObject, where: string): ObjectMetadataInput {
  const out: ObjectMetadataInput = {};
  for (const field of ["contentType", "contentEncoding", "contentDisposition", "contentLanguage", "cacheControl"] as const) {
    if (body[field] === null) (out as Record<string, unknown>)[field] = null;
    else {
      const value = optString(body, field, `${where}${field}`);
      if (value !== undefined) out[field] = value;
    }
  }
  if (body.metadata === null) out.metadata = null;
  else {
    const metadata = optStringMap(body, "metadata", true, `${where}metadata`);
    if (metadata !== undefined) out.metadata = metadata;
  }
  return out;
}

/** copyTo / rewriteTo / moveTo. Rewrites finish in one call (`done: true`, no rewriteToken). */
async function copyObject(store: StorageStore, request: ParsedRequest, srcBucket: string, srcName: string, dstBucket: string, dstName: string, mode: "copy" | "rewrite" | "move"): Promise<void> {
  const overrides = metadataInput(parseJsonBody(await readBody(request.req)), "");
  const source = store.getObject(srcBucket, srcName, request.query.get("sourceGeneration") ?? undefined);
  const pre = preconditionsFrom(request.query);
  store.checkWritable(dstBucket, dstName, pre);
  const meta = { ...inheritedMetadata(source), ...definedOnly(overrides) };
  const blob = { id: store.blobs.copy(source.blob), size: source.size, crc32c: source.crc32c, md5Hash: source.md5Hash };
  const object = store.writeObject(dstBucket, dstName, blob, meta, pre);
  if (mode === "move") store.deleteObject(srcBucket, srcName);
  const resource = objectResource(object, request.baseUrl);
  if (mode !== "rewrite") return sendJson(request.res, 200, resource);
  const size = String(object.size);
  sendJson(request.res, 200, { kind: "storage#rewriteResponse", totalBytesRewritten: size, objectSize: size, done: true, resource });
}

async function composeObject(store: StorageStore, request: ParsedRequest, bucket: string, destination: string): Promise<void> {
  const body = parseJsonBody(await readBody(request.req));
  const sources = optArray(body, "sourceObjects");
  if (sources === undefined || sources.length === 0) throw httpErrors.invalid("compose requires at least one sourceObjects entry", "required");
  if (sources.length > 32) throw httpErrors.invalid(`compose accepts at most 32 source objects, got ${sources.length}`);
  const parts = sources.map((raw, i) => {
    const source = asObject(raw, `sourceObjects[${i}]`);
    const name = optString(source, "name", `sourceObjects[${i}].name`);
    if (name === undefined) throw httpErrors.invalid(`sourceObjects[${i}] needs a name`, "required");
    return store.getObject(bucket, name, optInt64Text(source, "generation", `sourceObjects[${i}].generation`));
  });
  const destMeta = definedOnly(metadataInput(optObject(body, "destination") ?? {}, "destination."));
  const meta: ObjectMetadataInput = { contentType: parts[0].contentType, ...destMeta };
  const components = parts.reduce((n, p) => n + (p.componentCount ?? 1), 0);
  const pre = preconditionsFrom(request.query);
  store.checkWritable(bucket, destination, pre);
  const writer = store.blobs.create();
  try {
    for (const part of parts) {
      for (let offset = 0; offset < part.size; offset += COPY_CHUNK_BYTES) writer.append(store.blobs.read(part.blob, offset, Math.min(part.size, offset + COPY_CHUNK_BYTES)));
    }
  } catch (e) {
    writer.discard();
    throw e;
  }
  const object = store.writeObject(bucket, destination, writer.finish(), meta, pre, components);
  sendJson(request.res, 200, objectResource(object, request.baseUrl));
}

/** Compose copies its sources through memory this much at a time. */
const COPY_CHUNK_BYTES = 8 * 1024 * 1024;

function inheritedMetadata(object: StoredObject): ObjectMetadataInput {
  return {
    contentType: object.contentType,
    contentEncoding: object.contentEncoding,
    contentDisposition: object.contentDisposition,
    contentLanguage: object.contentLanguage,
    cacheControl: object.cacheControl,
    metadata: object.metadata,
  };
}

function definedOnly(meta: ObjectMetadataInput): ObjectMetadataInput {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) if (v !== undefined && v !== null) out[k] = v;
  return out as ObjectMetadataInput;
}

/**
 * Media download. Full reads carry `x-goog-hash` and `x-goog-stored-content-encoding`, which is what
 * makes the client validate the checksum; ranged reads answer 206 with `Content-Range`. The bytes
 * are streamed from the blob (a file with `--data_dir`).
 */
function downloadObject(store: StorageStore, request: ParsedRequest, bucket: string, name: string): void {
  const object = store.getObject(bucket, name, request.query.get("generation") ?? undefined);
  const { res } = request;
  const size = object.size;
  const headers: Record<string, string | number> = {
    "Content-Type": object.contentType,
    "x-goog-generation": object.generation,
    "x-goog-metageneration": String(object.metageneration),
    "x-goog-stored-content-length": size,
    "x-goog-stored-content-encoding": object.contentEncoding ?? "identity",
    "x-goog-hash": `crc32c=${object.crc32c},md5=${object.md5Hash}`,
    "Accept-Ranges": "bytes",
    ETag: Buffer.from(`${object.generation}/${object.metageneration}`).toString("base64"),
  };
  if (object.contentEncoding) headers["Content-Encoding"] = object.contentEncoding;
  if (object.cacheControl) headers["Cache-Control"] = object.cacheControl;
  if (object.contentDisposition) headers["Content-Disposition"] = object.contentDisposition;

  const rangeHeader = request.req.headers.range;
  const range = rangeHeader ? parseRange(rangeHeader, size) : undefined;
  if (range === "unsatisfiable") {
    res.writeHead(416, { "Content-Range": `bytes */${size}`, "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: { code: 416, message: `Requested range not satisfiable for ${bucket}/${name} (size ${size})`, errors: [{ domain: "global", reason: "requestedRangeNotSatisfiable", message: "Requested range not satisfiable" }] } }));
    return;
  }
  const start = range?.start ?? 0;
  const end = range ? range.end + 1 : size;
  const body = request.method === "HEAD" ? undefined : store.blobs.stream(object.blob, start, end);
  if (range) res.writeHead(206, { ...headers, "Content-Length": end - start, "Content-Range": `bytes ${range.start}-${range.end}/${size}` });
  else res.writeHead(200, { ...headers, "Content-Length": size });
  if (body === undefined) {
    res.end();
    return;
  }
  body.on("error", () => res.destroy());
  body.pipe(res);
}

/** `bytes=s-e`, `bytes=s-` or `bytes=-N`; `undefined` (serve everything) for forms we ignore. */
function parseRange(header: string, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return size === 0 ? undefined : "unsatisfiable";
  return { start, end };
}

async function routeUpload(uploads: UploadHandler, request: ParsedRequest, path: string[]): Promise<void> {
  if (path[0] !== "b" || path[2] !== "o" || path.length !== 3) throw httpErrors.notFound(`Unknown upload path: ${request.req.url ?? ""}`);
  await request.operation("storage.objects.insert");
  const bucket = path[1];
  if (request.method === "POST" && !request.query.get("upload_id")) return routeUploadBody(uploads, request, bucket);
  const uploadId = request.query.get("upload_id");
  if (!uploadId) throw httpErrors.invalid("Missing upload_id", "required");
  if (request.method === "PUT" || request.method === "POST") {
    const outcome = await uploads.putResumable(uploadId, request);
    if (outcome.done) return sendJson(request.res, 200, objectResource(outcome.object, request.baseUrl));
    // 308 "Resume Incomplete": the client reads how far we got from `Range`.
    const headers: Record<string, string> = { "Content-Length": "0" };
    if (outcome.received > 0) headers.Range = `bytes=0-${outcome.received - 1}`;
    request.res.writeHead(308, headers).end();
    return;
  }
  if (request.method === "DELETE") {
    uploads.cancel(uploadId);
    request.res.writeHead(499, { "Content-Length": "0" }).end();
    return;
  }
  throw methodNotAllowed(request);
}

async function routeUploadBody(uploads: UploadHandler, request: ParsedRequest, bucket: string): Promise<void> {
  const uploadType = request.query.get("uploadType") ?? "media";
  if (uploadType === "resumable") {
    const location = await uploads.startResumable(bucket, request);
    request.res.writeHead(200, { Location: location, "Content-Length": "0" }).end();
    return;
  }
  if (uploadType === "multipart") return sendJson(request.res, 200, objectResource(await uploads.multipart(bucket, request), request.baseUrl));
  if (uploadType === "media") return sendJson(request.res, 200, objectResource(await uploads.media(bucket, request), request.baseUrl));
  throw httpErrors.invalid(`Unsupported uploadType: ${uploadType}`);
}
