/** ReadFromCsv and WriteToCsv through the DirectRunner: splitting, dead letters, typing, writing. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { parse } from "csv-parse/sync";
import { AsSingleton, Create, PCollection, Pipeline, ReadFromCsv, WriteToCsv, type CsvDeadLetter, type CsvRecord } from "../../lib";
import { runDirect, runOk } from "../helpers";

function collect<T>(pcoll: PCollection<T>, into: T[], label = `Collect${pcoll.tag}`): void {
  pcoll.map(label, (x: T) => {
    into.push(x);
    return x;
  });
}

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(check: Equals<A, B>): Equals<A, B> => check;

describe("io/csv: ReadFromCsv and WriteToCsv", function () {
  this.timeout(30_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-csv-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer): string => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, content);
    return p;
  };

  it("reads quoted commas, doubled quotes and newlines split across many ranges like csv-parse reads the whole file", async () => {
    const lines = ["id,text,n"];
    for (let i = 0; i < 300; i++) lines.push(`${i},"line ${i}\nwith ""quotes"", commas,\r\nand CRLF",${i * 2}`);
    const input = file("quoted.csv", lines.join("\r\n") + "\r\n");
    const expected = (parse(fs.readFileSync(input), { columns: true }) as CsvRecord[]).map((r) => JSON.stringify(r)).sort();
    for (const desiredBundleSizeBytes of [17, 1000, 1 << 20]) {
      const rows: CsvRecord[] = [];
      const dead: CsvDeadLetter[] = [];
      await runOk((root) => {
        const { rows: r, deadLetters } = root.apply(ReadFromCsv.from(input, { desiredBundleSizeBytes }));
        collect(r, rows);
        collect(deadLetters, dead);
      });
      assert.deepEqual(dead, []);
      assert.equal(rows.length, 300, `ranges of ${desiredBundleSizeBytes} bytes`);
      assert.deepEqual(rows.map((r) => JSON.stringify(r)).sort(), expected);
    }
  });

  it("sends broken quoting and wrong field counts to deadLetters with file, line and reason; the other rows continue", async () => {
    const input = file("bad.csv", 'a,b,c\n1,2,3\n4,"unterminated"x,6\n7,8\n9,10,11,12\n13,14"inch,15\n16,"ok\nsplit",17\n');
    for (const desiredBundleSizeBytes of [5, 1 << 20]) {
      const rows: CsvRecord[] = [];
      const dead: CsvDeadLetter[] = [];
      await runOk((root) => {
        const out = root.apply(ReadFromCsv.from(input, { desiredBundleSizeBytes }));
        collect(out.rows, rows);
        collect(out.deadLetters, dead);
      });
      assert.deepEqual(rows.sort((x, y) => Number(x.a) - Number(y.a)), [
        { a: "1", b: "2", c: "3" },
        { a: "16", b: "ok\nsplit", c: "17" },
      ]);
      dead.sort((x, y) => x.line - y.line);
      assert.deepEqual(
        dead.map((d) => [d.file, d.line, d.raw]),
        [
          [input, 3, '4,"unterminated"x,6'],
          [input, 4, "7,8"],
          [input, 5, "9,10,11,12"],
          [input, 6, '13,14"inch,15'],
        ],
      );
      assert.match(dead[0]!.reason, /Invalid Closing Quote.*at line 3/);
      assert.equal(dead[1]!.reason, "expected 3 fields (as in the header), got 2");
      assert.equal(dead[2]!.reason, "expected 3 fields (as in the header), got 4");
      assert.match(dead[3]!.reason, /Invalid Opening Quote/);
    }
  });

  it("counts dead letters on the step, and fails the run naming the record when nothing reads them (ignoreRejected drops them)", async () => {
    const input = file("unread.csv", "a,b\n1,2\n3\n4,5\n");
    const failed = await runDirect((root) => {
      root.apply("Read", ReadFromCsv.from(input)).rows.map("Use", (r: CsvRecord) => r.a);
    });
    assert.equal(failed.state, "FAILED");
    assert.match(failed.error!.message, /Transform 'Read\/ReadRanges' rejected an element .*unread\.csv:3: expected 2 fields \(as in the header\), got 1/);
    const rows: string[] = [];
    const ok = await runOk((root) => {
      collect(root.apply("Read", ReadFromCsv.from(input, { ignoreRejected: true })).rows.map("A", (r: CsvRecord) => r.a), rows);
    });
    assert.deepEqual(rows.sort(), ["1", "4"]);
    assert.equal(ok.metrics.counterTotal("beamline", "rejected", "Read"), 1);
  });

  it("drops a UTF-8 BOM, accepts CRLF and lone CR endings, skips blank lines (also before the header), reads gzip", async () => {
    const text = "\ufeffname,qty\r\n\"é, ü\",1\r\n\r\nplain,2\rlast,3";
    const inputs = [file("bom.csv", text), file("bom.csv.gz", zlib.gzipSync(Buffer.from(text))), file("blank-first.csv", "\n\r\n" + text.slice(1))];
    for (const input of inputs) {
      const rows: CsvRecord[] = [];
      await runOk((root) => collect(root.apply(ReadFromCsv.from(input, { desiredBundleSizeBytes: 4 })).rows, rows));
      assert.deepEqual(rows.sort((a, b) => (a.qty! < b.qty! ? -1 : 1)), [
        { name: "é, ü", qty: "1" },
        { name: "plain", qty: "2" },
        { name: "last", qty: "3" },
      ]);
    }
  });

  it("types rows by a schema (optional columns read empty as null; values that do not convert are dead letters)", async () => {
    const input = file("typed.csv", "id,price,active,extra\n1,2.5,true,x\n2,,FALSE,y\n3,abc,1,z\n4.5,1,0,w\n");
    const schema = { id: "integer", price: "number?", active: "boolean" } as const;
    const rows: { id: number; price: number | null; active: boolean }[] = [];
    const dead: CsvDeadLetter[] = [];
    await runOk((root) => {
      const out = root.apply(ReadFromCsv.from(input, { schema }));
      assert.ok(same<typeof out.rows, PCollection<{ id: number; price: number | null; active: boolean }>>(true));
      collect(out.rows, rows);
      collect(out.deadLetters, dead);
    });
    assert.deepEqual(rows.sort((a, b) => a.id - b.id), [
      { id: 1, price: 2.5, active: true },
      { id: 2, price: null, active: false },
    ]);
    assert.deepEqual(dead.map((d) => d.reason).sort(), ["column 'id': \"4.5\" is not an integer (or is beyond ±2^53)", "column 'price': \"abc\" is not a number"]);
  });

  it("reads headerless files by the given columns, and fails before running when a header lacks a schema column", async () => {
    const input = file("noheader.csv", "1,x\n2,y\n");
    const rows: CsvRecord[] = [];
    await runOk((root) => collect(root.apply(ReadFromCsv.from(input, { header: false, columns: ["n", "s"] })).rows, rows));
    assert.deepEqual(rows.sort((a, b) => (a.n! < b.n! ? -1 : 1)), [{ n: "1", s: "x" }, { n: "2", s: "y" }]);

    const wrong = file("wrong.csv", "id,name\n1,a\n");
    const result = await runDirect((root) => {
      root.apply(ReadFromCsv.from(wrong, { schema: { id: "integer", price: "number" } }));
    });
    await assert.rejects(result.waitUntilFinish(), /ReadFromCsv.*'price' are not in the file's header \["id","name"\]/);
    assert.throws(() => ReadFromCsv.from(input, { header: false }), /need `columns` or a `schema`/);
    assert.throws(() => ReadFromCsv.from(input, { delimiter: "ab" }), /one ASCII character/);
  });

  it("writes a header and quotes only what needs it; ReadFromCsv reads back exactly what was written", async () => {
    const values = [
      { id: 1, text: "plain", flag: true, none: null },
      { id: 2, text: 'comma, "quote"', flag: false, none: null },
      { id: 3, text: "new\nline\r\nand CR\r", flag: true, none: null },
      { id: 4, text: " spaces ", flag: false, none: null },
    ];
    const prefix = path.join(tmp, "written", "out");
    await runOk((root) => {
      root.apply(Create.of(...values)).apply(WriteToCsv.to(prefix, { columns: ["id", "text", "flag", "none"], numShards: 1, shardNameTemplate: "", suffix: ".csv" }));
    });
    const written = fs.readFileSync(`${prefix}.csv`, "utf8");
    assert.ok(written.startsWith("id,text,flag,none\n"), written);
    assert.ok(written.includes('2,"comma, ""quote""",false,\n'), written);
    assert.ok(written.includes("4, spaces ,false,\n"), written);
    assert.deepEqual(fs.readdirSync(path.dirname(prefix)), ["out.csv"], "exactly one file, no temporary leftovers");
    const back: CsvRecord[] = [];
    await runOk((root) => collect(root.apply(ReadFromCsv.from(`${prefix}.csv`, { desiredBundleSizeBytes: 9 })).rows, back));
    assert.deepEqual(
      back.sort((a, b) => Number(a.id) - Number(b.id)),
      values.map((v) => ({ id: String(v.id), text: v.text, flag: String(v.flag), none: "" })),
    );
  });

  it("takes columns known only at run time from a side input, for the header and every row; empty input still gets the header", async () => {
    const prefix = path.join(tmp, "dynamic", "rows");
    await runOk((root) => {
      const rows = root.apply("Rows", Create.of<Record<string, string>>({ c0: "a" }, { c0: "b", c1: "c", c2: "d" }));
      const depth = rows.map("Depth", (r) => Object.keys(r).length);
      const cols = root
        .apply("One", Create.of(0))
        .map("Cols", () => ["c0", "c1", "c2"]);
      void depth;
      rows.apply(WriteToCsv.to<Record<string, string>>(prefix, { columns: AsSingleton(cols), numShards: 1 }));
    });
    const text = fs.readFileSync(`${prefix}-00000-of-00001`, "utf8");
    assert.deepEqual(text.split("\n").slice(1, -1).sort(), ["a,,", "b,c,d"]);
    assert.equal(text.split("\n")[0], "c0,c1,c2");

    const empty = path.join(tmp, "empty", "none");
    const p = Pipeline.create();
    p.apply(Create.of<{ a: string }>()).apply(WriteToCsv.to(empty, { columns: ["a"], suffix: ".csv" }));
    await (await p.run()).waitUntilFinish();
    assert.equal(fs.readFileSync(`${empty}-00000-of-00001.csv`, "utf8"), "a\n");
    assert.throws(() => WriteToCsv.to(empty, { columns: ["a", "a"] }), /duplicate column/);
    assert.throws(() => WriteToCsv.to(empty, { columns: ["a"], shardNameTemplate: "" }), /empty shardNameTemplate names one file; set numShards: 1/);
  });
});
