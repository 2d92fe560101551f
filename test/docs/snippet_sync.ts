/**
 * The guide's code blocks are regions of docs/snippets/*.ts, which the build compiles and
 * test/docs/snippets.test.ts runs, so the guide cannot show code that does not compile or run.
 *
 * In the markdown, a region is included by a marker line right before a fenced block:
 *
 *     <!-- snippet: transforms.ts#pardo_class -->
 *     ```ts
 *     ...the region's lines, dedented...
 *     ```
 *
 * and in the snippet file a region is the lines between `// [START name]` and `// [END name]`
 * (Beam's own snippet markers). `node dist/test/docs/snippet_sync.js --write` (npm run
 * docs:snippets) rewrites the blocks from the regions; without --write it lists what differs.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root (this file runs from dist/test/docs/ or is read from test/docs/). */
export const REPO_ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..");
export const SNIPPETS_DIR = path.join(REPO_ROOT, "docs", "snippets");
export const DOCS_DIR = path.join(REPO_ROOT, "docs");

const MARKER = /^<!-- snippet: ([\w.-]+\.ts)#([\w-]+) -->$/;

/** The regions of a snippet file, by name, dedented. */
export function regionsOf(file: string): Map<string, string> {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const regions = new Map<string, string>();
  const open = new Map<string, number>();
  lines.forEach((line, i) => {
    const start = /^\s*\/\/ \[START ([\w-]+)\]\s*$/.exec(line);
    const end = /^\s*\/\/ \[END ([\w-]+)\]\s*$/.exec(line);
    if (start) {
      if (open.has(start[1]!) || regions.has(start[1]!)) throw new Error(`${file}:${i + 1}: region '${start[1]}' started twice`);
      open.set(start[1]!, i + 1);
    } else if (end) {
      const from = open.get(end[1]!);
      if (from === undefined) throw new Error(`${file}:${i + 1}: [END ${end[1]}] without its [START]`);
      open.delete(end[1]!);
      regions.set(end[1]!, dedent(lines.slice(from, i).filter((l) => !/\/\/ \[(START|END) [\w-]+\]/.test(l))));
    }
  });
  if (open.size > 0) throw new Error(`${file}: region(s) never ended: ${[...open.keys()].join(", ")}`);
  return regions;
}

function dedent(lines: readonly string[]): string {
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut).trimEnd()).join("\n");
}

/** Every markdown file under docs/ (recursively), except generated output. */
export function markdownFiles(dir = DOCS_DIR): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "api" ? [] : markdownFiles(p);
    return e.name.endsWith(".md") ? [p] : [];
  });
}

/** One marker's block, as it is and as it should be. */
export interface SnippetUse {
  readonly markdown: string;
  readonly line: number;
  readonly file: string;
  readonly region: string;
  readonly actual: string | undefined;
  readonly expected: string;
}

/** The markdown with every marked block replaced by its region, and each use found. */
export function syncMarkdown(markdownPath: string, regions: (file: string) => Map<string, string>): { text: string; uses: SnippetUse[] } {
  const lines = fs.readFileSync(markdownPath, "utf8").split("\n");
  const out: string[] = [];
  const uses: SnippetUse[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(line);
    const m = MARKER.exec(line.trim());
    if (!m) continue;
    const [, file, region] = m as unknown as [string, string, string];
    const markerLine = i + 1;
    const code = regions(file).get(region);
    if (code === undefined) throw new Error(`${markdownPath}:${i + 1}: docs/snippets/${file} has no region '${region}'`);
    let actual: string | undefined;
    if (lines[i + 1]?.startsWith("```")) {
      const close = lines.findIndex((l, j) => j > i + 1 && l.startsWith("```"));
      if (close < 0) throw new Error(`${markdownPath}:${i + 2}: unclosed code block`);
      actual = lines.slice(i + 2, close).join("\n");
      i = close;
    }
    out.push("```ts", code, "```");
    uses.push({ markdown: markdownPath, line: markerLine, file, region, actual, expected: code });
  }
  return { text: out.join("\n"), uses };
}

/** All uses in the docs; with `write`, rewrites the markdown files that differ. */
export function syncAll(write: boolean): SnippetUse[] {
  const cache = new Map<string, Map<string, string>>();
  const regions = (file: string): Map<string, string> => {
    let r = cache.get(file);
    if (r === undefined) {
      const full = path.join(SNIPPETS_DIR, file);
      if (!fs.existsSync(full)) throw new Error(`docs/snippets/${file} does not exist`);
      r = regionsOf(full);
      cache.set(file, r);
    }
    return r;
  };
  const uses: SnippetUse[] = [];
  for (const md of markdownFiles()) {
    const { text, uses: found } = syncMarkdown(md, regions);
    uses.push(...found);
    if (write && text !== fs.readFileSync(md, "utf8")) {
      fs.writeFileSync(md, text);
      process.stdout.write(`updated ${path.relative(REPO_ROOT, md)}\n`);
    }
  }
  return uses;
}

if (require.main === module) {
  const write = process.argv.includes("--write");
  const stale = syncAll(write).filter((u) => u.actual !== u.expected);
  if (!write && stale.length > 0) {
    for (const u of stale) process.stderr.write(`${path.relative(REPO_ROOT, u.markdown)}:${u.line}: differs from docs/snippets/${u.file}#${u.region}\n`);
    process.stderr.write("Run `npm run docs:snippets` to update the guide from the snippets.\n");
    process.exitCode = 1;
  }
}
