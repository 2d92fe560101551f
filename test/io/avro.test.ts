/**
 * AvroIO on the DirectRunner: Apache Avro's golden files read exactly (every type, codecs null and
 * deflate, several blocks, longs beyond 2^53), reader schemas (Avro's resolution, as Beam's
 * avroio_test `test_read_reentrant_..._schema` / AvroIOTest's evolution cases), splitting at sync
 * markers (every record exactly once over many range sizes, as Beam's `test_read_with_splitting`
 * / `test_split_points`), empty files, and WriteToAvro (codecs, shard names, numShards, empty
 * input, records that do not match the schema).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, type KV, PCollection, ReadAllFromAvro, ReadFromAvro, WriteToAvro } from "../../lib";
import { readAvroBlocks, readAvroHeader } from "../../lib/io/avro/container";
import { avroType, plain } from "../../lib/io/avro/schema";
import { runDirect, runOk } from "../helpers";
import { AVRO_FIXTURES, AVRO_PYTHON_VERSION, LONG_SCHEMA, LONGS, type User, USER_SCHEMA, USERS } from "./avro_fixtures";

function collect<T>(pcoll: PCollection<T>, into: T[], label = `Collect${pcoll.tag}`): void {
  pcoll.map(label, (x: T) => {
    into.push(x);
    return x;
  });
}

const byId = <R extends { id: number }>(rs: R[]): R[] => [...rs].sort((a, b) => a.id - b.id);

/** Every record of the file, reading it as the given ranges (each range on its own, as a worker would). */
async function readAsRanges(file: string, size: number, longs: "number" | "bigint" = "number"): Promise<unknown[]> {
  const head = await readAvroHeader(file);
  const type = avroType(head.schema, longs);
  const total = fs.statSync(file).size;
  const out: unknown[] = [];
  for (let start = 0; start < total; start += size) {
    await readAvroBlocks(file, head, start, Math.min(total, start + size), (block) => {
      let pos = 0;
      for (let i = 0; i < block.count; i++) {
        const d = type.decode(block.data, pos);
        pos = d.offset;
        out.push(plain(d.value));
      }
    });
  }
  return out;
}

describe("io/avro: ReadFromAvro, ReadAllFromAvro, WriteToAvro", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-avro-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it(`golden files (Apache Avro Python ${AVRO_PYTHON_VERSION}): users.null.avro and users.deflate.avro read exactly, in 3 blocks`, async () => {
    assert.match(AVRO_PYTHON_VERSION, /^1\.11/);
    for (const codec of ["null", "deflate", "snappy"]) {
      const file = path.join(AVRO_FIXTURES, `users.${codec}.avro`);
      const head = await readAvroHeader(file);
      assert.equal(head.codec, codec);
      let blocks = 0;
      await readAvroBlocks(file, head, 0, fs.statSync(file).size, () => blocks++);
      assert.equal(blocks, 3, "make_golden.py syncs every 2 records");
      assert.deepStrictEqual(await readAsRanges(file, 1 << 20), USERS, `${codec}: in file order`);
      const got: User[] = [];
      await runOk((root) => collect(root.apply(ReadFromAvro.from<User>(file)), got));
      assert.deepStrictEqual(byId(got), byId(USERS), codec);
    }
  });

  it('golden longs.avro: longs beyond 2^53 read exactly with longs: "bigint"; with numbers the read fails naming the fix', async () => {
    const file = path.join(AVRO_FIXTURES, "longs.avro");
    const got: unknown[] = [];
    await runOk((root) => collect(root.apply(ReadFromAvro.from(file, { longs: "bigint" })), got));
    const key = (r: unknown): string => String((r as { n: bigint }).n);
    assert.deepStrictEqual([...got].sort((a, b) => key(a).localeCompare(key(b))), [...LONGS].sort((a, b) => key(a).localeCompare(key(b))));
    const failed = await runDirect((root) => root.apply("ReadLongs", ReadFromAvro.from(file)));
    assert.equal(failed.state, "FAILED");
    assert.match(failed.error!.message, /ReadLongs\/ReadRanges/);
    assert.match(failed.error!.message, /longs\.avro.*longs: "bigint"/s);
  });

  it("golden empty.avro (a header, no records) and a zero-byte file read as no records", async () => {
    const zero = path.join(tmp, "empty", "zero.avro");
    fs.mkdirSync(path.dirname(zero), { recursive: true });
    fs.writeFileSync(zero, "");
    fs.copyFileSync(path.join(AVRO_FIXTURES, "empty.avro"), path.join(tmp, "empty", "header.avro"));
    const got: unknown[] = [];
    await runOk((root) => collect(root.apply(ReadFromAvro.from(path.join(tmp, "empty", "*.avro"))), got));
    assert.deepEqual(got, []);
  });

  it("a reader schema resolves the writer's (Avro's schema evolution): fields dropped, added with defaults, int promoted to long, aliases", async () => {
    const reader = {
      type: "record",
      name: "User",
      namespace: "beamline.test",
      fields: [
        { name: "id", type: "long" },
        { name: "fullName", aliases: ["name"], type: "string" },
        { name: "country", type: "string", default: "unknown" },
        { name: "address", type: ["null", { type: "record", name: "Address", fields: [{ name: "zip", type: "long" }] }], default: null },
        { name: "ratio", type: "double" },
      ],
    };
    const got: { id: number }[] = [];
    await runOk((root) => collect(root.apply(ReadFromAvro.from<{ id: number }>(path.join(AVRO_FIXTURES, "users.deflate.avro"), { schema: reader })), got));
    assert.deepStrictEqual(
      byId(got),
      byId(USERS.map((u) => ({ id: u.id, fullName: u.name, country: "unknown", address: u.address === null ? null : { zip: u.address.zip }, ratio: u.ratio }))),
    );
    const incompatible = await runDirect((root) => root.apply("ReadBad", ReadFromAvro.from(path.join(AVRO_FIXTURES, "users.null.avro"), { schema: { type: "record", name: "User", namespace: "beamline.test", fields: [{ name: "missing", type: "int" }] } })));
    assert.equal(incompatible.state, "FAILED");
    assert.match(incompatible.error!.message, /ReadBad\/ReadRanges.*cannot be resolved/s);
  });

  it("splitting at sync markers: every record exactly once over many range sizes (many blocks, both codecs)", async () => {
    for (const codec of ["null", "deflate", "snappy"]) {
      const file = path.join(AVRO_FIXTURES, `users.${codec}.avro`);
      for (const range of [1, 2, 3, 7, 16, 17, 100]) assert.deepStrictEqual(await readAsRanges(file, range), USERS, `golden ${codec}, ranges of ${range} bytes`);
    }
    const records = Array.from({ length: 300 }, (_, i) => ({ id: i, name: `user ${i} `.repeat(i % 5), email: i % 3 === 0 ? null : `u${i}@x`, tags: [], scores: {}, color: "RED" as const, hash: Buffer.alloc(4, i), payload: Buffer.alloc(i % 40, i), address: null, ok: i % 2 === 0, ratio: 0.5 }));
    for (const codec of ["null", "deflate", "snappy"] as const) {
      const prefix = path.join(tmp, "split", codec);
      await runOk((root) => root.apply("Records", Create.from(records)).apply(WriteToAvro.to(prefix, { schema: USER_SCHEMA, codec, numShards: 1, shardNameTemplate: "", suffix: ".avro", syncInterval: 300 })));
      const file = `${prefix}.avro`;
      let blocks = 0;
      const head = await readAvroHeader(file);
      await readAvroBlocks(file, head, 0, fs.statSync(file).size, () => blocks++);
      assert.ok(blocks > 20, `${codec}: ${blocks} blocks`);
      const size = fs.statSync(file).size;
      for (const range of [61, 100, 333, 1000, 4096, Math.floor(size / 2), size]) {
        const got = (await readAsRanges(file, range)) as { id: number }[];
        assert.deepStrictEqual(got.map((r) => r.id), records.map((r) => r.id), `${codec}, ranges of ${range} bytes`);
      }
      const piped: { id: number }[] = [];
      await runOk((root) => collect(root.apply(ReadFromAvro.from<{ id: number }>(file, { desiredBundleSizeBytes: 97 })), piped));
      assert.deepStrictEqual(piped.map((r) => r.id).sort((a, b) => a - b), records.map((r) => r.id), `${codec}: in the pipeline, ranges of 97 bytes`);
    }
  });

  for (const codec of ["null", "deflate", "snappy"] as const) {
    it(`WriteToAvro (codec ${codec}) writes Beam's shard names; files read back exactly (ReadAllFromAvro.withFilename too)`, async () => {
      const prefix = path.join(tmp, `write-${codec}`, "users");
      const names: string[] = [];
      await runOk((root) => collect(root.apply("Users", Create.from(USERS)).apply(WriteToAvro.to<User>(prefix, { schema: USER_SCHEMA, codec, suffix: ".avro", numShards: 3 })), names));
      assert.deepEqual(names.map((n) => path.basename(n)).sort(), [0, 1, 2].map((i) => `users-0000${i}-of-00003.avro`));
      for (const n of names) assert.equal((await readAvroHeader(n)).codec, codec);
      const back: User[] = [];
      const named: KV<string, User>[] = [];
      await runOk((root) => {
        collect(root.apply(ReadFromAvro.from<User>(`${prefix}-*.avro`)), back, "Back");
        collect(root.apply("Pattern", Create.of(`${prefix}-*`)).apply(ReadAllFromAvro.withFilename<User>()), named, "Named");
      });
      assert.deepStrictEqual(byId(back), byId(USERS));
      assert.deepStrictEqual(byId(named.map((n) => n.value)), byId(USERS));
      assert.ok(named.every((n) => names.includes(n.key)));
    });
  }

  it("runner-decided sharding streams large bundles; '' template writes <prefix><suffix>; empty input writes one header-only file", async () => {
    const big = Array.from({ length: 3000 }, (_, i) => ({ n: BigInt(i) * 2n ** 40n, m: i % 2 === 0 ? null : i }));
    const prefix = path.join(tmp, "big", "longs");
    const names: string[] = [];
    await runOk((root) => collect(root.apply("Big", Create.from(big)).apply(WriteToAvro.to(prefix, { schema: LONG_SCHEMA, syncInterval: 1000 })), names));
    const back: { n: bigint; m: bigint | null }[] = [];
    await runOk((root) => collect(root.apply(ReadFromAvro.from<{ n: bigint; m: bigint | null }>(names, { longs: "bigint" })), back));
    assert.deepStrictEqual(back.map((r) => r.n).sort((a, b) => (a < b ? -1 : 1)), big.map((r) => r.n), "numbers written to longs read back as bigints");
    assert.equal(back.filter((r) => r.m !== null).length, 1500);
    // 2.4 MB of records: past the whole-file buffer, so the bundle's file is streamed.
    const heavy = Array.from({ length: 120 }, (_, i) => ({ ...USERS[i % USERS.length]!, id: i, payload: Buffer.alloc(20_000, i) }));
    const heavyNames: string[] = [];
    await runOk((root) => collect(root.apply("Heavy", Create.from(heavy)).apply(WriteToAvro.to(path.join(tmp, "heavy", "users"), { schema: USER_SCHEMA })), heavyNames));
    const heavyBack: User[] = [];
    await runOk((root) => collect(root.apply(ReadFromAvro.from<User>(heavyNames)), heavyBack));
    assert.deepStrictEqual(byId(heavyBack), heavy);
    const single = path.join(tmp, "single", "one");
    await runOk((root) => collect(root.apply("Users", Create.from(USERS)).apply(WriteToAvro.to(single, { schema: USER_SCHEMA, suffix: ".avro", shardNameTemplate: "" })), names));
    assert.ok(fs.existsSync(`${single}.avro`));
    const empty = path.join(tmp, "none", "nothing");
    const emptyNames: string[] = [];
    await runOk((root) => collect(root.apply("Nothing", Create.from<User>([])).apply(WriteToAvro.to<User>(empty, { schema: USER_SCHEMA })), emptyNames));
    assert.deepEqual(emptyNames.map((n) => path.basename(n)), ["nothing-00000-of-00001"]);
    assert.deepEqual(await readAsRanges(emptyNames[0]!, 1 << 20), []);
    assert.equal((await readAvroHeader(emptyNames[0]!)).codec, "deflate", "Beam Python's default codec");
  });

  it("a record that does not match the schema fails the write, naming the step, the field path and the value; nothing is written", async () => {
    const prefix = path.join(tmp, "bad", "users");
    const bad = { ...USERS[0]!, address: { street: "x", zip: "12345" } };
    const result = await runDirect((root) => root.apply("Users", Create.from<unknown>([USERS[1], bad])).apply("WriteUsers", WriteToAvro.to(prefix, { schema: USER_SCHEMA })));
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /WriteUsers\/Encode/);
    assert.match(result.error!.message, /field address\.zip is "12345", which is not a valid int/);
    assert.equal(fs.existsSync(path.dirname(prefix)) ? fs.readdirSync(path.dirname(prefix)).filter((f) => !f.startsWith(".")).length : 0, 0);
    const missing = await runDirect((root) => root.apply("Users", Create.from<unknown>([{ id: 1 }])).apply("WriteUsers", WriteToAvro.to(prefix, { schema: USER_SCHEMA })));
    assert.match(missing.error!.message, /field name is undefined \(missing\), which is not a valid string/);
    const big = await runDirect((root) => root.apply("Users", Create.from<unknown>([{ ...USERS[0]!, id: 2 ** 60 }])).apply("WriteUsers", WriteToAvro.to(prefix, { schema: USER_SCHEMA })));
    assert.match(big.error!.message, /field id is 1152921504606847000, which is not a valid long \(.*bigint/);
  });

  it("unions avsc cannot unwrap come as { branch: value } and write back the same; int, float and nested collections round-trip", async () => {
    const schema = {
      type: "record",
      name: "U",
      fields: [
        { name: "num", type: ["null", "int", "double"] },
        { name: "rec", type: [{ type: "record", name: "A", fields: [{ name: "a", type: "int" }] }, { type: "record", name: "B", fields: [{ name: "b", type: "string" }] }] },
        { name: "nested", type: { type: "map", values: { type: "array", items: ["null", "double"] } } },
      ],
    } as const;
    const records = [
      { num: null, rec: { A: { a: 1 } }, nested: { x: [1.5, null] } },
      { num: { int: 7 }, rec: { B: { b: "b" } }, nested: {} },
      { num: { double: 1.5 }, rec: { A: { a: -1 } }, nested: { y: [] } },
    ];
    const prefix = path.join(tmp, "unions", "u");
    await runOk((root) => root.apply("Records", Create.from<unknown>(records)).apply(WriteToAvro.to<unknown>(prefix, { schema, codec: "null", shardNameTemplate: "" })));
    assert.deepStrictEqual(await readAsRanges(prefix, 1 << 20), records);
    // A long in a union with another number type is unwrapped (a long is avsc's custom type): read as the value.
    const longUnion = { type: "record", name: "L", fields: [{ name: "v", type: ["null", "int", "long"] }] } as const;
    assert.deepStrictEqual(plain(avroType(longUnion).fromBuffer(Buffer.from([0x04, 0x0a]))), { v: 5 }, "branch 2 (long), 5");
    const ambiguous = await runDirect((root) => root.apply("Longs", Create.of({ v: 5 })).apply("WriteLongs", WriteToAvro.to(path.join(tmp, "unions", "l"), { schema: longUnion })));
    assert.match(ambiguous.error!.message, /WriteLongs\/Encode.*ambiguous.*a union of long with int, float or double/s);
  });

  it("a corrupt or truncated file, or an unsupported codec, fails the read naming the file and what is wrong", async () => {
    const golden = fs.readFileSync(path.join(AVRO_FIXTURES, "users.null.avro"));
    const dir = path.join(tmp, "corrupt");
    fs.mkdirSync(dir, { recursive: true });
    const cases: [string, Buffer, RegExp][] = [
      ["truncated.avro", golden.subarray(0, golden.length - 5), /truncated\.avro: it ends inside the block after byte \d+ \(truncated\?\)/],
      ["notavro.avro", Buffer.from("hello, this is not an Avro file at all"), /notavro\.avro: it does not start with Avro's magic bytes/],
      ["lzo.avro", Buffer.from(golden.toString("latin1").replace("avro.codec\x08null", "avro.codec\x06lzo"), "latin1"), /lzo\.avro: its blocks are compressed with the codec "lzo", which Beamline cannot read \(it reads null, deflate, snappy, zstandard, bzip2, xz.*\)\. Rewrite the file with one of those/],
    ];
    const sync = (await readAvroHeader(path.join(AVRO_FIXTURES, "users.null.avro"))).sync;
    const badSync = Buffer.from(golden);
    badSync[badSync.lastIndexOf(sync) + 3]! ^= 0xff;
    cases.push(["badsync.avro", badSync, /badsync\.avro: the block after byte \d+ is not followed by the file's sync marker/]);
    // A snappy block's last 4 bytes are the CRC-32 of its uncompressed data: flip one.
    const snappyGolden = fs.readFileSync(path.join(AVRO_FIXTURES, "users.snappy.avro"));
    const snappySync = (await readAvroHeader(path.join(AVRO_FIXTURES, "users.snappy.avro"))).sync;
    const badCrc = Buffer.from(snappyGolden);
    badCrc[badCrc.indexOf(snappySync, snappyGolden.indexOf(snappySync) + 16) - 1]! ^= 0xff;
    cases.push(["badcrc.avro", badCrc, /badcrc\.avro: the snappy data of the block after byte \d+ is corrupt \(the CRC-32 of its uncompressed data is [0-9a-f]+, but the block says [0-9a-f]+\)/]);
    for (const [name, bytes, message] of cases) {
      fs.writeFileSync(path.join(dir, name), bytes);
      const result = await runDirect((root) => root.apply("ReadCorrupt", ReadFromAvro.from(path.join(dir, name))));
      assert.equal(result.state, "FAILED", name);
      assert.match(result.error!.message, /ReadCorrupt\/ReadRanges/, name);
      assert.match(result.error!.message, message, name);
    }
  });

  it("the schema is written into each header as given: docs, defaults, aliases and logical types stay", async () => {
    const schema = { type: "record", name: "E", doc: "an event", fields: [{ name: "day", type: { type: "int", logicalType: "date" }, default: 0, aliases: ["d"] }] } as const;
    const prefix = path.join(tmp, "attrs", "e");
    await runOk((root) => root.apply("Events", Create.of({ day: 19000 })).apply(WriteToAvro.to(prefix, { schema, shardNameTemplate: "" })));
    assert.deepStrictEqual(JSON.parse((await readAvroHeader(prefix)).schema), schema);
    assert.deepStrictEqual(await readAsRanges(prefix, 1 << 20), [{ day: 19000 }], "a logical type reads as its underlying type");
  });

  it("options are checked when the transform is made", () => {
    assert.throws(() => WriteToAvro.to("out/x", { schema: { type: "record", name: "R", fields: [{ name: "a", type: "nope" }] } }), /not a valid Avro schema/);
    assert.throws(() => WriteToAvro.to("out/x", { schema: USER_SCHEMA, codec: "lzo" as "null" }), /cannot write the codec 'lzo'; use "deflate" \(default\), "snappy", "zstandard" or "null"/);
    assert.throws(() => WriteToAvro.to("out/x", { schema: USER_SCHEMA, numShards: 2, shardNameTemplate: "" }), /empty shardNameTemplate/);
    assert.throws(() => ReadFromAvro.from("x.avro", { longs: "string" as "number" }), /unknown longs/);
    assert.throws(() => ReadFromAvro.from([]), /at least one file pattern/);
  });
});
