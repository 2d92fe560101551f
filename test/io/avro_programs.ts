/**
 * An Avro program for worker threads and the Fn API harness: reads the golden Avro files (codecs
 * null, deflate, snappy, bzip2, xz and zstandard) by pattern, in small ranges, and by ReadAllFromAvro with file names, and writes
 * records with WriteToAvro. `avroProgram` writes `--output/users` (`<id>:<name>`), `--output/named`
 * (`<file>:<id>`) and `--output/written-*.avro`; AVRO_EXPECTED is what they hold.
 */
import * as path from "node:path";
import { Create, definePipeline, type KV, ReadAllFromAvro, ReadFromAvro, WriteToAvro } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import { AVRO_FIXTURES, type User, USER_SCHEMA, USERS } from "./avro_fixtures";

/** The codecs of the golden files users.<codec>.avro. */
const GOLDEN_CODECS = ["null", "deflate", "snappy", "bzip2", "xz", "zstandard"];

export const AVRO_EXPECTED = {
  users: GOLDEN_CODECS.flatMap(() => USERS.map((u) => `${u.id}:${u.name}`)).sort(),
  named: USERS.flatMap((u) => GOLDEN_CODECS.map((codec) => `users.${codec}.avro:${u.id}`)).sort(),
  written: USERS.map((u) => ({ ...u, name: `${u.name}!` })),
};

export const avroProgram = definePipeline({
  name: "avro-test",
  description: "ReadFromAvro (split), ReadAllFromAvro.withFilename and WriteToAvro",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply("Read", ReadFromAvro.from<User>(path.join(AVRO_FIXTURES, "users.*.avro"), { desiredBundleSizeBytes: 200 }))
      .map("Format", (u: User) => `${u.id}:${u.name}`)
      .apply("WriteUsers", WriteToText.to(`${flags.output}/users`, { numShards: 1 }));
    root
      .apply("Patterns", Create.of(path.join(AVRO_FIXTURES, "users.*.avro"), path.join(AVRO_FIXTURES, "*.none")))
      .apply("ReadAll", ReadAllFromAvro.withFilename<User>({ desiredBundleSizeBytes: 300 }))
      .map("FormatNamed", (r: KV<string, User>) => `${path.basename(r.key)}:${r.value.id}`)
      .apply("WriteNamed", WriteToText.to(`${flags.output}/named`, { numShards: 1 }));
    root
      .apply("Read2", ReadFromAvro.from<User>(path.join(AVRO_FIXTURES, "users.null.avro")))
      .map("Rename", (u: User) => ({ ...u, name: `${u.name}!` }))
      .apply("WriteAvro", WriteToAvro.to<User>(`${flags.output}/written`, { schema: USER_SCHEMA, suffix: ".avro", numShards: 2 }));
  },
});
