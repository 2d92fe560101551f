/**
 * Glob patterns compiled to anchored regular expressions, plus helpers to split a pattern into its
 * literal directory prefix (where a walk starts) and per-segment matchers (so a walk only descends
 * into directories that can match). Syntax: see ./filesystem (Beam's: `*`, `?`, `**`, `[abc]`,
 * `[!abc]`, plus `\` escapes). Segments are separated by `/`; a character class cannot contain `/`.
 *
 * Why not picomatch / minimatch (checked with picomatch 4.0.7 and minimatch 9.0.9, options
 * dot, nobrace, noextglob/noext, nonegate): Beam's `**` inside a segment (`a**z`) crosses
 * directories, which neither can express; picomatch does not match a literal name with
 * parentheses (`report (1).csv`) nor negate `[!a]`; both turn an invalid range `[z-a]` into a
 * pattern that silently matches nothing, where we report it. Translating our syntax for them would
 * take as much code as this file.
 */
import { FileSystemError } from "./filesystem";

const GLOB_SPECIAL = new Set(["*", "?", "[", "]", "\\"]);
const REGEX_SPECIAL = /[.*+?^${}()|[\]\\]/g;

/** True if the pattern has an unescaped `*`, `?` or `[`. */
export function hasGlobChars(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") i++;
    else if (c === "*" || c === "?" || c === "[") return true;
  }
  return false;
}

/** Quotes a literal path so that `match` treats every character literally. */
export function escapeGlob(literal: string): string {
  let out = "";
  for (const c of literal) out += GLOB_SPECIAL.has(c) ? "\\" + c : c;
  return out;
}

/** Removes glob escapes from a pattern without wildcards (`a\*b` → `a*b`). */
export function unescapeGlob(pattern: string): string {
  return pattern.replace(/\\(.)/gs, "$1");
}

function escapeRegex(s: string): string {
  return s.replace(REGEX_SPECIAL, "\\$&");
}

/** Parses `[...]` at `i`; undefined if unterminated (then `[` is literal). */
function parseClass(g: string, i: number): { source: string; next: number } | undefined {
  let j = i + 1;
  let negate = false;
  // Only `!` negates, as in all of Beam's globs (Python's fnmatch and translate_pattern, Java's
  // nio glob and FileSystemUtils): `[^a]` is one of `^` and `a`.
  if (g[j] === "!") {
    negate = true;
    j++;
  }
  let body = "";
  let first = true;
  for (; j < g.length; j++) {
    let c = g[j];
    if (c === "]" && !first) {
      return { source: negate ? `[^${body}/]` : `(?!/)[${body}]`, next: j + 1 };
    }
    first = false;
    if (c === "\\" && j + 1 < g.length) c = g[++j];
    else if (c === "-") {
      body += "-";
      continue;
    }
    body += c === "\\" || c === "]" || c === "[" || c === "^" ? "\\" + c : c;
  }
  return undefined;
}

/** The regular-expression source (unanchored) for a glob. */
export function globToRegexSource(g: string): string {
  let out = "";
  let i = 0;
  while (i < g.length) {
    const c = g[i];
    if (c === "\\") {
      if (i + 1 < g.length) {
        out += escapeRegex(g[i + 1]);
        i += 2;
      } else {
        out += "\\\\";
        i++;
      }
    } else if (c === "*") {
      let j = i;
      while (g[j] === "*") j++;
      if (j - i === 1) out += "[^/]*";
      else if ((i === 0 || g[i - 1] === "/") && g[j] === "/") {
        out += "(?:.*/)?"; // `**/` as a whole segment: zero or more directories
        j++;
      } else out += ".*";
      i = j;
    } else if (c === "?") {
      out += "[^/]";
      i++;
    } else if (c === "[") {
      const cls = parseClass(g, i);
      if (cls) {
        out += cls.source;
        i = cls.next;
      } else {
        out += "\\[";
        i++;
      }
    } else {
      out += escapeRegex(c);
      i++;
    }
  }
  return out;
}

/** An anchored regular expression matching exactly the paths the glob matches. */
export function globToRegExp(pattern: string): RegExp {
  const source = "^" + globToRegexSource(pattern) + "$";
  try {
    return new RegExp(source, "s");
  } catch (err) {
    throw new FileSystemError(
      `Invalid glob pattern '${pattern}': ${(err as Error).message}. ` +
        `Check character classes such as [a-z] (ranges must go upwards), or quote literal characters with '\\'.`,
      pattern,
      { cause: err, code: "INVALID_ARGUMENT" },
    );
  }
}

/** One segment of the wildcard part of a pattern. */
export interface GlobSegment {
  readonly glob: string;
  /** Matches one name; undefined for segments containing `**` (they cross directories). */
  readonly regex: RegExp | undefined;
}

/** A pattern split for walking. */
export interface CompiledGlob {
  /** The literal directory to walk from (unescaped; "" means the current directory). */
  readonly base: string;
  /** The segments after `base`. */
  readonly segments: readonly GlobSegment[];
  /** Index of the first segment containing `**` (segments.length if none). */
  readonly globstarAt: number;
  /** Matches the whole path relative to `base` (segments joined with `/`). */
  readonly relative: RegExp;
}

/** Splits a pattern with wildcards into its literal base directory and compiled segments. */
export function compileGlob(pattern: string): CompiledGlob {
  const parts = pattern.split("/");
  let k = 0;
  while (k < parts.length - 1 && !hasGlobChars(parts[k])) k++;
  let base = parts.slice(0, k).map(unescapeGlob).join("/");
  if (base === "" && pattern.startsWith("/")) base = "/";
  const rest = parts.slice(k);
  const segments = rest.map((glob) => ({
    glob,
    regex: glob.includes("**") ? undefined : globToRegExp(glob),
  }));
  const firstStar = segments.findIndex((s) => s.regex === undefined);
  return {
    base,
    segments,
    globstarAt: firstStar < 0 ? segments.length : firstStar,
    relative: globToRegExp(rest.join("/")),
  };
}
