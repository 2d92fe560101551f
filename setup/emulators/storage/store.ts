/**
 * The Cloud Storage emulator's state: buckets and their live objects (no versioning: a write
 * replaces the object with a new generation), with preconditions checked the way the JSON API does.
 */
import { createHash } from "node:crypto";
import { crc32cBase64 } from "../common/crc32c";
import { httpErrors } from "../common/http";
import { SnapshotFile } from "../common/snapshot";

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
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  metadata?: Record<string, string | null> | null;
}

export interface StoredObject {
  bucket: string;
  name: string;
  data: Buffer;
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

interface StorageSnapshot {
  buckets: StoredBucket[];
  objects: (Omit<StoredObject, "data"> & { data: string })[];
}

const METADATA_FIELDS = ["contentType", "contentEncoding", "contentDisposition", "contentLanguage", "cacheControl"] as const;

export class StorageStore {
  private readonly buckets = new Map<string, StoredBucket>();
  /** Objects per bucket, by name. */
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  private lastGeneration = 0;
  private readonly snapshot: SnapshotFile<StorageSnapshot>;

  constructor(dataDir?: string) {
    this.snapshot = SnapshotFile.inDir(dataDir, "storage", () => this.toSnapshot());
    const saved = this.snapshot.load();
    if (saved) this.restore(saved);
  }

  close(): void {
    this.snapshot.close();
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
    this.snapshot.changed();
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
    this.snapshot.changed();
    return bucket;
  }

  deleteBucket(name: string): void {
    this.getBucket(name);
    if ((this.objects.get(name)?.size ?? 0) > 0) throw httpErrors.conflict(`The bucket you tried to delete is not empty: ${name}`);
    this.buckets.delete(name);
    this.objects.delete(name);
    this.snapshot.changed();
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

  /** Creates or replaces an object with a new generation. */
  writeObject(bucket: string, name: string, data: Buffer, meta: ObjectMetadataInput, pre: Preconditions = {}, componentCount?: number): StoredObject {
    if (name === "") throw httpErrors.invalid("Object name must not be empty", "required");
    const objects = this.bucketObjects(bucket);
    this.checkPreconditions(bucket, name, objects.get(name), pre);
    const now = new Date().toISOString();
    const object: StoredObject = {
      bucket,
      name,
      data,
      generation: this.nextGeneration(),
      metageneration: 1,
      contentType: meta.contentType || "application/octet-stream",
      storageClass: this.getBucket(bucket).storageClass,
      crc32c: crc32cBase64(data),
      md5Hash: createHash("md5").update(data).digest("base64"),
      timeCreated: now,
      updated: now,
    };
    for (const field of METADATA_FIELDS) if (field !== "contentType" && meta[field]) object[field] = meta[field];
    const custom = cleanMetadata(meta.metadata);
    if (custom) object.metadata = custom;
    if (componentCount !== undefined) object.componentCount = componentCount;
    objects.set(name, object);
    this.snapshot.changed();
    return object;
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
    this.snapshot.changed();
    return object;
  }

  deleteObject(bucket: string, name: string, pre: Preconditions = {}): void {
    const object = this.getObject(bucket, name);
    this.checkPreconditions(bucket, name, object, pre);
    this.bucketObjects(bucket).delete(name);
    this.snapshot.changed();
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

  private toSnapshot(): StorageSnapshot {
    const objects: StorageSnapshot["objects"] = [];
    for (const perBucket of this.objects.values()) {
      for (const o of perBucket.values()) objects.push({ ...o, data: o.data.toString("base64") });
    }
    return { buckets: [...this.buckets.values()], objects };
  }

  private restore(saved: StorageSnapshot): void {
    for (const b of saved.buckets) {
      this.buckets.set(b.name, b);
      this.objects.set(b.name, new Map());
    }
    for (const o of saved.objects) {
      this.objects.get(o.bucket)?.set(o.name, { ...o, data: Buffer.from(o.data, "base64") });
      this.lastGeneration = Math.max(this.lastGeneration, Number(o.generation));
    }
  }
}

function cleanMetadata(metadata: Record<string, string | null> | null | undefined): Record<string, string> | undefined {
  if (!metadata) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (v !== null && v !== undefined) out[k] = String(v);
  return Object.keys(out).length > 0 ? out : undefined;
}
