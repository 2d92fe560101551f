/**
 * An on-disk V8 code cache for Beamline's own modules and installed packages.
 *
 * Why: a short run spends a tenth of its instructions parsing and compiling JavaScript (a 1-line
 * word count: 879 M instructions without the cache, 791 M with it; loading the Pub/Sub client
 * takes about a quarter less time). Node 22.1+ has this built in (`module.enableCompileCache`), and
 * we use it there; Node 20 has only the pieces (`vm.Script`'s `cachedData`), so on Node 20 we
 * compile CommonJS modules through `vm.Script` ourselves.
 *
 * Safety:
 * - an entry is named by the file's path and stat data (size, modification and change times to
 *   the nanosecond, inode), as git's index tells changed files apart: any write changes the
 *   change time, even one that puts the modification time back. So an edited file never runs
 *   stale code (V8's own check of cached code compares only the source's length);
 * - the directory must be the user's own and not writable by others, since its contents run as
 *   code;
 * - anything unexpected (no `vm` support, a write error, a module that does not compile) falls
 *   back to Node's own loader silently: the cache only ever saves time.
 *
 * Off with `BEAMLINE_COMPILE_CACHE=0` (or Node's `NODE_DISABLE_COMPILE_CACHE=1`); elsewhere with
 * `BEAMLINE_COMPILE_CACHE_DIR=<dir>`. Skipped under a debugger, source maps or V8 coverage, which
 * need Node's own compile path.
 *
 * @internal
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import Module = require("node:module");

/** The parts of Node's CommonJS `Module` the hook uses (not in @types/node). */
interface CjsModule {
  exports: unknown;
  require(id: string): unknown;
}
interface CjsModuleClass {
  prototype: { _compile(this: CjsModule, content: string, filename: string): unknown };
  wrap(source: string): string;
  _resolveFilename(request: string, parent: CjsModule, isMain: boolean, options?: { paths?: string[] }): string;
  _resolveLookupPaths(request: string, parent: CjsModule): string[] | null;
  _extensions: unknown;
  _cache: unknown;
  enableCompileCache?: (dir?: string) => unknown;
}

const STATE = Symbol.for("beamline.compileCache");
type Global = typeof globalThis & { [STATE]?: CompileCache | "off" };

/** The directory the cache uses, or undefined when it is turned off. */
export function compileCacheDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env["BEAMLINE_COMPILE_CACHE"];
  if (setting === "0" || setting === "false" || setting === "off" || env["NODE_DISABLE_COMPILE_CACHE"]) return undefined;
  const base = env["BEAMLINE_COMPILE_CACHE_DIR"] || path.join(os.tmpdir(), `beamline-compile-cache-${typeof process.getuid === "function" ? process.getuid() : "user"}`);
  return path.join(base, `${process.version}-${process.arch}`);
}

/** Debuggers, source maps and coverage hook Node's own compile step; leave it to them. */
function needsNodesOwnCompile(env: NodeJS.ProcessEnv): boolean {
  if (env["NODE_V8_COVERAGE"]) return true;
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled) return true;
  const flags = [...process.execArgv, env["NODE_OPTIONS"] ?? ""].join(" ");
  return /--inspect|--debug|--enable-source-maps|--experimental-policy|--experimental-permission/.test(flags);
}

/** Creates `dir` and says whether it is private to this user (its contents run as code). */
function usableDirectory(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const d of [dir, path.dirname(dir)]) {
      const st = fs.statSync(d);
      if (typeof process.getuid === "function" && st.uid !== process.getuid()) return false;
      if ((st.mode & 0o022) !== 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Two 32-bit FNV-style lanes over a short key, as 16 hex digits. Not for the sources themselves:
 * hashing ~0.7 MB of JavaScript in JS takes ~12 ms, and loading node:crypto or node:zlib to do it
 * natively costs a short run more than a stat per module.
 */
function hash64(key: string): string {
  let a = 0x811c9dc5 | 0;
  let b = 0x9747b28c | 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

/** `import(` anywhere, comments and strings included: a false match only costs the cache. */
const DYNAMIC_IMPORT = /\bimport\s*\(/;

class CompileCache {
  /** Scripts compiled without an accepted cache entry: written at exit, after a run. */
  private readonly fresh = new Map<string, vm.Script>();
  worthKeeping = false;
  /** Counts for `BEAMLINE_COMPILE_CACHE_DEBUG=1`: modules read from the cache, compiled afresh, entries written. */
  readonly counts = { hits: 0, compiled: 0, written: 0 };

  constructor(private readonly dir: string) {}

  compile(content: string, filename: string): ((...args: unknown[]) => unknown) | undefined {
    // A hashbang line is only valid at the very start of a script, not inside Module.wrap. And
    // V8 does not keep a script's dynamic-import handler through the cache (Node 20's import()
    // from such a script then fails), so modules that may call import() take Node's own path.
    if (content.startsWith("#!") || DYNAMIC_IMPORT.test(content)) return undefined;
    const stat = fs.statSync(filename, { bigint: true, throwIfNoEntry: false });
    if (stat === undefined) return undefined;
    const key = hash64(`${filename}\0${stat.size}\0${stat.mtimeNs}\0${stat.ctimeNs}\0${stat.ino}\0${content.length}`);
    const file = path.join(this.dir, `${key}.v8`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    let script: vm.Script;
    try {
      script = new vm.Script(Module.wrap(content), {
        filename,
        cachedData,
      });
    } catch {
      return undefined; // Node's loader reports the syntax error in its own words.
    }
    if (cachedData === undefined || script.cachedDataRejected === true) {
      this.fresh.set(file, script);
      this.counts.compiled++;
    } else {
      this.counts.hits++;
    }
    return script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
  }

  /** Writes the entries this thread compiled afresh; each through a temporary file, so readers see all or nothing. */
  flush(): void {
    if (!this.worthKeeping) return;
    for (const [file, script] of this.fresh) {
      const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      try {
        fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(temp, file);
        this.counts.written++;
      } catch {
        try {
          fs.rmSync(temp, { force: true });
        } catch {
          // Nothing more to do: the cache only saves time.
        }
      }
    }
    this.fresh.clear();
  }
}

/** A module inside Beamline's package or any installed package: code that changes only on install. */
function inScope(filename: string, packageRoot: string): boolean {
  return filename.startsWith(packageRoot) || filename.includes(`${path.sep}node_modules${path.sep}`);
}

/** Turns the cache on for this thread, once; later calls do nothing. */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const g = globalThis as Global;
  if (g[STATE] !== undefined) return;
  g[STATE] = "off";
  const dir = compileCacheDirectory(env);
  if (dir === undefined || needsNodesOwnCompile(env)) return;
  const ModuleClass = Module as unknown as CjsModuleClass;
  if (typeof ModuleClass.enableCompileCache === "function") {
    if (usableDirectory(dir)) ModuleClass.enableCompileCache(dir);
    return;
  }
  if (typeof ModuleClass.prototype._compile !== "function" || typeof ModuleClass.wrap !== "function") return;
  if (!usableDirectory(dir)) return;
  const cache = new CompileCache(dir);
  g[STATE] = cache;
  const packageRoot = path.resolve(__dirname, "..", "..") + path.sep;
  const nodesCompile = ModuleClass.prototype._compile;
  ModuleClass.prototype._compile = function compileWithCache(this: CjsModule, content: string, filename: string): unknown {
    const wrapper = inScope(filename, packageRoot) ? cache.compile(content, filename) : undefined;
    if (wrapper === undefined) return nodesCompile.call(this, content, filename);
    return wrapper.call(this.exports, this.exports, requireFor(this, ModuleClass), this, filename, path.dirname(filename));
  };
  // Worker threads end by termination, without this event: they save with saveCompileCacheNow().
  {
    process.once("exit", () => {
      cache.flush();
      if (env["BEAMLINE_COMPILE_CACHE_DEBUG"]) process.stderr.write(`beamline compile cache (${dir}): ${cache.counts.hits} modules from the cache, ${cache.counts.compiled} compiled, ${cache.counts.written} entries written\n`);
    });
  }
}

/** The `require` a module's code receives, as Node builds it. */
function requireFor(mod: CjsModule, ModuleClass: CjsModuleClass): NodeJS.Require {
  const require = ((id: string) => mod.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: { paths?: string[] }) => ModuleClass._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => ModuleClass._resolveLookupPaths(request, mod);
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = ModuleClass._extensions as NodeJS.RequireExtensions;
  require.cache = ModuleClass._cache as NodeJS.Dict<NodeModule>;
  return require;
}

/**
 * Called when a pipeline runs: only then are this thread's new entries written at exit, so a
 * `--help` does not leave entries holding only the few functions it compiled.
 */
export function keepCompileCache(): void {
  const state = (globalThis as Global)[STATE];
  if (state instanceof CompileCache) state.worthKeeping = true;
}

/**
 * Writes this thread's new entries now: for worker threads, which end by termination, without an
 * exit event. Cheap once nothing new was compiled.
 */
export function saveCompileCacheNow(): void {
  const state = (globalThis as Global)[STATE];
  if (state instanceof CompileCache) {
    state.worthKeeping = true;
    state.flush();
  }
}

enableCompileCache();
