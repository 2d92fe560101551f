/**
 * Compression "auto" and the suffixes Beam Java decompresses that we do not (.lzo, .lzo_deflate:
 * Java's LZOP and LZO): reading them as text here would turn their bytes into garbage lines;
 * writing text under such a name would make a file no tool can open. Both are refused with an
 * error naming the file and the way out, before the run. (.bz2, .zst and .xz are read:
 * compression_codecs.test.ts; .zip, .snappy and legacy .lzma: compression_java.test.ts.)
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ReadFromText, WriteToText } from "../../lib/io/textio";
import { runDirect } from "../helpers";

describe("TextIO: compressed files of a kind not supported", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "compression-suffix-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reading a .lzo file fails before the run, naming the file; compression 'uncompressed' reads its bytes", async () => {
    const file = path.join(dir, "logs.txt.lzo");
    fs.writeFileSync(file, Buffer.from("\u0089LZO\u0000\r\n\u001a\nline\n", "latin1"));
    const lines: string[] = [];
    const result = await runDirect((p) => {
      p.apply(ReadFromText.from(file)).map("Collect", (l: string) => {
        lines.push(l);
        return l;
      });
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /logs\.txt\.lzo.*LZOP.*not supported/is);
    assert.deepEqual(lines, []);
    const plain = await runDirect((p) => {
      p.apply(ReadFromText.from(file, { compression: "uncompressed" }));
    });
    assert.equal(await plain.waitUntilFinish(), "DONE");
  });

  it("writing text under a .lzo or .lzo_deflate suffix is refused when the write is built", () => {
    assert.throws(() => WriteToText.to(path.join(dir, "out"), { suffix: ".lzo" }), /\.lzo.*LZOP.*not supported/is);
    assert.throws(() => WriteToText.to(path.join(dir, "out"), { suffix: ".csv.lzo_deflate" }), /LZO.*not supported/is);
    assert.doesNotThrow(() => WriteToText.to(path.join(dir, "out"), { suffix: ".lzo", compression: "uncompressed" }));
  });
});
