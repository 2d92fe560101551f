/**
 * Translates a GoogleSQL SELECT into SQLite's dialect for the query engine:
 * - table paths after FROM / JOIN / a comma (`p.d.t`, `` `p.d.t` ``, `d.t`, or `t` with a default
 *   dataset) become placeholders `"__t0"`, aliased by their last part so `t.col` still resolves;
 * - `"..."` strings become `'...'` (SQLite reads double quotes as identifiers) and backslash escapes
 *   are decoded; backtick identifiers become `"..."`;
 * - `TIMESTAMP '...'` literals become integer microseconds (how the engine stores timestamps) and
 *   `DATE`/`DATETIME`/`TIME '...'` literals plain strings (they compare correctly as text).
 * Anything else is passed through; SQLite reports what it cannot run.
 */
import { HttpError } from "../common/http";
import { parseTimestampMicros } from "./values";

export interface TablePath {
  projectId: string;
  datasetId: string;
  tableId: string;
}

export interface RewrittenQuery {
  sql: string;
  /** Placeholder name (`__t0`) → the table it stands for. */
  tables: Map<string, TablePath>;
  /** Named parameters used (`@name`, without the `@`). */
  namedParams: Set<string>;
  positionalParams: number;
}

type TokenKind = "ws" | "comment" | "string" | "ident" | "quoted" | "param" | "number" | "punct";
interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded string value (string) or identifier text (quoted). */
  value?: string;
}

export const invalidQuery = (message: string): HttpError => new HttpError(400, "invalidQuery", message);

/** Words that can follow a table path without being its alias. */
const NOT_ALIAS = new Set(
  "WHERE JOIN INNER LEFT RIGHT FULL CROSS OUTER ON USING GROUP ORDER LIMIT HAVING UNION EXCEPT INTERSECT WINDOW QUALIFY FOR TABLESAMPLE OFFSET NATURAL".split(" "),
);

/** Token patterns, sticky (`y`): matched in place at the current offset, so tokenizing is linear. */
const TOKEN_RES = {
  ws: /\s+/y,
  lineComment: /(--|#)[^\n]*/y,
  blockComment: /\/\*[\s\S]*?\*\//y,
  quote: /([rRbB]{0,2})('''|"""|'|")/y,
  ident: /[A-Za-z_][A-Za-z0-9_]*/y,
  param: /(@@?[A-Za-z_][A-Za-z0-9_.]*|\?)/y,
  number: /(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/iy,
  operator: /(<=|>=|<>|!=|\|\||<<|>>)/y,
};

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const at = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = i;
    return re.exec(sql);
  };
  while (i < sql.length) {
    const c = sql[i];
    let m: RegExpExecArray | null;
    if ((m = at(TOKEN_RES.ws))) tokens.push({ kind: "ws", text: m[0] });
    else if ((m = at(TOKEN_RES.lineComment)) || (m = at(TOKEN_RES.blockComment))) tokens.push({ kind: "comment", text: m[0] });
    else if ((m = at(TOKEN_RES.quote))) {
      const raw = /r/i.test(m[1]);
      const quote = m[2];
      let j = i + m[0].length;
      let value = "";
      for (;;) {
        if (j >= sql.length) throw invalidQuery(`Syntax error: Unclosed string literal at [${position(sql, i)}]`);
        if (sql.startsWith(quote, j)) break;
        if (sql[j] === "\\" && j + 1 < sql.length) {
          const e = sql[j + 1];
          value += raw ? `\\${e}` : ({ n: "\n", t: "\t", r: "\r", "0": "\0" } as Record<string, string>)[e] ?? e;
          j += 2;
        } else value += sql[j++];
      }
      tokens.push({ kind: "string", text: sql.slice(i, j + quote.length), value });
      i = j + quote.length;
      continue;
    } else if (c === "`") {
      const end = sql.indexOf("`", i + 1);
      if (end < 0) throw invalidQuery(`Syntax error: Unclosed identifier literal at [${position(sql, i)}]`);
      tokens.push({ kind: "quoted", text: sql.slice(i, end + 1), value: sql.slice(i + 1, end) });
    } else if ((m = at(TOKEN_RES.ident))) tokens.push({ kind: "ident", text: m[0] });
    else if ((m = at(TOKEN_RES.param))) tokens.push({ kind: "param", text: m[0] });
    else if ((m = at(TOKEN_RES.number))) tokens.push({ kind: "number", text: m[0] });
    else if ((m = at(TOKEN_RES.operator))) tokens.push({ kind: "punct", text: m[0] });
    else tokens.push({ kind: "punct", text: c });
    i += tokens[tokens.length - 1].text.length;
  }
  return tokens;
}

function position(sql: string, offset: number): string {
  const before = sql.slice(0, offset).split("\n");
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

const sqliteString = (value: string): string => `'${value.replace(/'/g, "''")}'`;
const sqliteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function rewriteQuery(sql: string, projectId: string, defaultDataset?: { projectId?: string; datasetId: string }): RewrittenQuery {
  const tokens = tokenize(sql);
  const significant = tokens.map((t, i) => i).filter((i) => tokens[i].kind !== "ws" && tokens[i].kind !== "comment");
  const first = significant.length > 0 ? tokens[significant[0]].text.toUpperCase() : "";
  if (first !== "SELECT" && first !== "WITH" && first !== "(") {
    throw invalidQuery(`The emulator runs only SELECT queries (optionally with WITH); got: ${first || "an empty query"}`);
  }
  // Names defined by WITH (`name AS (`) are not tables in the catalog.
  const cteNames = new Set<string>();
  for (let k = 0; k + 2 < significant.length; k++) {
    const [a, b, c] = [tokens[significant[k]], tokens[significant[k + 1]], tokens[significant[k + 2]]];
    if ((a.kind === "ident" || a.kind === "quoted") && b.text.toUpperCase() === "AS" && c.text === "(") cteNames.add((a.value ?? a.text).toLowerCase());
  }

  const out: string[] = [];
  const result: RewrittenQuery = { sql: "", tables: new Map(), namedParams: new Set(), positionalParams: 0 };
  let lastSignificantOut = -1; // index into `out` of the last significant token emitted
  let prevWord = "";
  let afterTable = false; // a table reference (and alias) just ended: a comma starts another
  const parenOwners: string[] = []; // the word before each open '(' (EXTRACT(x FROM y) has no table)
  let i = 0;
  const nextSignificant = (from: number): number => {
    let j = from;
    while (j < tokens.length && (tokens[j].kind === "ws" || tokens[j].kind === "comment")) j++;
    return j;
  };
  const emit = (text: string, isSignificant = true): void => {
    out.push(text);
    if (isSignificant) lastSignificantOut = out.length - 1;
  };

  while (i < tokens.length) {
    const t = tokens[i];
    if (t.kind === "ws" || t.kind === "comment") {
      emit(t.kind === "ws" ? t.text : " ", false);
      i++;
      continue;
    }
    const upper = t.kind === "ident" ? t.text.toUpperCase() : "";
    const inFunction = ["EXTRACT", "TRIM", "SUBSTRING"].includes(parenOwners[parenOwners.length - 1] ?? "");
    const startsTable = !inFunction && (prevWord === "FROM" || prevWord === "JOIN" || (afterTable && t.text === ",")) && (t.kind === "ident" || t.kind === "quoted");
    if (startsTable && !(t.kind === "ident" && upper === "UNNEST")) {
      // Read a dotted path; unquoted project ids may contain dashes (my-project.d.t).
      const parts: string[] = [];
      let j = i;
      let text = "";
      for (;;) {
        const tok = tokens[j];
        if (tok?.kind === "quoted") parts.push(...(tok.value ?? "").split("."));
        else if (tok?.kind === "ident" || tok?.kind === "number") {
          text = tok.text;
          while (tokens[j + 1]?.text === "-" && (tokens[j + 2]?.kind === "ident" || tokens[j + 2]?.kind === "number")) {
            text += `-${tokens[j + 2].text}`;
            j += 2;
          }
          parts.push(text);
        } else break;
        j++;
        if (tokens[j]?.text === "." && (tokens[j + 1]?.kind === "ident" || tokens[j + 1]?.kind === "quoted")) j++;
        else break;
      }
      if (parts.length === 1 && cteNames.has(parts[0].toLowerCase())) {
        emit(sqliteIdent(parts[0]));
      } else {
        const path = resolvePath(parts, projectId, defaultDataset);
        const placeholder = `__t${result.tables.size}`;
        result.tables.set(placeholder, path);
        emit(sqliteIdent(placeholder));
        const k = nextSignificant(j);
        const following = tokens[k];
        const hasAlias = following !== undefined && (following.kind === "quoted" || (following.kind === "ident" && !NOT_ALIAS.has(following.text.toUpperCase())));
        if (!hasAlias) emit(` AS ${sqliteIdent(path.tableId)}`);
      }
      i = j;
      afterTable = true;
      prevWord = "";
      continue;
    }
    if (t.text === ",") {
      // A comma after a table (or its alias) in FROM continues the FROM list.
      emit(",");
      prevWord = afterTable ? "FROM" : "";
      afterTable = false;
      i++;
      continue;
    }
    if (afterTable && !(t.kind === "ident" && (upper === "AS" || !NOT_ALIAS.has(upper))) && t.kind !== "quoted") afterTable = false;

    switch (t.kind) {
      case "string": {
        const typed = prevWord;
        if (typed === "TIMESTAMP") {
          const micros = parseTimestampMicros(t.value ?? "");
          if (micros === undefined) throw invalidQuery(`Invalid TIMESTAMP literal: ${t.text}`);
          out[lastSignificantOut] = "";
          emit(micros.toString());
        } else {
          if (typed === "DATE" || typed === "DATETIME" || typed === "TIME") out[lastSignificantOut] = "";
          emit(sqliteString(t.value ?? ""));
        }
        break;
      }
      case "quoted":
        emit(sqliteIdent(t.value ?? ""));
        break;
      case "param":
        if (t.text === "?") result.positionalParams++;
        else if (!t.text.startsWith("@@")) result.namedParams.add(t.text.slice(1));
        else throw invalidQuery(`System variables are not supported by the emulator: ${t.text}`);
        emit(t.text);
        break;
      case "punct":
        if (t.text === ";") {
          if (nextSignificant(i + 1) < tokens.length) throw invalidQuery("The emulator runs one statement per query (found ';' followed by more SQL)");
          i++;
          continue;
        }
        if (t.text === "(") parenOwners.push(prevWord);
        if (t.text === ")") parenOwners.pop();
        emit(t.text);
        break;
      default:
        emit(t.text);
    }
    prevWord = upper;
    i++;
  }
  result.sql = out.join("");
  return result;
}

function resolvePath(parts: string[], projectId: string, defaultDataset?: { projectId?: string; datasetId: string }): TablePath {
  if (parts.length === 3) return { projectId: parts[0], datasetId: parts[1], tableId: parts[2] };
  if (parts.length === 2) return { projectId, datasetId: parts[0], tableId: parts[1] };
  if (parts.length === 1) {
    if (!defaultDataset) throw invalidQuery(`Table "${parts[0]}" must be qualified with a dataset (e.g. \`dataset.table\`).`);
    return { projectId: defaultDataset.projectId || projectId, datasetId: defaultDataset.datasetId, tableId: parts[0] };
  }
  throw invalidQuery(`Invalid table name: ${parts.join(".")}`);
}
