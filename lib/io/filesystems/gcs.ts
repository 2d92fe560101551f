/**
 * Cloud Storage (scheme "gs"): `gs://bucket/object` paths behind the `FileSystem` interface, with
 * Google's official client (`@google-cloud/storage`, loaded on first use; STORAGE_EMULATOR_HOST
 * honoured).
 *
 * - `match`: a plain path is one metadata lookup; a glob lists the objects under its literal
 *   prefix (everything before the first wildcard) and filters them with the compiled glob, so
 *   `*`, `?`, `[..]` stay within a "directory" and `**` crosses `/`, exactly as locally.
 *   Placeholder objects whose names end in `/` are not files and never match.
 * - `openRead`: ranged downloads (`Range: bytes=s-e`).
 * - `create`: small files (< 8 MiB) are buffered and sent in one multipart upload; larger ones
 *   switch to a resumable upload streamed in chunks. The stream finishes only when the object
 *   is stored.
 * - `rename` is copy + delete (objects cannot be renamed); `delete` of a prefix (or of a name
 *   under which objects exist, like a directory) removes everything under it.
 * - `checkWritable`: the bucket exists and the caller may create objects in it.
 * - Transient failures (5xx, 429, dropped connections) are retried by the client with
 *   exponential backoff, every call (see ../gcp/retry); each retry is counted.
 */
import { EventEmitter } from "node:events";
import { Readable, Writable } from "node:stream";
import type { Bucket, File } from "@google-cloud/storage";
import { storageClient } from "../gcp/clients";
import { classify, describeGcpError } from "../gcp/errors";
import { failureError, failuresOf, FileSystemError, type CreateOptions, type FileOperationFailure, type FileMetadata, type FileSystem, type OpenReadOptions } from "./filesystem";
import { globToRegExp, hasGlobChars, unescapeGlob } from "./glob";

/** A parsed `gs://bucket/object` path. */
export interface GcsPath {
  readonly bucket: string;
  readonly object: string;
}

const GS = /^gs:\/\/([^/]+)\/?(.*)$/is;

/** Splits `gs://bucket/a/b` into `{bucket: "bucket", object: "a/b"}`; throws on other paths. */
export function parseGcsPath(path: string): GcsPath {
  const m = GS.exec(path);
  if (m === null || m[1] === "") {
    throw new FileSystemError(`'${path}' is not a Cloud Storage path; write it as gs://BUCKET/OBJECT.`, path, { code: "INVALID_ARGUMENT" });
  }
  return { bucket: m[1]!, object: m[2]! };
}

function gsPath(bucket: string, object: string): string {
  return `gs://${bucket}/${object}`;
}

/** Listeners the storage client's download plumbing attaches to one response body (11), with room to spare. */
const RESPONSE_LISTENERS = 16;

/** Files at least this large are uploaded with a resumable upload. */
export const RESUMABLE_THRESHOLD_BYTES = 8 * 1024 * 1024;
function checkPairs(op: string, sources: readonly string[], destinations: readonly string[]): void {
  if (sources.length !== destinations.length) {
    throw new FileSystemError(
      `Cannot ${op}: got ${sources.length} sources but ${destinations.length} destinations; pass one destination per source.`,
      sources[0] ?? "",
      { code: "INVALID_ARGUMENT" },
    );
  }
}

const CONCURRENCY = 16;

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
}

/**
 * `mapLimit` that attempts every item whatever fails, then throws one `FileSystemError` listing
 * each failure (as the local filesystem's rename, copy and delete).
 */
async function eachLimit<T>(
  op: string,
  items: readonly T[],
  describe: (index: number) => { path: string; destination?: string },
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const failures: FileOperationFailure[] = [];
  await mapLimit(items, CONCURRENCY, async (item, i) => {
    try {
      await fn(item, i);
    } catch (err) {
      const where = describe(i);
      failures.push(...failuresOf(gcsError(`${op} ${where.path}`, where.path, err), where));
    }
  });
  const err = failureError(op, items.length, failures);
  if (err !== undefined) throw err;
}

function gcsError(action: string, path: string, err: unknown): FileSystemError {
  if (err instanceof FileSystemError) return err;
  const { bucket } = parseGcsPath(path);
  const kind = classify(err);
  const message =
    kind === "notFound" && isBucketMissing(err)
      ? `Cannot ${action}: bucket gs://${bucket} does not exist. Create it (gcloud storage buckets create gs://${bucket}) or use another bucket.`
      : describeGcpError(action, path, err, {
          notFound: "Check the path",
          permission: `Grant the pipeline's account a role such as roles/storage.objectAdmin on gs://${bucket}`,
        });
  return new FileSystemError(message, path, { cause: err, code: kind === "notFound" ? "ENOENT" : kind === "permission" ? "EACCES" : undefined });
}

function isBucketMissing(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /bucket/i.test(msg) && !/object|no such key/i.test(msg);
}

function metadataOf(bucket: string, file: File): FileMetadata {
  const md = file.metadata;
  const updated = md.updated !== undefined ? Date.parse(String(md.updated)) : NaN;
  return {
    path: gsPath(bucket, file.name),
    sizeBytes: Number(md.size ?? 0),
    ...(Number.isFinite(updated) ? { lastModifiedMillis: updated } : {}),
  };
}

/**
 * A Writable that buffers small files and uploads them in one request, switching to a
 * resumable upload once the data reaches `RESUMABLE_THRESHOLD_BYTES`.
 */
class GcsObjectWriter extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  private upload: Writable | undefined;

  constructor(
    private readonly file: File,
    private readonly contentType: string | undefined,
    private readonly path: string,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.upload !== undefined) {
      this.forward(chunk, callback);
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size < RESUMABLE_THRESHOLD_BYTES) {
      callback();
      return;
    }
    const upload = this.file.createWriteStream({ resumable: true, ...(this.contentType ? { contentType: this.contentType } : {}) });
    this.upload = upload;
    upload.on("error", (err) => this.destroy(gcsError(`write ${this.path}`, this.path, err)));
    const buffered = Buffer.concat(this.chunks);
    this.chunks = [];
    this.forward(buffered, callback);
  }

  private forward(chunk: Buffer, callback: (error?: Error | null) => void): void {
    if (this.upload!.write(chunk)) callback();
    else this.upload!.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    const upload = this.upload;
    if (upload === undefined) {
      const data = Buffer.concat(this.chunks);
      this.chunks = [];
      // The client retries the upload (see ../gcp/retry: every Storage call is retried).
      this.file.save(data, { resumable: false, ...(this.contentType ? { contentType: this.contentType } : {}) }).then(() => callback(), (err: unknown) => callback(gcsError(`write ${this.path}`, this.path, err)));
      return;
    }
    upload.once("finish", () => callback());
    upload.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.chunks = [];
    if (this.upload !== undefined && !this.upload.destroyed) this.upload.destroy();
    callback(error);
  }
}

/** The Cloud Storage filesystem. Stateless apart from the cached client. */
export class GcsFileSystem implements FileSystem {
  readonly scheme = "gs";

  /** @param project project for the client (default: the environment's / ADC's) */
  constructor(private readonly project?: string) {}

  private bucket(name: string): Bucket {
    return storageClient(this.project).bucket(name);
  }

  private file(path: string): File {
    const { bucket, object } = parseGcsPath(path);
    if (object === "" || object.endsWith("/")) {
      throw new FileSystemError(`'${path}' names a bucket or a folder, not a file; add an object name such as '${this.join(path, "part")}'.`, path, {
        code: "EISDIR",
      });
    }
    return this.bucket(bucket).file(object);
  }

  async match(pattern: string): Promise<FileMetadata[]> {
    const { bucket, object } = parseGcsPath(pattern);
    if (!hasGlobChars(object)) {
      const name = unescapeGlob(object);
      if (name === "" || name.endsWith("/")) return [];
      const file = this.bucket(bucket).file(name);
      try {
        await file.getMetadata();
        return [metadataOf(bucket, file)];
      } catch (err) {
        if (classify(err) === "notFound") {
          await this.requireBucket(bucket, pattern, "list");
          return [];
        }
        throw gcsError(`list ${pattern}`, pattern, err);
      }
    }
    const firstWildcard = object.search(/(?<!\\)[*?[]/);
    const prefix = unescapeGlob(object.slice(0, firstWildcard < 0 ? object.length : firstWildcard));
    const regex = globToRegExp(object);
    let files: File[];
    try {
      [files] = await this.bucket(bucket).getFiles({ prefix, autoPaginate: true });
    } catch (err) {
      throw gcsError(`list ${pattern}`, pattern, err);
    }
    return files
      .filter((f) => !f.name.endsWith("/") && regex.test(f.name))
      .map((f) => metadataOf(bucket, f))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async requireBucket(bucket: string, path: string, action: string): Promise<void> {
    let exists: boolean;
    try {
      [exists] = await this.bucket(bucket).exists();
    } catch (err) {
      throw gcsError(`${action} ${path}`, path, err);
    }
    if (!exists) {
      throw new FileSystemError(
        `Cannot ${action} ${path}: bucket gs://${bucket} does not exist. Create it (gcloud storage buckets create gs://${bucket}) or use another bucket.`,
        path,
        { code: "ENOENT" },
      );
    }
  }

  async openRead(path: string, options: OpenReadOptions = {}): Promise<Readable> {
    const file = this.file(path);
    const start = options.start ?? 0;
    const end = options.end === undefined || options.end === Infinity ? undefined : options.end;
    if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < 0))) {
      throw new FileSystemError(`Cannot read ${path}: invalid byte range [${start}, ${options.end}); use non-negative integers.`, path, {
        code: "INVALID_ARGUMENT",
      });
    }
    let size: number;
    try {
      const [md] = await file.getMetadata();
      size = Number(md.size ?? 0);
    } catch (err) {
      if (classify(err) === "notFound") await this.requireBucket(parseGcsPath(path).bucket, path, "read");
      throw gcsError(`read ${path}`, path, err);
    }
    const last = Math.min(end ?? size, size) - 1;
    if (last < start) return Readable.from([]);
    const ranged = start > 0 || last < size - 1;
    const stream = file.createReadStream({ start, end: last, ...(ranged ? { validation: false } : {}), decompress: false });
    // @google-cloud/storage 8 (teeny-request 11, node-fetch 3) attaches three stream.pipeline()s to each download's
    // response body: 11 'error' and 'close' listeners on that one stream, which Node reports as a possible leak
    // (googleapis/google-cloud-node#9185). They belong to this download and go when it ends; the storage client is
    // shared (clients.ts). The limit is raised on that one stream only, when the client hands it out.
    stream.once("response", (res: unknown) => {
      if (res instanceof EventEmitter) res.setMaxListeners(Math.max(res.getMaxListeners(), RESPONSE_LISTENERS));
    });
    return stream;
  }

  async create(path: string, options: CreateOptions = {}): Promise<Writable> {
    return new GcsObjectWriter(this.file(path), options.mimeType, path);
  }

  /** Copy, then delete the source: a source that could not be copied is left where it is. */
  async rename(sources: readonly string[], destinations: readonly string[]): Promise<void> {
    checkPairs("rename", sources, destinations);
    await eachLimit(
      "rename",
      sources,
      (i) => ({ path: sources[i]!, destination: destinations[i]! }),
      async (source, i) => {
        await this.copyOne(source, destinations[i]!, "rename");
        try {
          await this.file(source).delete({ ignoreNotFound: true });
        } catch (err) {
          throw gcsError(`delete ${source} after copying it`, source, err);
        }
      },
    );
  }

  async copy(sources: readonly string[], destinations: readonly string[]): Promise<void> {
    checkPairs("copy", sources, destinations);
    await eachLimit(
      "copy",
      sources,
      (i) => ({ path: sources[i]!, destination: destinations[i]! }),
      (source, i) => this.copyOne(source, destinations[i]!, "copy"),
    );
  }

  private async copyOne(source: string, destination: string, op: string): Promise<void> {
    try {
      await this.file(source).copy(this.file(destination));
    } catch (err) {
      throw gcsError(`${op} ${source} to ${destination}`, classify(err) === "notFound" ? source : destination, err);
    }
  }

  async delete(paths: readonly string[]): Promise<void> {
    await eachLimit("delete", paths, (i) => ({ path: paths[i]! }), async (path) => {
      const { bucket, object } = parseGcsPath(path);
      try {
        if (object !== "" && !object.endsWith("/")) await this.bucket(bucket).file(object).delete({ ignoreNotFound: true });
        // A prefix, or a name used as a folder: remove everything under it.
        const prefix = object === "" || object.endsWith("/") ? object : object + "/";
        const [files] = await this.bucket(bucket).getFiles({ prefix, autoPaginate: true });
        await mapLimit(files, CONCURRENCY, (f) => f.delete({ ignoreNotFound: true }).then(() => undefined));
      } catch (err) {
        if (classify(err) === "notFound" && isBucketMissing(err)) return;
        throw gcsError(`delete ${path}`, path, err);
      }
    });
  }

  async exists(path: string): Promise<boolean> {
    const { bucket, object } = parseGcsPath(path);
    try {
      if (object !== "" && !object.endsWith("/")) {
        const [exists] = await this.bucket(bucket).file(object).exists();
        if (exists) return true;
      }
      if (object === "") return (await this.bucket(bucket).exists())[0];
      const prefix = object.endsWith("/") ? object : object + "/";
      const [files] = await this.bucket(bucket).getFiles({ prefix, maxResults: 1, autoPaginate: false });
      return files.length > 0;
    } catch (err) {
      if (classify(err) === "notFound") return false;
      throw gcsError(`check ${path}`, path, err);
    }
  }

  join(base: string, ...parts: string[]): string {
    const { bucket, object } = parseGcsPath(base);
    const segments = [object, ...parts].flatMap((p) => p.split("/")).filter((s) => s !== "" && s !== ".");
    const out: string[] = [];
    for (const s of segments) {
      if (s === "..") out.pop();
      else out.push(s);
    }
    const last = parts.length > 0 ? parts[parts.length - 1]! : object;
    return gsPath(bucket, out.join("/") + (last.endsWith("/") && out.length > 0 ? "/" : ""));
  }

  dirname(path: string): string {
    const { bucket, object } = parseGcsPath(path);
    const trimmed = object.replace(/\/+$/, "");
    if (object.endsWith("/")) return gsPath(bucket, trimmed);
    const slash = trimmed.lastIndexOf("/");
    return slash < 0 ? gsPath(bucket, "") : gsPath(bucket, trimmed.slice(0, slash));
  }

  async checkWritable(dirOrPrefix: string): Promise<void> {
    const { bucket } = parseGcsPath(dirOrPrefix);
    await this.requireBucket(bucket, dirOrPrefix, "write to");
    let granted: Record<string, boolean> | undefined;
    try {
      [granted] = await this.bucket(bucket).iam.testPermissions(["storage.objects.create"]);
    } catch {
      return; // IAM not available (e.g. an emulator): the bucket exists, writes will tell.
    }
    if (granted["storage.objects.create"] === false) {
      throw new FileSystemError(
        `Cannot write to ${dirOrPrefix}: no permission to create objects in gs://${bucket}. ` +
          `Grant the pipeline's account roles/storage.objectAdmin (or objectCreator) on the bucket, or choose another output.`,
        dirOrPrefix,
        { code: "EACCES" },
      );
    }
  }
}
