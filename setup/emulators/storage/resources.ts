/**
 * JSON API resource shapes (`storage#bucket`, `storage#object`). int64 fields (size, generation,
 * metageneration) are strings, as in the real API; the client reads `crc32c`/`md5Hash` to validate
 * uploads.
 */
import type { StoredBucket, StoredObject } from "./store";

export function bucketResource(bucket: StoredBucket, baseUrl: string): object {
  return {
    kind: "storage#bucket",
    id: bucket.name,
    selfLink: `${baseUrl}/storage/v1/b/${encodeURIComponent(bucket.name)}`,
    name: bucket.name,
    projectNumber: "0",
    location: bucket.location,
    locationType: "multi-region",
    storageClass: bucket.storageClass,
    labels: bucket.labels,
    metageneration: String(bucket.metageneration),
    etag: Buffer.from(`${bucket.name}/${bucket.metageneration}`).toString("base64"),
    timeCreated: bucket.timeCreated,
    updated: bucket.updated,
  };
}

export function objectResource(object: StoredObject, baseUrl: string): object {
  const encoded = encodeURIComponent(object.name);
  const bucket = encodeURIComponent(object.bucket);
  const resource: Record<string, unknown> = {
    kind: "storage#object",
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${bucket}/o/${encoded}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${bucket}/o/${encoded}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: object.generation,
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    storageClass: object.storageClass,
    size: String(object.size),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: Buffer.from(`${object.generation}/${object.metageneration}`).toString("base64"),
    timeCreated: object.timeCreated,
    updated: object.updated,
    timeStorageClassUpdated: object.timeCreated,
  };
  for (const field of ["contentEncoding", "contentDisposition", "contentLanguage", "cacheControl", "metadata"] as const) {
    if (object[field] !== undefined) resource[field] = object[field];
  }
  if (object.componentCount !== undefined) resource.componentCount = object.componentCount;
  return resource;
}
