/**
 * The error every coder throws when a value cannot be encoded or bytes cannot be decoded.
 *
 * Kept in its own module so that the low-level byte I/O and the coders can share it without an
 * import cycle; `coder.ts` re-exports it.
 */
import { PipelineError } from "../model/errors";

/**
 * A value could not be encoded, or bytes could not be decoded. The message says what failed
 * (coder, value or offset) and how to fix it.
 */
export class CoderError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A short, single-line rendering of a value for error messages. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
    case "bigint":
      return `${value}n`;
    case "function":
      return `function ${value.name || "(anonymous)"}`;
    case "symbol":
      return value.toString();
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return `an array of length ${value.length}`;
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === null || proto === Object.prototype) return "a plain object";
      const name = (value as { constructor?: { name?: string } }).constructor?.name;
      return name ? `a ${name} instance` : "an object with a custom prototype";
    }
    default:
      return Object.is(value, -0) ? "-0" : String(value);
  }
}
