/**
 * A user's project outside the repository, installed from the packed tarball without the network:
 * examples/starter copied to a temporary directory, depending on `file:beamline-X.tgz`.
 *
 * `npm ci --offline` installs from npm's cache only, but needs a lockfile: `npm ci` in this
 * repository cached every package tarball, not the registry metadata a fresh resolution reads. The
 * project's lockfile is therefore derived from this repository's: beamline's runtime dependency
 * tree is exactly the repository's non-dev tree (the same versions, at the same paths), plus the
 * starter's two devDependencies (typescript, @types/node) and what they need.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "..", "..", "..");
const STARTER = path.join(REPO, "examples", "starter");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}
interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** Packs the repository (its current dist/) into `dir`; returns the tarball's path. */
export function packRepository(dir: string): string {
  const out = execFileSync(NPM, ["pack", "--pack-destination", dir, "--json"], { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [info] = JSON.parse(out) as [{ filename: string }];
  return path.join(dir, info.filename);
}

/** The lock entries that packages `roots` (dependencies of the root) need, following Node's resolution through the lock's paths. */
function closure(packages: Record<string, LockEntry>, roots: readonly string[]): Set<string> {
  const needed = new Set<string>();
  const visit = (from: string, name: string, required = true): void => {
    // Resolution looks in from/node_modules, then each ancestor's node_modules, up to the root.
    for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
      const at = dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      if (packages[at] !== undefined) {
        if (!needed.has(at)) {
          needed.add(at);
          const e = packages[at]!;
          for (const dep of Object.keys(e.dependencies ?? {})) visit(at, dep);
          // Optional dependencies for other platforms, and peers nobody installed, are absent: fine.
          for (const dep of Object.keys({ ...(e["optionalDependencies"] as object | undefined), ...(e["peerDependencies"] as object | undefined) })) visit(at, dep, false);
        }
        return;
      }
      if (dir === "") {
        if (!required) return;
        throw new Error(`the repository's lockfile has no package '${name}' reachable from '${from || "(root)"}'`);
      }
    }
  };
  for (const name of roots) visit("", name);
  return needed;
}

/** Copies the starter to a new temporary directory wired to the tarball; installs it offline. */
export function installStarter(tarball: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-user-project-"));
  fs.cpSync(STARTER, dir, { recursive: true, filter: (src) => !/[/\\](node_modules|dist|out)$/.test(src) });
  const local = path.basename(tarball);
  fs.copyFileSync(tarball, path.join(dir, local));

  const beamline = JSON.parse(execFileSync("tar", ["-xOzf", tarball, "package/package.json"], { encoding: "utf8" })) as PackageJson;
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson;
  pkg.dependencies = { ...pkg.dependencies, beamline: `file:${local}` };
  fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);

  const repoLock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const runtime = closure(repoLock.packages, Object.keys(beamline.dependencies ?? {}));
  const dev = closure(repoLock.packages, Object.keys(pkg.devDependencies ?? {}));
  const packages: Record<string, LockEntry> = {
    "": { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies },
    "node_modules/beamline": {
      version: beamline.version,
      resolved: `file:${local}`,
      integrity: `sha512-${createHash("sha512").update(fs.readFileSync(tarball)).digest("base64")}`,
      license: beamline["license"],
      dependencies: beamline.dependencies,
      bin: beamline["bin"],
      engines: beamline["engines"],
    },
  };
  for (const at of [...runtime, ...dev].sort()) {
    const { dev: _dev, devOptional: _devOptional, ...entry } = repoLock.packages[at]!;
    packages[at] = runtime.has(at) ? entry : { ...entry, dev: true };
  }
  fs.writeFileSync(path.join(dir, "package-lock.json"), `${JSON.stringify({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);

  execFileSync(NPM, ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  return dir;
}
