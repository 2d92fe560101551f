/**
 * Regex: Beam Java's `Regex` transforms over strings (matches, allMatches, matchesKV, find,
 * findAll, findKV, replaceAll, replaceFirst, split), with JavaScript's RegExp in place of Java's
 * Pattern. As in Beam Java: `matches*` need the whole string to match, `find*` a part of it
 * (their first match), and `split` outputs each piece as its own element.
 */
import { PipelineConstructionError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { KV, kv } from "../model/window";

/** A regular expression: source text (as `new RegExp(text)`) or a RegExp (its flags kept, `g` and `y` aside). */
export type RegexPattern = string | RegExp;
/** A capturing group: its number (0 is the whole match) or its name (`(?<name>...)`). */
export type RegexGroup = number | string;

/** The pattern's source and flags, without the ones that make `exec` stateful. */
function compile(transform: string, pattern: RegexPattern, extraFlags: string): RegExp {
  if (typeof pattern !== "string" && !(pattern instanceof RegExp)) {
    throw new PipelineConstructionError(`Regex.${transform}: the pattern must be a string or a RegExp, got ${String(pattern)}`);
  }
  const source = typeof pattern === "string" ? pattern : pattern.source;
  const flags = typeof pattern === "string" ? "" : pattern.flags.replace(/[gy]/g, "");
  try {
    return new RegExp(extraFlags === "whole" ? `(?:${source})(?![\\s\\S])` : source, flags + (extraFlags === "whole" ? "y" : extraFlags));
  } catch (e) {
    throw new PipelineConstructionError(`Regex.${transform}: ${(e as Error).message}; pass a valid JavaScript regular expression`);
  }
}

/** Refuses, when the transform is made, a group the pattern does not have (Beam Java fails on the first element). */
function checkGroup(transform: string, re: RegExp, group: RegexGroup): void {
  // Matching "" against `re|` (always matches) shows the pattern's groups, numbered and named.
  const probe = new RegExp(`${re.source}|`, re.flags.replace(/[gy]/g, "")).exec("")!;
  const ok = typeof group === "number" ? Number.isInteger(group) && group >= 0 && group < probe.length : probe.groups !== undefined && group in probe.groups;
  if (!ok) {
    const has = `it has groups 0..${probe.length - 1}${probe.groups === undefined ? "" : ` and names ${Object.keys(probe.groups).join(", ")}`}`;
    throw new PipelineConstructionError(`Regex.${transform}: /${re.source}/ has no group ${JSON.stringify(group)} (${has}); pass one of those`);
  }
}

/** A group of a match; a group that took no part in it is an error (Beam Java's String coder refuses its null). */
function groupOf(transform: string, m: RegExpExecArray, group: RegexGroup, element: string): string {
  const value = typeof group === "number" ? m[group] : m.groups?.[group];
  if (value === undefined) {
    throw new Error(`Regex.${transform}: group ${JSON.stringify(group)} took no part in the match of ${JSON.stringify(element)}, so there is no string to output; make the group non-optional or use ParDo`);
  }
  return value;
}

/** The first match at or after position 0 (find) or of the whole string (matches). */
function execFrom(re: RegExp, element: string): RegExpExecArray | null {
  re.lastIndex = 0;
  return re.exec(element);
}

/** A string-to-`Out` step: `fn` gives the element's outputs. */
class RegexTransform<Out> extends PTransform<PCollection<string>, PCollection<Out>> {
  constructor(
    private readonly step: string,
    private readonly fn: (element: string) => Iterable<Out>,
  ) {
    super(`Regex.${step}`);
  }
  expand(input: PCollection<string>): PCollection<Out> {
    const fn = this.fn;
    return input.flatMap(this.step, (element: string) => fn(element));
  }
}

/** The groups of a match, 0 (the whole match) first. */
function allGroups(transform: string, m: RegExpExecArray, element: string): string[] {
  return Array.from({ length: m.length }, (_, i) => groupOf(transform, m, i, element));
}

/**
 * The pieces of `element` between the matches of `re` (a `g` RegExp), as Java's `Pattern.split`:
 * no capture groups among them (unlike `String.prototype.split`), and a zero-width match at the
 * start makes no leading empty piece.
 */
function splitPieces(re: RegExp, element: string): string[] {
  const pieces: string[] = [];
  let from = 0;
  for (const m of element.matchAll(re)) {
    if (m.index === 0 && m[0].length === 0) continue;
    pieces.push(element.slice(from, m.index));
    from = m.index + m[0].length;
  }
  pieces.push(element.slice(from));
  return pieces;
}

/**
 * Regular-expression transforms over `PCollection<string>` (Beam Java's `Regex`; Beam Python's
 * `beam.Regex` has the same names in snake_case). Patterns are JavaScript RegExps (a string is
 * compiled with no flags; a RegExp keeps its flags, `g` and `y` aside); groups are numbers or
 * names. Elements that do not match are dropped (the replace transforms pass them on unchanged).
 */
export const Regex = {
  /** The group (default 0, the whole match) of each element the pattern matches entirely (Java `Matcher.matches`). */
  matches(pattern: RegexPattern, group: RegexGroup = 0): PTransform<PCollection<string>, PCollection<string>> {
    const re = compile("matches", pattern, "whole");
    checkGroup("matches", re, group);
    return new RegexTransform("Matches", (s) => {
      const m = execFrom(re, s);
      return m === null ? [] : [groupOf("matches", m, group, s)];
    });
  },

  /** All groups (0 first) of each element the pattern matches entirely, as an array. */
  allMatches(pattern: RegexPattern): PTransform<PCollection<string>, PCollection<string[]>> {
    const re = compile("allMatches", pattern, "whole");
    return new RegexTransform("AllMatches", (s) => {
      const m = execFrom(re, s);
      return m === null ? [] : [allGroups("allMatches", m, s)];
    });
  },

  /** `KV(keyGroup, valueGroup)` of each element the pattern matches entirely (valueGroup default 0). */
  matchesKV(pattern: RegexPattern, keyGroup: RegexGroup, valueGroup: RegexGroup = 0): PTransform<PCollection<string>, PCollection<KV<string, string>>> {
    const re = compile("matchesKV", pattern, "whole");
    checkGroup("matchesKV", re, keyGroup);
    checkGroup("matchesKV", re, valueGroup);
    return new RegexTransform("MatchesKV", (s) => {
      const m = execFrom(re, s);
      return m === null ? [] : [kv(groupOf("matchesKV", m, keyGroup, s), groupOf("matchesKV", m, valueGroup, s))];
    });
  },

  /** The group (default 0) of the first match within each element (Java `Matcher.find`, Python `re.search`). */
  find(pattern: RegexPattern, group: RegexGroup = 0): PTransform<PCollection<string>, PCollection<string>> {
    const re = compile("find", pattern, "");
    checkGroup("find", re, group);
    return new RegexTransform("Find", (s) => {
      const m = execFrom(re, s);
      return m === null ? [] : [groupOf("find", m, group, s)];
    });
  },

  /** All groups (0 first) of the first match within each element, as an array (Beam Java's findAll). */
  findAll(pattern: RegexPattern): PTransform<PCollection<string>, PCollection<string[]>> {
    const re = compile("findAll", pattern, "");
    return new RegexTransform("FindAll", (s) => {
      const m = execFrom(re, s);
      return m === null ? [] : [allGroups("findAll", m, s)];
    });
  },

  /** `KV(keyGroup, valueGroup)` of the first match within each element (valueGroup default 0). */
  findKV(pattern: RegexPattern, keyGroup: RegexGroup, valueGroup: RegexGroup = 0): PTransform<PCollection<string>, PCollection<KV<string, string>>> {
    const re = compile("findKV", pattern, "");
    checkGroup("findKV", re, keyGroup);
    checkGroup("findKV", re, valueGroup);
    return new RegexTransform("FindKV", (s) => {
      const m = execFrom(re, s);
      return m === null ? [] : [kv(groupOf("findKV", m, keyGroup, s), groupOf("findKV", m, valueGroup, s))];
    });
  },

  /** Each element with every match replaced (JavaScript replacement syntax: `$1`, `$<name>`, `$$`). */
  replaceAll(pattern: RegexPattern, replacement: string): PTransform<PCollection<string>, PCollection<string>> {
    const re = compile("replaceAll", pattern, "g");
    return new RegexTransform("ReplaceAll", (s) => [s.replace(re, replacement)]);
  },

  /** Each element with its first match replaced (JavaScript replacement syntax). */
  replaceFirst(pattern: RegexPattern, replacement: string): PTransform<PCollection<string>, PCollection<string>> {
    const re = compile("replaceFirst", pattern, "");
    return new RegexTransform("ReplaceFirst", (s) => [s.replace(re, replacement)]);
  },

  /**
   * The pieces of each element between the pattern's matches, each piece an element of its own
   * (as Beam Java; Beam Python outputs one array per element). Empty pieces are dropped unless
   * `outputEmpty` is true.
   */
  split(pattern: RegexPattern, outputEmpty = false): PTransform<PCollection<string>, PCollection<string>> {
    const re = compile("split", pattern, "g");
    return new RegexTransform("Split", (s) => {
      const pieces = splitPieces(re, s);
      return outputEmpty ? pieces : pieces.filter((p) => p !== "");
    });
  },
};
