/**
 * The on-disk code cache (lib/compile_cache.ts), in child processes: what a run writes, that the
 * next run reads it, and that it never serves code that no longer matches its file.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const DIST = path.resolve(__dirname, "..", "..");
const WORDCOUNT = path.join(DIST, "pipelines", "wordcount.js");
const COMPILE_CACHE = path.join(DIST, "lib", "compile_cache.js");
const builtIn = typeof (require("node:module") as { enableCompileCache?: unknown }).enableCompileCache === "function";

describe("compile cache", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-cc-test-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs node with the cache in `<dir>/cache` (coverage off: it takes Node's own compile path). */
  function node(args: string[], extraEnv: Record<string, string> = {}): { stdout: string; stderr: string; status: number | null } {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env["NODE_V8_COVERAGE"];
    delete env["BEAMLINE_COMPILE_CACHE"];
    Object.assign(env, { BEAMLINE_COMPILE_CACHE_DIR: path.join(dir, "cache"), BEAMLINE_COMPILE_CACHE_DEBUG: "1", ...extraEnv });
    const r = spawnSync(process.execPath, args, { env, encoding: "utf8", cwd: dir });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  }
  const entries = (): string[] => {
    const root = path.join(dir, "cache");
    if (!fs.existsSync(root)) return [];
    return fs.readdirSync(root).flatMap((v) => fs.readdirSync(path.join(root, v)));
  };
  const stats = (stderr: string): { hits: number; compiled: number; written: number } => {
    const m = /(\d+) modules from the cache, (\d+) compiled, (\d+) entries written/.exec(stderr);
    assert.ok(m, `no compile-cache line in:\n${stderr}`);
    return { hits: Number(m[1]), compiled: Number(m[2]), written: Number(m[3]) };
  };

  it("a run writes an entry per module; the next run reads them all and writes the same output", function () {
    if (builtIn) this.skip(); // Node 22+: Node's own cache, tested by Node
    const input = path.join(dir, "in.txt");
    fs.writeFileSync(input, "the cat and the hat\n");
    const first = node([WORDCOUNT, "--input", input, "--output", path.join(dir, "a")]);
    assert.equal(first.status, 0, first.stderr);
    const s1 = stats(first.stderr);
    assert.equal(s1.hits, 0);
    assert.ok(s1.compiled >= 40, `compiled ${s1.compiled}`);
    assert.equal(s1.written, s1.compiled);
    assert.equal(entries().length, s1.written);

    const second = node([WORDCOUNT, "--input", input, "--output", path.join(dir, "b")]);
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(stats(second.stderr), { hits: s1.compiled, compiled: 0, written: 0 });
    assert.equal(fs.readFileSync(path.join(dir, "b-00000-of-00001"), "utf8"), fs.readFileSync(path.join(dir, "a-00000-of-00001"), "utf8"));
    assert.equal(fs.readFileSync(path.join(dir, "a-00000-of-00001"), "utf8").split("\n").filter((l) => l !== "").sort().join("|"), "and: 1|cat: 1|hat: 1|the: 2");
  });

  it("--help writes nothing (its entries would hold only the few functions it compiled)", function () {
    if (builtIn) this.skip();
    const r = node([WORDCOUNT, "--help"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(stats(r.stderr).written, 0);
    assert.deepEqual(entries(), []);
  });

  it("an edited module of the same length runs its new code; require.resolve works in cached modules; modules calling import() are left to Node", function () {
    if (builtIn) this.skip();
    const pkg = path.join(dir, "node_modules", "fixture");
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, "other.js"), "module.exports = 'other';\n");
    fs.writeFileSync(path.join(pkg, "dynamic.js"), "module.exports = () => import('./other.js').then((m) => m.default);\n");
    const source = (word: string): string => `module.exports = { word: '${word}', resolved: require.resolve('./other'), load: require('./dynamic') };\n`;
    fs.writeFileSync(path.join(pkg, "index.js"), source("aa"));
    const script = `const cc = require(${JSON.stringify(COMPILE_CACHE)}); const f = require('fixture'); f.load().then((o) => { console.log(f.word, require('path').basename(f.resolved), o); cc.saveCompileCacheNow(); });`;
    const first = node(["-e", script]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout.trim(), "aa other.js other");
    const s1 = stats(first.stderr);
    assert.ok(s1.compiled >= 1 && s1.written === s1.compiled, first.stderr);

    const again = node(["-e", script]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout.trim(), "aa other.js other");
    assert.deepEqual(stats(again.stderr), { hits: s1.compiled, compiled: 0, written: 0 });
    assert.doesNotMatch(again.stderr, /Warning/);

    // Same length: V8's own check of cached code compares only the source's length.
    fs.writeFileSync(path.join(pkg, "index.js"), source("bb"));
    const edited = node(["-e", script]);
    assert.equal(edited.status, 0, edited.stderr);
    assert.equal(edited.stdout.trim(), "bb other.js other");
  });

  it("a directory others can write to is not used, and BEAMLINE_COMPILE_CACHE=0 turns the cache off", function () {
    if (builtIn) this.skip();
    const input = path.join(dir, "in.txt");
    fs.writeFileSync(input, "x\n");
    fs.mkdirSync(path.join(dir, "cache"), { mode: 0o777 });
    fs.chmodSync(path.join(dir, "cache"), 0o777);
    const open = node([WORDCOUNT, "--input", input, "--output", path.join(dir, "a")]);
    assert.equal(open.status, 0, open.stderr);
    assert.doesNotMatch(open.stderr, /compile cache/);
    assert.deepEqual(entries(), []);

    fs.chmodSync(path.join(dir, "cache"), 0o700);
    const off = node([WORDCOUNT, "--input", input, "--output", path.join(dir, "b")], { BEAMLINE_COMPILE_CACHE: "0" });
    assert.equal(off.status, 0, off.stderr);
    assert.doesNotMatch(off.stderr, /compile cache/);
    assert.deepEqual(entries(), []);
  });
});
