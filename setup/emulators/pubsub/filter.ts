/**
 * Subscription filters (the attribute subset of the filter language): `attributes.k = "v"`,
 * `attributes.k != "v"`, `attributes:k`, `hasPrefix(attributes.k, "p")`, with NOT / AND / OR and
 * parentheses. Anything else is rejected with INVALID_ARGUMENT when the subscription is created.
 */
import { grpcErrors } from "./grpc_util";
import type { PubsubMessage } from "./types";

/** Filters compiled once per distinct filter text (they are checked on every publish). */
const compiled = new Map<string, Predicate>();

export function matchesFilter(filter: string, message: PubsubMessage): boolean {
  if (!filter) return true;
  let predicate = compiled.get(filter);
  if (!predicate) compiled.set(filter, (predicate = parseFilter(filter)));
  return predicate(message.attributes);
}

type Predicate = (attributes: Record<string, string>) => boolean;

export function parseFilter(filter: string): Predicate {
  const tokens = filter.match(/"(?:[^"\\]|\\.)*"|!=|[=():,]|[^\s=():,!"]+/g) ?? [];
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const take = (expected?: string): string => {
    const t = tokens[pos++];
    if (t === undefined || (expected !== undefined && t.toUpperCase() !== expected)) throw grpcErrors.invalid(`Invalid filter "${filter}": expected ${expected ?? "more input"} at token ${pos}`);
    return t;
  };
  const str = (t: string): string => {
    if (!t.startsWith('"')) throw grpcErrors.invalid(`Invalid filter "${filter}": expected a quoted string, got ${t}`);
    return JSON.parse(t) as string;
  };
  const attributeKey = (t: string): string => {
    if (!t.startsWith("attributes.")) throw grpcErrors.invalid(`Invalid filter "${filter}": expected attributes.KEY, got ${t}`);
    return t.slice("attributes.".length);
  };
  const primary = (): Predicate => {
    const t = take();
    if (t.toUpperCase() === "NOT" || t === "-") {
      const inner = primary();
      return (a) => !inner(a);
    }
    if (t === "(") {
      const inner = or();
      take(")");
      return inner;
    }
    if (t === "hasPrefix") {
      take("(");
      const key = attributeKey(take());
      take(",");
      const prefix = str(take());
      take(")");
      return (a) => a[key] !== undefined && a[key].startsWith(prefix);
    }
    if (t === "attributes" && peek() === ":") {
      take(":");
      const key = take();
      return (a) => a[key] !== undefined;
    }
    const key = attributeKey(t);
    const op = take();
    if (op !== "=" && op !== "!=") throw grpcErrors.invalid(`Invalid filter "${filter}": unsupported operator ${op}`);
    const value = str(take());
    return op === "=" ? (a) => a[key] === value : (a) => a[key] !== value;
  };
  const and = (): Predicate => {
    let left = primary();
    while (peek()?.toUpperCase() === "AND") {
      take();
      const l = left;
      const r = primary();
      left = (a) => l(a) && r(a);
    }
    return left;
  };
  const or = (): Predicate => {
    let left = and();
    while (peek()?.toUpperCase() === "OR") {
      take();
      const l = left;
      const r = and();
      left = (a) => l(a) || r(a);
    }
    return left;
  };
  const predicate = or();
  if (pos < tokens.length) throw grpcErrors.invalid(`Invalid filter "${filter}": unexpected ${tokens[pos]}`);
  return predicate;
}
