/** Reads what a text sink wrote: every line of every file `prefix*`, sorted (none if the folder is missing). */
import * as fs from "node:fs";
import * as path from "node:path";

export function readShards(prefix: string): string[] {
  const dir = path.dirname(prefix);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(path.basename(prefix)))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n"))
    .filter((l) => l !== "")
    .sort();
}
