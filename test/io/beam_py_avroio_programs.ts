/**
 * Beam Python's avroio_test.py pipelines as programs, for worker threads (--direct_num_workers 1
 * and 2). Records are compared as JSON (Python's test does the same, "json used for stable
 * sortability"); `expected` is a JSON array of those strings. Run from beam_py_avroio.test.ts.
 */
import { assertThat, Create, definePipeline, equalTo, type KV, ReadAllFromAvro, ReadFromAvro, WriteToAvro } from "../../lib";
import type { WriteToAvroOptions } from "../../lib/io/avro/write";

/** avroio_test.py's RECORDS and SCHEMA_STRING. */
export const RECORDS = [
  { name: "Thomas", favorite_number: 1, favorite_color: "blue" },
  { name: "Henry", favorite_number: 3, favorite_color: "green" },
  { name: "Toby", favorite_number: 7, favorite_color: "brown" },
  { name: "Gordon", favorite_number: 4, favorite_color: "blue" },
  { name: "Emily", favorite_number: -1, favorite_color: "Red" },
  { name: "Percy", favorite_number: 6, favorite_color: "Green" },
] as const;
export const SCHEMA = {
  namespace: "example.avro",
  type: "record",
  name: "User",
  fields: [
    { name: "name", type: "string" },
    { name: "favorite_number", type: ["int", "null"] },
    { name: "favorite_color", type: ["string", "null"] },
  ],
} as const;

type User = { name: string; favorite_number: number | null; favorite_color: string | null };
const json = (u: User): string => JSON.stringify({ name: u.name, favorite_number: u.favorite_number, favorite_color: u.favorite_color });

export const beamPyAvroProgram = definePipeline({
  name: "beam-py-avroio",
  description: "avroio_test.py pipelines",
  flags: {
    mode: { type: "string", describe: "read | readAll | readAllWithFilename | write", required: true },
    patterns: { type: "string", describe: "JSON array of patterns (the prefix, for write)", required: true },
    codec: { type: "string", describe: "codec of the write", default: "null" },
    bundle: { type: "number", describe: "desiredBundleSizeBytes (0: the default)", default: 0 },
    expected: { type: "string", describe: "JSON array the records (as JSON) equal", default: "[]" },
  },
  build(root, flags) {
    const patterns = JSON.parse(flags.patterns) as string[];
    const bundle = flags.bundle > 0 ? { desiredBundleSizeBytes: flags.bundle } : {};
    if (flags.mode === "write") {
      root.apply(Create.of<User>(...RECORDS)).apply(WriteToAvro.to<User>(patterns[0]!, { schema: SCHEMA, codec: flags.codec as NonNullable<WriteToAvroOptions["codec"]> }));
      return;
    }
    const out =
      flags.mode === "read"
        ? root.apply(ReadFromAvro.from<User>(patterns, bundle)).map("Json", json)
        : flags.mode === "readAll"
          ? root.apply(Create.of(...patterns)).apply(ReadAllFromAvro.create<User>(bundle)).map("Json", json)
          : root
              .apply(Create.of(...patterns))
              .apply(ReadAllFromAvro.withFilename<User>(bundle))
              .map("Json", (r: KV<string, User>) => `${r.key} ${json(r.value)}`);
    assertThat(out, equalTo(JSON.parse(flags.expected) as string[]));
  },
});
