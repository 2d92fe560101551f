/**
 * Turning Google Cloud client errors into messages that name the resource and say what to do.
 *
 * The REST clients (Storage, BigQuery) report HTTP codes (404, 403, 401, 409); the gRPC client
 * (Pub/Sub) reports gRPC status codes (5 NOT_FOUND, 7 PERMISSION_DENIED, 16 UNAUTHENTICATED).
 */

/** The kind of failure, independent of the transport. */
export type GcpErrorKind = "notFound" | "permission" | "unauthenticated" | "alreadyExists" | "transient" | "invalid" | "other";

/** The numeric code of a client error (HTTP status or gRPC code), if any. */
export function errorCode(err: unknown): number | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "number") return code;
    if (typeof code === "string" && /^\d+$/.test(code)) return Number(code);
  }
  return undefined;
}

function isGrpc(err: unknown): boolean {
  return typeof err === "object" && err !== null && ("metadata" in err || "details" in err) && !("response" in err);
}

const CONNECTION_ERRORS = new Set(["ECONNRESET", "ETIMEDOUT", "EPIPE", "ECONNREFUSED", "EAI_AGAIN", "ENOTFOUND"]);

/** Classifies a client error. Dropped connections ("socket hang up") count as transient. */
export function classify(err: unknown): GcpErrorKind {
  if (typeof err === "object" && err !== null && "code" in err && typeof (err as { code: unknown }).code === "string") {
    if (CONNECTION_ERRORS.has((err as { code: string }).code)) return "transient";
  }
  const code = errorCode(err);
  if (code === undefined) return "other";
  if (isGrpc(err) || code < 100) {
    switch (code) {
      case 5:
        return "notFound";
      case 7:
        return "permission";
      case 16:
        return "unauthenticated";
      case 6:
        return "alreadyExists";
      case 3:
      case 9:
        return "invalid";
      case 4:
      case 8:
      case 10:
      case 13:
      case 14:
        return "transient";
      default:
        return "other";
    }
  }
  if (code === 404) return "notFound";
  if (code === 403) return "permission";
  if (code === 401) return "unauthenticated";
  if (code === 409) return "alreadyExists";
  if (code === 400) return "invalid";
  if (code === 408 || code === 429 || code >= 500) return "transient";
  return "other";
}

/** The client's own message, without a redundant leading code. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const CREDENTIALS_HINT =
  "Check the credentials: run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key" +
  " (or set the *_EMULATOR_HOST variable to use an emulator)";

/**
 * A message for a failed operation on a resource: `Cannot <action>: <what is wrong>. <what to do>.`
 * `notFoundHint` says how to create the missing resource; `permissionHint` which role is needed.
 */
export function describeGcpError(
  action: string,
  resource: string,
  err: unknown,
  hints: { readonly notFound?: string; readonly permission?: string } = {},
): string {
  switch (classify(err)) {
    case "notFound":
      return `Cannot ${action}: ${resource} does not exist. ${hints.notFound ?? "Check the name, or create it first"}.`;
    case "permission":
      return `Cannot ${action}: no permission on ${resource} (${messageOf(err)}). ${hints.permission ?? "Grant the pipeline's account access to it"}, or use another resource.`;
    case "unauthenticated":
      return `Cannot ${action}: not authenticated for ${resource}. ${CREDENTIALS_HINT}.`;
    default:
      return `Cannot ${action} (${resource}): ${messageOf(err)}`;
  }
}

/** An error for a GCP resource, keeping the client's error as `cause`. */
export class GcpIoError extends Error {
  readonly resource: string;
  readonly kind: GcpErrorKind;
  constructor(message: string, resource: string, cause?: unknown) {
    super(message, cause !== undefined ? { cause } : undefined);
    this.name = "GcpIoError";
    this.resource = resource;
    this.kind = cause === undefined ? "other" : classify(cause);
  }
}

/** Wraps a failed client call as a `GcpIoError` with a helpful message. */
export function gcpError(
  action: string,
  resource: string,
  err: unknown,
  hints?: { readonly notFound?: string; readonly permission?: string },
): GcpIoError {
  if (err instanceof GcpIoError) return err;
  return new GcpIoError(describeGcpError(action, resource, err, hints), resource, err);
}

/** Hand-written retries, for calls the clients cannot retry themselves (see ./retry). */
export { withRetries } from "./retry";
