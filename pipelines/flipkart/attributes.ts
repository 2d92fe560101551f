/**
 * `product_specifications` → `attributes`: the column holds a Ruby `Hash#inspect` dump,
 *
 *     {"product_specification"=>[{"key"=>"Fabric", "value"=>"Cotton"}, {"value"=>"3 shorts"}]}
 *     {"product_specification"=>{"key"=>"Body Material", "value"=>"croco leather"}}   (one entry: no list)
 *
 * parsed here by a small recursive-descent parser of that literal syntax (hashes with `=>`,
 * arrays, double-quoted strings with Ruby's escapes, nil/true/false, numbers), not by regular
 * expressions, so quotes, brackets and `=>` inside values cannot confuse it.
 *
 * The result is a JSON object of key → value for the entries that have both (key-less entries are
 * dropped, as the original did), formatted like Python's `json.dumps` (`{"k": "v", "k2": "v2"}`,
 * non-ASCII as \uXXXX) so it matches the original job's output byte for byte. A repeated key keeps
 * its first position and its last value (a Python dict).
 */

/** A value of the Ruby literal syntax. */
export type RubyValue = string | number | boolean | null | RubyValue[] | Map<string, RubyValue>;

/** The input is not a Ruby literal of the supported syntax. */
export class RubyLiteralError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at character ${position + 1}`);
    this.name = "RubyLiteralError";
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", e: "\x1b", s: " ", a: "\x07", b: "\b", f: "\f", v: "\v", "0": "\0" };

class Parser {
  private i = 0;
  constructor(private readonly text: string) {}

  parseDocument(): RubyValue {
    const value = this.value();
    this.space();
    if (this.i < this.text.length) throw new RubyLiteralError(`unexpected ${JSON.stringify(this.text[this.i])} after the value`, this.i);
    return value;
  }

  private space(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i]!)) this.i++;
  }

  private expect(token: string): void {
    this.space();
    if (!this.text.startsWith(token, this.i)) throw new RubyLiteralError(`expected '${token}'`, this.i);
    this.i += token.length;
  }

  private value(): RubyValue {
    this.space();
    const c = this.text[this.i];
    if (c === "{") return this.hash();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    for (const [word, v] of [["nil", null], ["true", true], ["false", false]] as const) {
      if (this.text.startsWith(word, this.i) && !/\w/.test(this.text[this.i + word.length] ?? "")) {
        this.i += word.length;
        return v;
      }
    }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.i, this.i + 64));
    if (m !== null) {
      this.i += m[0].length;
      return Number(m[0]);
    }
    throw new RubyLiteralError(c === undefined ? "unexpected end of text" : `unexpected ${JSON.stringify(c)}`, this.i);
  }

  private hash(): Map<string, RubyValue> {
    const out = new Map<string, RubyValue>();
    this.i++; // {
    this.space();
    if (this.text[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      const key = this.value();
      this.expect("=>");
      const v = this.value();
      out.set(typeof key === "string" ? key : JSON.stringify(key instanceof Map ? [...key] : key), v);
      this.space();
      const c = this.text[this.i];
      this.i++;
      if (c === "}") return out;
      if (c !== ",") throw new RubyLiteralError("expected ',' or '}' in a hash", this.i - 1);
    }
  }

  private array(): RubyValue[] {
    const out: RubyValue[] = [];
    this.i++; // [
    this.space();
    if (this.text[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.text[this.i];
      this.i++;
      if (c === "]") return out;
      if (c !== ",") throw new RubyLiteralError("expected ',' or ']' in a list", this.i - 1);
    }
  }

  private string(): string {
    const start = this.i;
    this.i++; // "
    let out = "";
    const t = this.text;
    for (;;) {
      const q = t.indexOf('"', this.i);
      const b = t.indexOf("\\", this.i);
      if (q < 0) throw new RubyLiteralError("a string is not closed", start);
      if (b < 0 || q < b) {
        out += t.slice(this.i, q);
        this.i = q + 1;
        return out;
      }
      out += t.slice(this.i, b);
      this.i = b + 1;
      out += this.escape();
    }
  }

  /** The character(s) of an escape sequence after its backslash. */
  private escape(): string {
    const t = this.text;
    const c = t[this.i];
    if (c === undefined) throw new RubyLiteralError("a string ends in a backslash", this.i);
    this.i++;
    if (c in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[c]!;
    if (c === "u") {
      if (t[this.i] === "{") {
        const close = t.indexOf("}", this.i);
        if (close < 0) throw new RubyLiteralError("\\u{ is not closed", this.i);
        const codes = t.slice(this.i + 1, close).trim().split(/\s+/);
        this.i = close + 1;
        return codes.map((h) => this.codePoint(h)).join("");
      }
      const hex = t.slice(this.i, this.i + 4);
      this.i += 4;
      return this.codePoint(hex, 4);
    }
    if (c === "x") {
      const m = /^[0-9a-fA-F]{1,2}/.exec(t.slice(this.i, this.i + 2));
      if (m === null) throw new RubyLiteralError("\\x needs hex digits", this.i);
      this.i += m[0].length;
      return String.fromCharCode(parseInt(m[0], 16));
    }
    return c; // \" \\ \# and any other character stand for themselves
  }

  private codePoint(hex: string, exactLength?: number): string {
    if (!/^[0-9a-fA-F]+$/.test(hex) || (exactLength !== undefined && hex.length !== exactLength)) {
      throw new RubyLiteralError(`bad unicode escape \\u${hex}`, this.i);
    }
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff) throw new RubyLiteralError(`unicode escape \\u${hex} is beyond U+10FFFF`, this.i);
    return String.fromCodePoint(cp);
  }
}

/** Parses a Ruby literal (hash, array, string, nil, true, false, number). */
export function parseRubyLiteral(text: string): RubyValue {
  return new Parser(text).parseDocument();
}

/** The key → value pairs of a specification, in first-occurrence order; throws RubyLiteralError if unparseable. */
export function specificationPairs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (text.trim() === "") return out;
  const root = parseRubyLiteral(text);
  if (root === null) return out;
  if (!(root instanceof Map)) throw new RubyLiteralError("the specification is not a hash", 0);
  const spec = root.get("product_specification");
  const entries = spec === undefined || spec === null ? [] : Array.isArray(spec) ? spec : [spec];
  for (const entry of entries) {
    if (!(entry instanceof Map)) continue;
    const key = entry.get("key");
    const value = entry.get("value");
    if (typeof key !== "string" || typeof value !== "string") continue; // key-less (or value-less) entries are dropped
    out.set(key, value);
  }
  return out;
}

/** A string as Python's json.dumps writes it (ensure_ascii: non-ASCII as \uXXXX). */
function pythonJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `{"k": "v", ...}` like Python's json.dumps of a dict. */
export function pythonJsonObject(pairs: ReadonlyMap<string, string>): string {
  const parts: string[] = [];
  for (const [k, v] of pairs) parts.push(`${pythonJsonString(k)}: ${pythonJsonString(v)}`);
  return `{${parts.join(", ")}}`;
}

/** The `attributes` column, or the reason the specification could not be parsed (then `{}`). */
export function attributesOf(specification: string): { json: string; error?: string } {
  try {
    return { json: pythonJsonObject(specificationPairs(specification)) };
  } catch (e) {
    if (!(e instanceof RubyLiteralError)) throw e;
    return { json: "{}", error: e.message };
  }
}
