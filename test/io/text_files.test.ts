import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import * as zlib from "node:zlib";
import { FileSystemError, type OpenReadOptions } from "../../lib/io/filesystems/filesystem";
import { FileSystems } from "../../lib/io/filesystems/registry";
import {
  LineSplitter,
  readAllLines,
  readLineBatches,
  resolveCompression,
  splitIntoRanges,
  desiredRangeBytes,
  TextShardWriter,
} from "../../lib/io/text_files";
import { prng } from "../prng";

/** What Beam's TextIO yields for a whole file: the reference for the range property. */
function referenceLines(bytes: Buffer): string[] {
  let text = bytes.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text === "") return [];
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Drives a LineSplitter over an in-memory file, `chunkSize` bytes at a time. */
function splitRange(bytes: Buffer, start: number, end: number, chunkSize: number): string[] {
  const splitter = new LineSplitter(start, end);
  const out: string[] = [];
  for (let at = splitter.readStart; at < bytes.length && !splitter.done; at += chunkSize) {
    out.push(...splitter.push(bytes.subarray(at, Math.min(bytes.length, at + chunkSize))));
  }
  out.push(...splitter.finish());
  return out;
}

function linesOfRanges(bytes: Buffer, bounds: readonly number[], chunkSize: number): string[] {
  const out: string[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) out.push(...splitRange(bytes, bounds[k], bounds[k + 1], chunkSize));
  return out;
}

const EDGE_TEXTS = [
  "",
  "a",
  "\n",
  "\r",
  "\r\n",
  "a\n",
  "a\r",
  "\n\n",
  "\r\r",
  "\n\r",
  "a\r\nb\rc\nd",
  "ab\r\r\n\n\rcd\r",
  "é日本😀\r\n\r\r\n\nxx",
  "αβγ\nδ\r\n😀😀\r",
  "\uFEFF",
  "\uFEFF\n",
  "\uFEFFa\r\nb",
  "x".repeat(30) + "\r\n" + "y".repeat(7),
  "line one\nline two\n\nline four",
];

const TOKENS = ["a", "bc", "word ", "é", "日本", "😀", "\n", "\n", "\r", "\r\n", "\r\n", "\n\n"];

function randomText(next: () => number, length: number): string {
  let s = next() < 0.2 ? "\uFEFF" : "";
  while (s.length < length) s += TOKENS[Math.floor(next() * TOKENS.length)];
  return s;
}

/** A read-only in-memory filesystem that cuts reads into `bufferSize` chunks and counts bytes served. */
function memoryFs(files: Record<string, Buffer>) {
  const served = { bytes: 0 };
  return {
    served,
    async openRead(p: string, options: OpenReadOptions = {}): Promise<Readable> {
      const data = files[p];
      if (!data) throw new FileSystemError(`Cannot read ${p}: does not exist.`, p, { code: "ENOENT" });
      const start = options.start ?? 0;
      const end = Math.min(options.end ?? data.length, data.length);
      const size = options.bufferSize ?? 1 << 16;
      return Readable.from(
        (function* () {
          for (let at = start; at < end; at += size) {
            const chunk = data.subarray(at, Math.min(end, at + size));
            served.bytes += chunk.length;
            yield chunk;
          }
        })(),
      );
    },
  };
}

async function collect(iterable: AsyncIterable<string[]>): Promise<{ lines: string[]; batches: number }> {
  const lines: string[] = [];
  let batches = 0;
  for await (const batch of iterable) {
    assert.ok(batch.length > 0, "batches are never empty");
    batches++;
    lines.push(...batch);
  }
  return { lines, batches };
}

describe("text files", () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-text-"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  describe("line semantics", () => {
    const cases: [string, string[]][] = [
      ["", []],
      ["a", ["a"]],
      ["a\n", ["a"]],
      ["a\nb", ["a", "b"]],
      ["\n", [""]],
      ["\n\n", ["", ""]],
      ["a\r\nb\r\n", ["a", "b"]],
      ["a\rb\r", ["a", "b"]],
      ["a\r\rb", ["a", "", "b"]],
      ["a\n\rb", ["a", "", "b"]],
      ["\uFEFFfirst\nsecond", ["first", "second"]],
      ["\uFEFF", []],
      ["mid\uFEFFdle", ["mid\uFEFFdle"]],
      ["日本語\n😀", ["日本語", "😀"]],
    ];
    for (const [text, expected] of cases) {
      it(`reads ${JSON.stringify(text)} as ${JSON.stringify(expected)}`, async () => {
        const p = path.join(root, "f.txt");
        fs.writeFileSync(p, text);
        assert.deepEqual(await readAllLines(p), expected);
        assert.deepEqual(await readAllLines(p, "auto", { chunkSize: 1 }), expected);
      });
    }
  });

  describe("ranges own exactly the lines starting in them", () => {
    it("every pair of split points, every chunk size, over edge cases", () => {
      let checks = 0;
      for (const text of EDGE_TEXTS) {
        const bytes = Buffer.from(text, "utf8");
        const expected = referenceLines(bytes);
        const n = bytes.length;
        for (const chunkSize of [1, 2, 3, 5, 1 << 20]) {
          for (let k1 = 0; k1 <= n; k1++) {
            for (let k2 = k1; k2 <= n; k2++) {
              assert.deepEqual(
                linesOfRanges(bytes, [0, k1, k2, n], chunkSize),
                expected,
                `text ${JSON.stringify(text)} split at ${k1},${k2} with chunks of ${chunkSize}`,
              );
              checks++;
            }
          }
        }
      }
      assert.ok(checks > 5000);
    });

    it("random files with many random split points", () => {
      const next = prng(20240611);
      for (let trial = 0; trial < 300; trial++) {
        const bytes = Buffer.from(randomText(next, 20 + Math.floor(next() * 300)), "utf8");
        const expected = referenceLines(bytes);
        const cuts = new Set<number>([0, bytes.length]);
        const count = 1 + Math.floor(next() * 12);
        for (let c = 0; c < count; c++) cuts.add(Math.floor(next() * bytes.length));
        const bounds = [...cuts].sort((a, b) => a - b);
        const chunkSize = [1, 2, 3, 4, 7, 16, 64, 4096][Math.floor(next() * 8)];
        assert.deepEqual(linesOfRanges(bytes, bounds, chunkSize), expected, `trial ${trial} bounds ${bounds}`);
      }
    });

    it("readLineBatches agrees for ranges from splitIntoRanges (memory, tiny chunks)", async () => {
      const next = prng(7);
      for (let trial = 0; trial < 40; trial++) {
        const bytes = Buffer.from(randomText(next, 50 + Math.floor(next() * 400)), "utf8");
        const mem = memoryFs({ f: bytes });
        const ranges = splitIntoRanges([{ path: "f", sizeBytes: bytes.length }], 1 + Math.floor(next() * 60));
        const lines: string[] = [];
        for (const r of ranges) {
          const chunkSize = 1 + Math.floor(next() * 9);
          lines.push(...(await collect(readLineBatches("f", r, "uncompressed", { chunkSize, fileSystem: mem }))).lines);
        }
        assert.deepEqual(lines, referenceLines(bytes), `trial ${trial}`);
      }
    });

    it("readLineBatches agrees on a local file for many desired sizes", async () => {
      const next = prng(99);
      const bytes = Buffer.from(randomText(next, 20000), "utf8");
      const p = path.join(root, "big.txt");
      fs.writeFileSync(p, bytes);
      const expected = referenceLines(bytes);
      const [file] = await FileSystems.match(p);
      for (const [desired, chunkSize] of [
        [97, 64],
        [1000, 61],
        [4096, 4096],
        [1 << 20, undefined],
      ]) {
        const ranges = splitIntoRanges([file], desired!);
        const lines: string[] = [];
        for (const r of ranges) {
          for await (const batch of readLineBatches(r.path, r, "auto", { chunkSize })) {
            for (const line of batch) lines.push(line);
          }
        }
        assert.equal(lines.length, expected.length, `desired ${desired}`);
        assert.deepEqual(lines, expected, `desired ${desired}`);
      }
    });

    it("a range stops reading soon after its end", async () => {
      const line = "x".repeat(99) + "\n";
      const bytes = Buffer.from(line.repeat(10000)); // 1 MB
      const mem = memoryFs({ f: bytes });
      const { lines } = await collect(readLineBatches("f", { start: 150, end: 450 }, "uncompressed", { chunkSize: 64, fileSystem: mem }));
      assert.equal(lines.length, 3); // lines starting at 200, 300, 400
      assert.ok(mem.served.bytes < 1000, `served ${mem.served.bytes} bytes`);
    });

    it("a range with the default chunk size reads its bytes and at most 64 KiB more", async () => {
      const line = "y".repeat(99) + "\n";
      const bytes = Buffer.from(line.repeat(60000)); // 6 MB
      const mem = memoryFs({ f: bytes });
      const range = { start: 1_000_050, end: 2_600_050 };
      const { lines } = await collect(readLineBatches("f", range, "uncompressed", { fileSystem: mem }));
      assert.equal(lines.length, 16000); // lines starting at 1,000,100 ... 2,600,000
      assert.ok(mem.served.bytes <= range.end - range.start + 1 + (1 << 16), `served ${mem.served.bytes} bytes`);
      // A last line longer than that is read on in further windows.
      const long = Buffer.concat([Buffer.from("a\n"), Buffer.from("z".repeat(300_000) + "\n"), Buffer.from("b\n")]);
      const lines2 = (await collect(readLineBatches("g", { start: 0, end: 3 }, "uncompressed", { fileSystem: memoryFs({ g: long }) }))).lines;
      assert.deepEqual(lines2.map((l) => l.length), [1, 300_000]);
    });

    it("reads an uncompressed range at most 128 KiB at a time (a range's first lines wait for its first read)", async () => {
      const line = "w".repeat(99) + "\n";
      const bytes = Buffer.from(line.repeat(30000)); // 3 MB
      const mem = memoryFs({ f: bytes });
      const sizes: number[] = [];
      const recording = {
        openRead: (p: string, options: OpenReadOptions = {}): Promise<Readable> => {
          sizes.push(options.bufferSize ?? 0);
          return mem.openRead(p, options);
        },
      };
      const { lines } = await collect(readLineBatches("f", { start: 0, end: 2_000_000 }, "uncompressed", { fileSystem: recording }));
      assert.equal(lines.length, 20000);
      assert.ok(sizes.length > 0 && sizes.every((n) => n > 0 && n <= 1 << 17), `buffer sizes ${sizes.join(", ")}`);
    });

    it("yields one batch per chunk, not one per line", async () => {
      const p = path.join(root, "many.txt");
      fs.writeFileSync(p, "line\n".repeat(100000));
      const { lines, batches } = await collect(readLineBatches(p, { start: 0, end: Infinity }));
      assert.equal(lines.length, 100000);
      assert.ok(batches <= 10, `${batches} batches`);
    });
  });

  describe("desiredRangeBytes", () => {
    const MiB = 1 << 20;
    it("about 32 ranges per reader, between 1 MiB and 64 MiB; gzip files (read whole) do not count", () => {
      assert.equal(desiredRangeBytes([{ path: "a.txt", sizeBytes: 100 * MiB }], 2), Math.ceil((100 * MiB) / 64));
      assert.equal(desiredRangeBytes([{ path: "a.txt", sizeBytes: 5 * MiB }], 2), MiB);
      assert.equal(desiredRangeBytes([{ path: "a.txt", sizeBytes: 2048 * MiB }], 2), 32 * MiB);
      assert.equal(desiredRangeBytes([{ path: "a.txt", sizeBytes: 4096 * MiB }], 1), 64 * MiB);
      assert.equal(desiredRangeBytes([{ path: "a.txt.gz", sizeBytes: 2048 * MiB }, { path: "b.txt", sizeBytes: 128 * MiB }], 2), 2 * MiB);
      assert.equal(desiredRangeBytes([], 2), MiB);
    });

    it("one reader gets ranges as large as allowed: each range starts with file-system waits nothing overlaps", () => {
      assert.equal(desiredRangeBytes([{ path: "a.txt", sizeBytes: 5 * MiB }], 1), 5 * MiB);
      assert.equal(desiredRangeBytes([{ path: "a.txt", sizeBytes: 3 * MiB }, { path: "b.txt", sizeBytes: 2 * MiB }], 1), 5 * MiB);
      assert.equal(desiredRangeBytes([{ path: "a.txt", sizeBytes: 100 * MiB }], 1), 64 * MiB);
      assert.equal(desiredRangeBytes([{ path: "a.txt", sizeBytes: 1000 }], 1), MiB);
    });
  });

  describe("splitIntoRanges", () => {
    it("splits evenly, contiguously, never above the desired size", () => {
      const ranges = splitIntoRanges(
        [
          { path: "a.txt", sizeBytes: 1000 },
          { path: "empty.txt", sizeBytes: 0 },
          { path: "b.txt.gz", sizeBytes: 5000 },
          { path: "c.txt", sizeBytes: 10 },
        ],
        300,
      );
      const a = ranges.filter((r) => r.path === "a.txt");
      assert.equal(a.length, 4);
      assert.equal(a[0].start, 0);
      assert.equal(a[a.length - 1].end, 1000);
      for (let i = 0; i < a.length; i++) {
        assert.ok(a[i].end - a[i].start <= 300 && a[i].end - a[i].start >= 200);
        if (i > 0) assert.equal(a[i].start, a[i - 1].end);
      }
      assert.deepEqual(
        ranges.filter((r) => r.path !== "a.txt"),
        [
          { path: "b.txt.gz", start: 0, end: 5000 },
          { path: "c.txt", start: 0, end: 10 },
        ],
      );
      assert.equal(splitIntoRanges([{ path: "b.gz", sizeBytes: 5000 }], 10, "uncompressed").length, 500);
      assert.throws(() => splitIntoRanges([], 0), FileSystemError);
    });

    it("resolves auto compression by suffix", () => {
      assert.equal(resolveCompression("x.gz"), "gzip");
      assert.equal(resolveCompression("x.txt"), "uncompressed");
      assert.equal(resolveCompression("x.txt", "gzip"), "gzip");
      assert.equal(resolveCompression("x.gz", "uncompressed"), "uncompressed");
    });
  });

  describe("gzip", () => {
    it("round-trips through TextShardWriter and readLineBatches", async () => {
      const p = path.join(root, "out/part.txt.gz");
      const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} é😀`);
      const w = await TextShardWriter.open(FileSystems, p, { header: "HEADER" });
      for (let i = 0; i < lines.length; i += 700) {
        const wait = w.writeLines(lines.slice(i, i + 700));
        if (wait) await wait;
      }
      const result = await w.close();
      assert.deepEqual(result, { path: p, bytes: fs.statSync(p).size, lines: 5000 });
      assert.equal(zlib.gunzipSync(fs.readFileSync(p)).toString("utf8"), ["HEADER", ...lines].join("\n") + "\n");
      assert.deepEqual(await readAllLines(p), ["HEADER", ...lines]);
      assert.deepEqual((await collect(readLineBatches(p, { start: 0, end: result.bytes }, "auto", { chunkSize: 64 }))).lines, [
        "HEADER",
        ...lines,
      ]);
    });

    it("honours explicit compression regardless of suffix, and concatenated gzip members", async () => {
      const p = path.join(root, "data.bin");
      fs.writeFileSync(p, Buffer.concat([zlib.gzipSync("\uFEFFa\r\nb"), zlib.gzipSync("\nc\n")]));
      assert.deepEqual(await readAllLines(p, "gzip"), ["a", "b", "c"]);
      const w = await TextShardWriter.open(FileSystems, path.join(root, "plain-name"), { compression: "gzip" });
      w.writeLines(["zipped"]);
      await w.close();
      assert.equal(zlib.gunzipSync(fs.readFileSync(path.join(root, "plain-name"))).toString(), "zipped\n");
    });

    it("reports corrupt gzip and refuses to split it", async () => {
      const p = path.join(root, "fake.gz");
      fs.writeFileSync(p, "not gzip at all\n");
      await assert.rejects(readAllLines(p), (e: unknown) => {
        assert.ok(e instanceof FileSystemError);
        assert.equal(e.code, "CORRUPT_DATA");
        assert.match(e.message, /as gzip.*"uncompressed"/);
        return true;
      });
      assert.deepEqual(await readAllLines(p, "uncompressed"), ["not gzip at all"]);
      await assert.rejects(collect(readLineBatches(p, { start: 5, end: 10 })), /cannot be split/);
    });
  });
});
