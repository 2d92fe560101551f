/**
 * objects.list semantics: prefix, delimiter (names collapse into `prefixes`), startOffset/endOffset,
 * matchGlob, and paging where `maxResults` counts objects and prefixes together, as the real API does.
 */
import { httpErrors } from "../common/http";
import type { StoredObject } from "./store";

export interface ListOptions {
  prefix: string;
  delimiter: string;
  startOffset?: string;
  endOffset?: string;
  matchGlob?: string;
  includeTrailingDelimiter: boolean;
  maxResults: number;
  pageToken?: string;
}

export interface ListPage {
  items: StoredObject[];
  prefixes: string[];
  nextPageToken?: string;
}

/** The position a page ended at: the last name (or collapsed prefix) it returned. */
interface PageCursor {
  after: string;
  /** True when `after` is a collapsed prefix: every name under it was already covered. */
  isPrefix: boolean;
}

const encodeCursor = (cursor: PageCursor): string => Buffer.from(JSON.stringify(cursor)).toString("base64url");

function decodeCursor(token: string): PageCursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as PageCursor;
    if (typeof cursor.after === "string") return cursor;
  } catch {
    // fall through to the error below
  }
  throw httpErrors.invalid(`Invalid pageToken: ${token}`);
}

/** `objects` must be sorted by name. */
export function listObjectsPage(objects: StoredObject[], opts: ListOptions): ListPage {
  const glob = opts.matchGlob ? globToRegExp(opts.matchGlob) : undefined;
  const cursor = opts.pageToken ? decodeCursor(opts.pageToken) : undefined;
  const page: ListPage = { items: [], prefixes: [] };
  let count = 0;
  let lastEntry: PageCursor | undefined;
  for (const object of objects) {
    const name = object.name;
    if (!name.startsWith(opts.prefix)) continue;
    if (opts.startOffset !== undefined && name < opts.startOffset) continue;
    if (opts.endOffset !== undefined && opts.endOffset !== "" && name >= opts.endOffset) continue;
    if (glob && !glob.test(name)) continue;
    if (cursor && (name <= cursor.after || (cursor.isPrefix && name.startsWith(cursor.after)))) continue;

    let collapsed: string | undefined;
    if (opts.delimiter) {
      const cut = name.indexOf(opts.delimiter, opts.prefix.length);
      if (cut >= 0) collapsed = name.slice(0, cut + opts.delimiter.length);
    }
    // A name that falls under the prefix just emitted adds nothing new (except, with
    // includeTrailingDelimiter, the object named exactly like the prefix).
    if (collapsed !== undefined && lastEntry?.isPrefix && lastEntry.after === collapsed) {
      if (opts.includeTrailingDelimiter && name === collapsed) page.items.push(object);
      continue;
    }
    if (count === opts.maxResults) {
      if (lastEntry) page.nextPageToken = encodeCursor(lastEntry);
      break;
    }
    count++;
    if (collapsed !== undefined) {
      page.prefixes.push(collapsed);
      if (opts.includeTrailingDelimiter && name === collapsed) page.items.push(object);
      lastEntry = { after: collapsed, isPrefix: true };
    } else {
      page.items.push(object);
      lastEntry = { after: name, isPrefix: false };
    }
  }
  return page;
}

/**
 * matchGlob: `**` matches across `/`, `*` within one segment, `?` one non-`/` character, `[...]`
 * a character class and `{a,b}` alternatives.
 */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  let i = 0;
  let braceDepth = 0;
  while (i < glob.length) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      // `**/` also matches zero directories.
      if (glob[i + 2] === "/") {
        out += "(?:.*/)?";
        i += 3;
      } else {
        out += ".*";
        i += 2;
      }
      continue;
    }
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 1);
      if (close < 0) throw httpErrors.invalid(`Invalid matchGlob (unclosed '['): ${glob}`);
      let cls = glob.slice(i + 1, close);
      if (cls.startsWith("!")) cls = `^${cls.slice(1)}`;
      out += `[${cls.replace(/\\/g, "\\\\")}]`;
      i = close + 1;
      continue;
    } else if (c === "{") {
      braceDepth++;
      out += "(?:";
    } else if (c === "}" && braceDepth > 0) {
      braceDepth--;
      out += ")";
    } else if (c === "," && braceDepth > 0) out += "|";
    else out += c.replace(/[.+^$()|\\{}]/g, "\\$&");
    i++;
  }
  if (braceDepth !== 0) throw httpErrors.invalid(`Invalid matchGlob (unclosed '{'): ${glob}`);
  return new RegExp(`^${out}$`);
}
