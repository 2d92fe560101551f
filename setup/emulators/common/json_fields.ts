/**
 * Typed reads of fields from a client's JSON request body. A field of the wrong type is the
 * client's mistake, so it becomes a 400 naming the field, never a TypeError (a 500) deeper in.
 */
import { HttpError } from "./http";

/** A request field of the wrong type: the request itself is malformed (400), whatever it asked for. */
export class RequestFieldError extends HttpError {
  constructor(message: string, location: string) {
    super(400, "invalid", message, location);
  }
}

export type JsonObject = Record<string, unknown>;

const describe = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v);

function wrongType(where: string, expected: string, value: unknown): never {
  throw new RequestFieldError(`Invalid value at '${where}': expected ${expected}, got ${describe(value)}`, where);
}

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `v` as an object (400 otherwise). */
export function asObject(v: unknown, where: string): JsonObject {
  return isObject(v) ? v : wrongType(where, "an object", v);
}

/** `o[key]` as an object; `undefined` (or null) when absent. */
export function optObject(o: JsonObject, key: string, where = key): JsonObject | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : asObject(v, where);
}

/** `o[key]` as a string; `undefined` (or null) when absent. */
export function optString(o: JsonObject, key: string, where = key): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === "string" ? v : wrongType(where, "a string", v);
}

/** `o[key]` as a string or a number written as text (int64 fields come either way); `undefined` when absent. */
export function optInt64Text(o: JsonObject, key: string, where = key): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  if (typeof v === "string" && /^-?\d+$/.test(v)) return v;
  return wrongType(where, "an integer (as a number or a string)", v);
}

/** `o[key]` as a finite number (or a numeric string); `undefined` when absent. */
export function optNumber(o: JsonObject, key: string, where = key): number | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) ? n : wrongType(where, "a number", v);
}

/** `o[key]` as a boolean (or "true"/"false"); `undefined` when absent. */
export function optBoolean(o: JsonObject, key: string, where = key): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  return wrongType(where, "a boolean", v);
}

/** `o[key]` as an array; `undefined` (or null) when absent. */
export function optArray(o: JsonObject, key: string, where = key): unknown[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v : wrongType(where, "an array", v);
}

/** `o[key]` as a map of strings (labels, custom metadata); `nullValues` keeps nulls (they delete keys in PATCH). */
export function optStringMap(o: JsonObject, key: string, nullValues: boolean, where = key): Record<string, string | null> | undefined {
  const map = optObject(o, key, where);
  if (map === undefined) return undefined;
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(map)) {
    if (v === null && nullValues) out[k] = null;
    else if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    else wrongType(`${where}.${k}`, "a string", v);
  }
  return out;
}
