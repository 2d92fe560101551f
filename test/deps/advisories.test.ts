/**
 * `npm audit` cannot reach an advisory service here, so the lockfile is checked against a list of
 * known-bad versions (./known_bad.json, with the advisory ids): every package npm would install —
 * production and development — must be outside every listed range.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");

interface Advisory {
  readonly package: string;
  readonly ranges: readonly string[];
  readonly id: string;
  readonly severity: string;
  readonly title: string;
}

interface Lockfile {
  readonly packages: Record<string, { readonly version?: string; readonly dev?: boolean }>;
}

/** `major.minor.patch[-pre]` as comparable parts; a prerelease sorts before its release. */
function parse(version: string): [number, number, number, string] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(version.trim());
  if (!m) throw new Error(`not a plain version: '${version}'`);
  return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ?? ""];
}

function compare(a: string, b: string): number {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  if (x[3] === y[3]) return 0;
  if (x[3] === "") return 1;
  if (y[3] === "") return -1;
  return x[3] < y[3] ? -1 : 1;
}

/** True if `version` satisfies every comparator of `range` (e.g. ">=6.10.0 <6.11.4"). */
export function inRange(version: string, range: string): boolean {
  return range
    .trim()
    .split(/\s+/)
    .every((comparator) => {
      const m = /^(>=|<=|>|<|=)(.+)$/.exec(comparator);
      if (!m) throw new Error(`bad comparator '${comparator}' in range '${range}'`);
      const c = compare(version, m[2]);
      return m[1] === ">=" ? c >= 0 : m[1] === "<=" ? c <= 0 : m[1] === ">" ? c > 0 : m[1] === "<" ? c < 0 : c === 0;
    });
}

/** Every install path in the lockfile with a version some advisory lists. */
export function findKnownBad(lock: Lockfile, advisories: readonly Advisory[]): string[] {
  const found: string[] = [];
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (where === "" || entry.version === undefined) continue;
    const name = where.slice(where.lastIndexOf("node_modules/") + "node_modules/".length);
    for (const a of advisories) {
      if (a.package === name && a.ranges.some((r) => inRange(entry.version!, r))) {
        found.push(`${name}@${entry.version} (${where}${entry.dev ? ", dev" : ""}): ${a.severity} ${a.id} — ${a.title}`);
      }
    }
  }
  return found;
}

describe("dependencies: no version with a known high or critical advisory", () => {
  const advisories = (JSON.parse(fs.readFileSync(path.join(ROOT, "test", "deps", "known_bad.json"), "utf8")) as { advisories: Advisory[] }).advisories;

  it("matches version ranges the way npm does for plain versions", () => {
    assert.ok(inRange("6.11.2", ">=6.10.0 <6.11.4"));
    assert.ok(!inRange("6.11.4", ">=6.10.0 <6.11.4"));
    assert.ok(inRange("7.2.4", ">=7.0.0 <7.2.5"));
    assert.ok(inRange("8.0.0", "=8.0.0"));
    assert.ok(!inRange("8.0.1", "=8.0.0"));
    assert.ok(inRange("1.4.0-beta.1", "<1.4.0"), "a prerelease comes before its release");
    assert.ok(inRange("2.0.1", "<=2.0.1"));
  });

  it("the list is well formed (ids, severities, parseable ranges)", () => {
    assert.ok(advisories.length > 10);
    for (const a of advisories) {
      assert.match(a.id, /^(GHSA(-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,})$/, a.id);
      assert.ok(["high", "critical"].includes(a.severity), `${a.id}: ${a.severity}`);
      for (const r of a.ranges) inRange("0.0.1", r);
    }
  });

  it("flags the protobufjs copies that apache-beam's old Pub/Sub client brought in", () => {
    const old: Lockfile = {
      packages: {
        "": {},
        "node_modules/apache-beam/node_modules/google-gax/node_modules/protobufjs": { version: "6.11.2" },
        "node_modules/apache-beam/node_modules/protobufjs": { version: "6.11.6" },
        "node_modules/protobufjs": { version: "7.6.6" },
      },
    };
    const found = findKnownBad(old, advisories);
    assert.ok(found.some((f) => f.startsWith("protobufjs@6.11.2") && f.includes("GHSA-h755-8qp9-cq85")));
    assert.ok(found.some((f) => f.startsWith("protobufjs@6.11.6") && f.includes("GHSA-xq3m-2v4x-88gg")));
    assert.ok(!found.some((f) => f.startsWith("protobufjs@7.6.6")));
  });

  it("package-lock.json installs none of them", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as Lockfile;
    const found = findKnownBad(lock, advisories);
    assert.deepEqual(found, [], `known-bad versions in package-lock.json:\n  ${found.join("\n  ")}\nUpdate them, or pin them away with "overrides" in package.json.`);
  });
});
