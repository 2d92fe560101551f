/**
 * A Parquet program for worker threads, the Fn API harness and real runners: reads pyarrow's golden
 * files (every codec) by pattern in small ranges, by ReadAllFromParquet with file names and a
 * column projection, and writes rows with WriteToParquet. `parquetProgram` writes `--output/users`
 * (`<id>:<name>`), `--output/named` (`<file>:<id>`) and `--output/written-*.parquet`;
 * PARQUET_EXPECTED is what they hold.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { Create, definePipeline, type KV, ReadAllFromParquet, ReadFromParquet, WriteToParquet } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import { readShards } from "../helpers";
import { GOLDEN_CODECS, PARQUET_FIXTURES, type User, USER_SCHEMA, USERS } from "./parquet_fixtures";

export const PARQUET_EXPECTED = {
  users: GOLDEN_CODECS.flatMap(() => USERS.map((u) => `${u.id}:${u.name}`)).sort(),
  named: USERS.flatMap((u) => GOLDEN_CODECS.map((c) => `users.${c}.parquet:${u.id}`)).sort(),
  written: USERS.map((u) => ({ ...u, name: `${u.name}!` })),
};

export const parquetProgram = definePipeline({
  name: "parquet-test",
  description: "ReadFromParquet (split by row groups), ReadAllFromParquet.withFilename and WriteToParquet",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply("Read", ReadFromParquet.from<User>(path.join(PARQUET_FIXTURES, "users.*.parquet"), { int64: "bigint", desiredBundleSizeBytes: 500 }))
      .map("Format", (u: User) => `${u.id}:${u.name}`)
      .apply("WriteUsers", WriteToText.to(`${flags.output}/users`, { numShards: 1 }));
    root
      .apply("Patterns", Create.of(path.join(PARQUET_FIXTURES, "users.*.parquet"), path.join(PARQUET_FIXTURES, "*.nothing")))
      .apply("ReadAll", ReadAllFromParquet.withFilename<{ id: number }>({ columns: ["id"], desiredBundleSizeBytes: 700 }))
      .map("FormatNamed", (r: KV<string, { id: number }>) => `${path.basename(r.key)}:${r.value.id}`)
      .apply("WriteNamed", WriteToText.to(`${flags.output}/named`, { numShards: 1 }));
    root
      .apply("Read2", ReadFromParquet.from<User>(path.join(PARQUET_FIXTURES, "users.snappy.parquet"), { int64: "bigint" }))
      .map("Rename", (u: User) => ({ ...u, name: `${u.name}!` }))
      .apply("WriteParquet", WriteToParquet.to(`${flags.output}/written`, { schema: USER_SCHEMA, codec: "gzip", rowGroupSize: 2, suffix: ".parquet", numShards: 2 }));
  },
});

/** The rows of the written files, by id, and the files' names. */
export async function writtenParquet(dir: string): Promise<{ files: string[]; rows: User[] }> {
  const fs = await import("node:fs");
  const { fileBuffer, hyparquet, readCompressors } = await import("../../lib/io/parquet/library");
  const files = fs.readdirSync(dir).filter((f) => f.startsWith("written")).sort();
  const rows: User[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    rows.push(...((await hyparquet().parquetReadObjects({ file: fileBuffer(file, fs.statSync(file).size), utf8: false, compressors: readCompressors() })) as User[]));
  }
  // hyparquet gives a null struct or list as undefined; ReadFromParquet gives null.
  const plain = rows.map((r) => ({ ...r, tags: r.tags ?? null, address: r.address ?? null }));
  return { files, rows: plain.sort((a, b) => Number(a.id - b.id)) };
}

/** Checks a run's outputs against PARQUET_EXPECTED. */
export async function checkParquetOutput(output: string, label: string): Promise<void> {
  assert.deepEqual(readShards(path.join(output, "users")), PARQUET_EXPECTED.users, label);
  assert.deepEqual(readShards(path.join(output, "named")), PARQUET_EXPECTED.named, label);
  const w = await writtenParquet(output);
  assert.deepEqual(w.files, ["written-00000-of-00002.parquet", "written-00001-of-00002.parquet"], label);
  assert.deepStrictEqual(w.rows, PARQUET_EXPECTED.written, label);
}
