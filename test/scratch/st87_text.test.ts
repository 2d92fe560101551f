import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Create, FixedWindows, ParDo, Window, type PCollection } from "../../lib";
import { ReadFromText, WriteToText } from "../../lib/io/textio";
import { ReadAllFromText } from "../../lib/io/fileio";
import { runDirect } from "../helpers";

describe("scratch text", function () {
  this.timeout(60000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "st87-"));
  const got: string[] = [];
  const collect = (pc: PCollection<string>) => void pc.apply(ParDo.into<never>().of((e: string) => void got.push(e)));
  const run = async (name: string, build: Parameters<typeof runDirect>[0]) => {
    got.length = 0;
    const r = await runDirect(build);
    let err = "";
    try { await r.waitUntilFinish(); } catch (e) { err = (e as Error).message.slice(0, 300); }
    console.log(name, r.state, JSON.stringify(got.slice(0, 12)), err);
  };
  it("cases", async () => {
    const empty = path.join(tmp, "empty"); fs.writeFileSync(empty, "");
    await run("gzip_empty_file", (p) => collect(p.apply(ReadFromText.from(empty, { compression: "gzip" }))));
    const egz = path.join(tmp, "e.gz"); fs.writeFileSync(egz, zlib.gzipSync(""));
    await run("empty_no_eol_gzip", (p) => collect(p.apply(ReadFromText.from(egz))));
    const nl = path.join(tmp, "nl.gz"); fs.writeFileSync(nl, zlib.gzipSync("a\nb"));
    await run("last_line_no_eol_gzip", (p) => collect(p.apply(ReadFromText.from(nl))));
    const corrupt = path.join(tmp, "c.gz"); fs.writeFileSync(corrupt, zlib.gzipSync("abc\ndef\n").subarray(0, 10));
    await run("corrupted_gzip", (p) => collect(p.apply(ReadFromText.from(corrupt))));
    const cdef = path.join(tmp, "c.deflate"); fs.writeFileSync(cdef, zlib.deflateSync("abc\ndef\n").subarray(0, 6));
    await run("corrupted_deflate", (p) => collect(p.apply(ReadFromText.from(cdef))));
    const dconcat = path.join(tmp, "cc.deflate"); fs.writeFileSync(dconcat, Buffer.concat([zlib.deflateSync("a\nb\n"), zlib.deflateSync("c\nd\n")]));
    await run("deflate_concat", (p) => collect(p.apply(ReadFromText.from(dconcat))));
    const lines = Array.from({ length: 100 }, (_, i) => `Line ${i}`);
    const w1 = path.join(tmp, "w1", "out");
    await run("non_global_window", (p) => void p.apply(Create.timestamped(lines.map((v, i) => ({ value: v, timestamp: i * 1000 })))).apply(Window.into(new FixedWindows(1000))).apply(WriteToText.to(w1)));
    console.log(fs.readdirSync(path.dirname(w1)));
    const w2 = path.join(tmp, "w2", "out");
    await run("auto_compression_unsharded+header", (p) => void p.apply(Create.of(...lines)).apply(WriteToText.to(`${w2}.gz`, { shardNameTemplate: "", header: "foo" })));
    console.log(fs.readdirSync(path.dirname(w2)), zlib.gunzipSync(fs.readFileSync(`${w2}.gz`)).toString().split("\n").slice(0, 3));
    const w3 = path.join(tmp, "w3", "out");
    await run("deflate_empty", (p) => void p.apply(Create.of<string>()).apply(WriteToText.to(w3, { suffix: ".deflate" })));
    for (const f of fs.readdirSync(path.dirname(w3))) console.log(f, fs.readFileSync(path.join(path.dirname(w3), f)).toString("hex"));
    const w4 = path.join(tmp, "w4", "out");
    await run("gzip_empty", (p) => void p.apply(Create.of<string>()).apply(WriteToText.to(w4, { suffix: ".gz" })));
    for (const f of fs.readdirSync(path.dirname(w4))) console.log(f, fs.readFileSync(path.join(path.dirname(w4), f)).toString("hex"));
    const esc = path.join(tmp, "esc.txt"); fs.writeFileSync(esc, "abc\\\ndef\nghi\\\r\njkl\r\nx\\\\\ny\n");
    await run("escaped", (p) => collect(p.apply(ReadFromText.from(esc, { escapechar: "\\" }))));
    const dir = path.join(tmp, "dot"); fs.mkdirSync(dir); fs.writeFileSync(path.join(dir, "a.txt"), "a\nb\nc\n"); fs.writeFileSync(path.join(dir, "b.txt"), "d\ne\n");
    const cwd = process.cwd(); process.chdir(dir);
    try {
      await run("dot_slash", (p) => collect(p.apply(ReadFromText.from("./*.txt"))));
      await run("no_dot_slash", (p) => collect(p.apply(ReadFromText.from("*.txt"))));
    } finally { process.chdir(cwd); }
    await run("readall_unavailable", (p) => collect(p.apply(Create.of(path.join(dir, "a.txt"), "/unavailable_file")).apply(ReadAllFromText.create({ emptyMatchTreatment: "ALLOW" }))));
    assert.ok(true);
  });
});
