/**
 * The worker container's first JavaScript (setup/worker/boot runs it). It starts the worker of
 * the Beamline copy the baked pipeline program was built against:
 *
 * - In the Beamline image, the programs (`BEAMLINE_PROGRAM=/app/dist/pipelines`) are part of this
 *   package: this copy's `main.js` runs.
 * - In a user's image built FROM it, the user's project brings its own `beamline` dependency
 *   (`node_modules/beamline`); its programs register with that copy, so that copy's worker must
 *   run them, whatever version the base image has.
 *
 * Only Node built-ins are loaded here, so no second copy of the SDK ends up in the process.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The program setting: `--program PATHS` / `--program=PATHS`, else BEAMLINE_PROGRAM. */
function programSetting(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--program") return argv[i + 1];
    if (argv[i]!.startsWith("--program=")) return argv[i]!.slice("--program=".length);
  }
  return env["BEAMLINE_PROGRAM"];
}

/** The root of the `beamline` package that code in `file` (a module or folder) imports, if it imports one from node_modules. */
export function beamlinePackageFor(file: string): string | undefined {
  let dir: string;
  try {
    dir = fs.statSync(file).isDirectory() ? file : path.dirname(file);
  } catch {
    return undefined;
  }
  // Walk node_modules folders by hand: require.resolve("beamline") called from this file would
  // resolve to this very package (a package may import itself by name), whatever `paths` says.
  for (let d = dir; ; d = path.dirname(d)) {
    const pkg = path.join(d, "node_modules", "beamline", "package.json");
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: string }).name === "beamline") return fs.realpathSync(path.dirname(pkg));
    if (d === path.dirname(d)) break;
  }
  return undefined;
}

/** The worker main module to run for these arguments. */
export function workerMainFor(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): string {
  const own = path.join(__dirname, "main.js");
  const setting = programSetting(argv, env);
  if (setting === undefined || setting === "") return own;
  const roots = new Set<string>();
  for (const p of setting.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const root = beamlinePackageFor(path.resolve(p));
    if (root !== undefined) roots.add(root);
  }
  if (roots.size > 1) throw new Error(`The programs in BEAMLINE_PROGRAM / --program (${setting}) use different copies of beamline (${[...roots].join(", ")}): a worker runs one`);
  const [root] = roots;
  if (root === undefined) return own;
  const theirs = path.join(root, "dist", "runners", "worker", "main.js");
  if (!fs.existsSync(theirs)) throw new Error(`The program's beamline package at ${root} has no ${path.relative(root, theirs)}: install a beamline version with the worker, or build it (npm run build)`);
  return theirs;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  let mainModule: string;
  try {
    mainModule = workerMainFor(argv, process.env);
  } catch (e) {
    process.stderr.write(`beamline worker: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const worker = require(mainModule) as { main(argv: readonly string[]): Promise<number> };
  worker.main(argv).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`beamline worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
