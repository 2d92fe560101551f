/**
 * The Cloud Storage emulator's state: buckets and their live objects (no versioning: a write
 * replaces the object with a new generation), with preconditions checked the way the JSON API does.
 *
 * Object bytes live in a BlobStore (./blobs); with `--data_dir` the catalog (buckets, object
 * metadata, open resumable uploads) is `<dir>/storage/catalog.ndjson`, one JSON line per record,
 * and the bytes are files in `<dir>/storage/blobs/`.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { httpErrors } from "../common/http";
import { legacySnapshot, PersistScheduler, readLines, retireLegacySnapshot, serviceDir, writeFileAtomic } from "../common/persist";
import { FileBlobs, MemoryBlobs, type BlobInfo, type BlobStore, type BlobWriter } from "./blobs";

export interface StoredBucket {
  name: string;
  location: string;
  storageClass: string;
  labels: Record<string, string>;
  timeCreated: string;
  updated: string;
  metageneration: number;
}

/** Object metadata a client may set (upload metadata part, PATCH, compose/rewrite destination). */
export interface ObjectMetadataInput {
  /** `null` (in a PATCH) removes the field. */
  contentType?: string | null;
  contentEncoding?: string | null;
  contentDisposition?: string | null;
  contentLanguage?: string | null;
  cacheControl?: string | null;
  metadata?: Record<string, string | null> | null;
}

export interface StoredObject {
  bucket: string;
  name: string;
  /** The BlobStore id of the bytes. */
  blob: string;
  size: number;
  generation: string;
  metageneration: number;
  contentType: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
  storageClass: string;
  crc32c: string;
  md5Hash: string;
  componentCount?: number;
  timeCreated: string;
  updated: string;
}

/** Generation preconditions from the query string (`ifGenerationMatch=0` means "must not exist"). */
export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

export function preconditionsFrom(query: URLSearchParams, prefix = ""): Preconditions {
  const get = (name: string): string | undefined => {
    const key = prefix ? `${prefix}${name[0].toUpperCase()}${name.slice(1)}` : name;
    return query.get(key) ?? undefined;
  };
  return {
    ifGenerationMatch: get("ifGenerationMatch"),
    ifGenerationNotMatch: get("ifGenerationNotMatch"),
    ifMetagenerationMatch: get("ifMetagenerationMatch"),
    ifMetagenerationNotMatch: get("ifMetagenerationNotMatch"),
  };
}

/** A resumable upload in progress; its bytes so far are in the blob writer. */
export interface UploadSession {
  id: string;
  bucket: string;
  name: string;
  meta: ObjectMetadataInput;
  pre: Preconditions;
  writer: BlobWriter;
  /** Set once the last chunk arrived, so a later status query can return the object again. */
  result?: StoredObject;
}

/** One line of the catalog file. */
type CatalogLine =
  | { kind: "generation"; last: number }
  | { kind: "bucket"; bucket: StoredBucket }
  | { kind: "object"; object: StoredObject }
  | { kind: "upload"; upload: Omit<UploadSession, "writer" | "result"> };

/** The single-file snapshot of emulator versions before the catalog (read once, then migrated). */
interface LegacySnapshot {
  buckets: StoredBucket[];
  objects: (Omit<StoredObject, "blob" | "size"> & { data: string })[];
}

/** Finished resumable sessions remembered for status queries. */
const MAX_FINISHED_UPLOADS = 1000;

const METADATA_FIELDS = ["contentType", "contentEncoding", "contentDisposition", "contentLanguage", "cacheControl"] as const;

export class StorageStore {
  private readonly buckets = new Map<string, StoredBucket>();
  /** Objects per bucket, by name. */
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  private readonly uploads = new Map<string, UploadSession>();
  private readonly finishedUploads: string[] = [];
  private lastGeneration = 0;
  readonly blobs: BlobStore;
  private readonly dir: string | undefined;
  private readonly persistence: PersistScheduler;

  constructor(dataDir?: string) {
    this.dir = serviceDir(dataDir, "storage", "blobs");
    this.blobs = this.dir !== undefined ? new FileBlobs(path.join(this.dir, "blobs")) : new MemoryBlobs();
    this.persistence = new PersistScheduler(this.dir !== undefined ? () => this.persist() : undefined, "Cloud Storage");
    if (this.dir !== undefined) this.load(dataDir as string);
  }

  close(): void {
    this.persistence.close();
  }

  private changed(): void {
    this.persistence.changed();
  }

  // ---- buckets ----

  createBucket(name: string, location?: string, storageClass?: string, labels?: Record<string, string>): StoredBucket {
    if (!/^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/.test(name)) throw httpErrors.invalid(`Invalid bucket name: '${name}'`);
    if (this.buckets.has(name)) {
      throw httpErrors.conflict("Your previous request to create the named bucket succeeded and you already own it.");
    }
    const now = new Date().toISOString();
    const bucket: StoredBucket = {
      name,
      location: (location ?? "US").toUpperCase(),
      storageClass: storageClass ?? "STANDARD",
      labels: labels ?? {},
      timeCreated: now,
      updated: now,
      metageneration: 1,
    };
    this.buckets.set(name, bucket);
    this.objects.set(name, new Map());
    this.changed();
    return bucket;
  }

  getBucket(name: string): StoredBucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw httpErrors.notFound(`The specified bucket does not exist: ${name}`);
    return bucket;
  }

  listBuckets(prefix = ""): StoredBucket[] {
    return [...this.buckets.values()].filter((b) => b.name.startsWith(prefix)).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  patchBucket(name: string, patch: { labels?: Record<string, string | null>; storageClass?: string }): StoredBucket {
    const bucket = this.getBucket(name);
    if (patch.labels) {
      for (const [k, v] of Object.entries(patch.labels)) {
        if (v === null) delete bucket.labels[k];
        else bucket.labels[k] = v;
      }
    }
    if (patch.storageClass) bucket.storageClass = patch.storageClass;
    bucket.metageneration++;
    bucket.updated = new Date().toISOString();
    this.changed();
    return bucket;
  }

  deleteBucket(name: string): void {
    this.getBucket(name);
    if ((this.objects.get(name)?.size ?? 0) > 0) throw httpErrors.conflict(`The bucket you tried to delete is not empty: ${name}`);
    this.buckets.delete(name);
    this.objects.delete(name);
    this.changed();
  }

  // ---- objects ----

  getObject(bucket: string, name: string, generation?: string): StoredObject {
    const object = this.bucketObjects(bucket).get(name);
    if (!object || (generation !== undefined && generation !== "" && generation !== object.generation)) {
      throw httpErrors.notFound(`No such object: ${bucket}/${name}`);
    }
    return object;
  }

  /** All live objects of a bucket, sorted by name (the order listings use). */
  listObjects(bucket: string): StoredObject[] {
    return [...this.bucketObjects(bucket).values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Checks that a write of `name` could succeed now (bucket, name, preconditions), before its bytes are read. */
  checkWritable(bucket: string, name: string, pre: Preconditions = {}): void {
    if (name === "") throw httpErrors.invalid("Object name must not be empty", "required");
    this.checkPreconditions(bucket, name, this.bucketObjects(bucket).get(name), pre);
  }

  /**
   * Creates or replaces an object with a new generation, taking ownership of the finished blob
   * (discarded if the write is refused).
   */
  writeObject(bucket: string, name: string, blob: BlobInfo, meta: ObjectMetadataInput, pre: Preconditions = {}, componentCount?: number): StoredObject {
    let objects: Map<string, StoredObject>;
    try {
      this.checkWritable(bucket, name, pre);
      objects = this.bucketObjects(bucket);
    } catch (e) {
      this.blobs.delete(blob.id);
      throw e;
    }
    const now = new Date().toISOString();
    const object: StoredObject = {
      bucket,
      name,
      blob: blob.id,
      size: blob.size,
      generation: this.nextGeneration(),
      metageneration: 1,
      contentType: meta.contentType || "application/octet-stream",
      storageClass: this.getBucket(bucket).storageClass,
      crc32c: blob.crc32c,
      md5Hash: blob.md5Hash,
      timeCreated: now,
      updated: now,
    };
    for (const field of METADATA_FIELDS) if (field !== "contentType" && meta[field]) object[field] = meta[field];
    const custom = cleanMetadata(meta.metadata);
    if (custom) object.metadata = custom;
    if (componentCount !== undefined) object.componentCount = componentCount;
    const replaced = objects.get(name);
    objects.set(name, object);
    if (replaced) this.blobs.delete(replaced.blob);
    this.changed();
    return object;
  }

  /** Writes `data` (already in memory) as an object. */
  writeObjectBytes(bucket: string, name: string, data: Buffer, meta: ObjectMetadataInput, pre: Preconditions = {}): StoredObject {
    this.checkWritable(bucket, name, pre);
    const writer = this.blobs.create();
    writer.append(data);
    return this.writeObject(bucket, name, writer.finish(), meta, pre);
  }

  // ---- resumable uploads ----

  addUpload(session: UploadSession): void {
    this.uploads.set(session.id, session);
    this.changed();
  }

  getUpload(id: string): UploadSession | undefined {
    return this.uploads.get(id);
  }

  /** Marks a session finished with its object (kept for late status queries; the oldest are forgotten). */
  finishUpload(id: string, object: StoredObject): void {
    const session = this.uploads.get(id);
    if (session === undefined) return;
    session.result = object;
    this.finishedUploads.push(id);
    if (this.finishedUploads.length > MAX_FINISHED_UPLOADS) this.uploads.delete(this.finishedUploads.shift() as string);
    this.changed();
  }

  /** Ends a session; its unfinished bytes are dropped. */
  removeUpload(id: string): boolean {
    const session = this.uploads.get(id);
    if (session === undefined) return false;
    if (session.result === undefined) session.writer.discard();
    this.uploads.delete(id);
    this.changed();
    return true;
  }

  /** PATCH semantics: given fields replace, `metadata` keys merge (a null value removes the key). */
  patchObject(bucket: string, name: string, patch: ObjectMetadataInput, pre: Preconditions = {}): StoredObject {
    const object = this.getObject(bucket, name);
    this.checkPreconditions(bucket, name, object, pre);
    for (const field of METADATA_FIELDS) {
      const value = patch[field];
      if (value !== undefined) {
        if (value === null || value === "") delete object[field];
        else object[field] = value;
      }
    }
    if (!object.contentType) object.contentType = "application/octet-stream";
    if (patch.metadata === null) delete object.metadata;
    else if (patch.metadata) object.metadata = cleanMetadata({ ...object.metadata, ...patch.metadata });
    object.metageneration++;
    object.updated = new Date().toISOString();
    this.changed();
    return object;
  }

  deleteObject(bucket: string, name: string, pre: Preconditions = {}): void {
    const object = this.getObject(bucket, name);
    this.checkPreconditions(bucket, name, object, pre);
    this.bucketObjects(bucket).delete(name);
    this.blobs.delete(object.blob);
    this.changed();
  }

  private bucketObjects(bucket: string): Map<string, StoredObject> {
    this.getBucket(bucket);
    return this.objects.get(bucket) as Map<string, StoredObject>;
  }

  private checkPreconditions(bucket: string, name: string, existing: StoredObject | undefined, pre: Preconditions): void {
    const generation = existing?.generation ?? "0";
    const metageneration = existing ? String(existing.metageneration) : undefined;
    const fail = (what: string): never => {
      throw httpErrors.preconditionFailed(`At least one of the pre-conditions you specified did not hold (${what} for ${bucket}/${name}).`);
    };
    if (pre.ifGenerationMatch !== undefined && pre.ifGenerationMatch !== generation) fail("ifGenerationMatch");
    if (pre.ifGenerationNotMatch !== undefined && pre.ifGenerationNotMatch === generation) fail("ifGenerationNotMatch");
    if (pre.ifMetagenerationMatch !== undefined && pre.ifMetagenerationMatch !== metageneration) fail("ifMetagenerationMatch");
    if (pre.ifMetagenerationNotMatch !== undefined && pre.ifMetagenerationNotMatch === metageneration) fail("ifMetagenerationNotMatch");
  }

  /** Generations are microsecond timestamps, like the real service's, kept strictly increasing. */
  private nextGeneration(): string {
    this.lastGeneration = Math.max(this.lastGeneration + 1, Date.now() * 1000);
    return String(this.lastGeneration);
  }

  /** Saves the catalog, then removes the bytes of objects it no longer names. */
  private persist(): void {
    const dir = this.dir as string;
    writeFileAtomic(path.join(dir, "catalog.ndjson"), (out) => {
      out.line({ kind: "generation", last: this.lastGeneration } satisfies CatalogLine);
      for (const bucket of this.buckets.values()) out.line({ kind: "bucket", bucket } satisfies CatalogLine);
      for (const perBucket of this.objects.values()) for (const object of perBucket.values()) out.line({ kind: "object", object } satisfies CatalogLine);
      for (const { writer: _writer, result, ...upload } of this.uploads.values()) if (result === undefined) out.line({ kind: "upload", upload } satisfies CatalogLine);
    });
    this.blobs.collect();
  }

  private load(dataDir: string): void {
    const dir = this.dir as string;
    const catalog = path.join(dir, "catalog.ndjson");
    const legacy = legacySnapshot<LegacySnapshot>(dataDir, "storage");
    if (legacy !== undefined && !existsSync(catalog)) {
      for (const b of legacy.buckets) this.restoreBucket(b);
      for (const { data, ...o } of legacy.objects) {
        const writer = this.blobs.create();
        writer.append(Buffer.from(data, "base64"));
        const blob = writer.finish();
        this.objects.get(o.bucket)?.set(o.name, { ...o, blob: blob.id, size: blob.size, crc32c: blob.crc32c, md5Hash: blob.md5Hash });
        this.lastGeneration = Math.max(this.lastGeneration, Number(o.generation));
      }
      this.persist();
      retireLegacySnapshot(dataDir, "storage");
      return;
    }
    if (!existsSync(catalog)) return;
    const live = new Set<string>();
    for (const line of readLines<CatalogLine>(catalog)) {
      if (line.kind === "generation") this.lastGeneration = Math.max(this.lastGeneration, line.last);
      else if (line.kind === "bucket") this.restoreBucket(line.bucket);
      else if (line.kind === "object") {
        // An object whose bytes are gone (deleted by hand) is dropped rather than served broken.
        if (!this.blobs.exists(line.object.blob)) continue;
        this.objects.get(line.object.bucket)?.set(line.object.name, line.object);
        live.add(line.object.blob);
        this.lastGeneration = Math.max(this.lastGeneration, Number(line.object.generation));
      } else if (line.kind === "upload") {
        const writer = this.blobs.reopen(line.upload.id);
        if (writer === undefined) continue;
        this.uploads.set(line.upload.id, { ...line.upload, writer });
        live.add(line.upload.id);
      }
    }
    // Bytes written just before a crash whose object never reached the catalog.
    this.blobs.collect(live);
  }

  private restoreBucket(bucket: StoredBucket): void {
    this.buckets.set(bucket.name, bucket);
    this.objects.set(bucket.name, new Map());
  }
}

function cleanMetadata(metadata: Record<string, string | null> | null | undefined): Record<string, string> | undefined {
  if (!metadata) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (v !== null && v !== undefined) out[k] = String(v);
  return Object.keys(out).length > 0 ? out : undefined;
}
