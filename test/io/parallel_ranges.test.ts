import { strict as assert } from "node:assert";
import { desiredRangeBytes, FIRST_RANGE_BYTES, splitForReaders, splitIntoRanges, TAIL_PIECES, TAIL_RANGES_PER_READER } from "../../lib/io/text_read";

const MiB = 1 << 20;

type Range = { readonly path: string; readonly start: number; readonly end: number };

/** Ranges cover each file exactly once, in order, with no empty range. */
function assertCovers(ranges: readonly Range[], files: readonly { path: string; sizeBytes: number }[]): void {
  const byFile = new Map<string, number>();
  for (const r of ranges) {
    assert.ok(r.end > r.start, `empty range ${JSON.stringify(r)}`);
    assert.equal(r.start, byFile.get(r.path) ?? 0, `gap or overlap at ${JSON.stringify(r)}`);
    byFile.set(r.path, r.end);
  }
  for (const f of files) assert.equal(byFile.get(f.path) ?? 0, f.sizeBytes, f.path);
}

/** The ranges `files` get for `readers`, plain and for parallel readers (checked to cover the files). */
function split(files: readonly { path: string; sizeBytes: number }[], readers: number): { desired: number; plain: Range[]; ranges: Range[] } {
  const desired = desiredRangeBytes(files, readers);
  const ranges = splitForReaders(files, desired, readers);
  assertCovers(ranges, files);
  return { desired, plain: splitIntoRanges(files, desired), ranges };
}

describe("ReadFromText: byte ranges for parallel readers (splitForReaders)", () => {
  const big = [{ path: "big.txt", sizeBytes: 100 * MiB + 12345 }];

  it("in a large read, makes the first range small and cuts the last two per reader into quarters", () => {
    const { desired, plain, ranges } = split(big, 2);
    assert.deepEqual(ranges[0], { path: "big.txt", start: 0, end: FIRST_RANGE_BYTES });
    assert.deepEqual(ranges[1], { path: "big.txt", start: FIRST_RANGE_BYTES, end: plain[0]!.end });
    // The middle is unchanged; the last four ranges became 4 × 4 pieces.
    const cut = 2 * TAIL_RANGES_PER_READER;
    assert.deepEqual(ranges.slice(2, 2 + plain.length - 1 - cut), plain.slice(1, plain.length - cut));
    assert.equal(ranges.length, plain.length + 1 + cut * (TAIL_PIECES - 1));
    const tail = ranges.slice(-cut * TAIL_PIECES);
    assert.equal(tail[0]!.start, plain[plain.length - cut]!.start);
    for (const r of tail) assert.ok(r.end - r.start <= Math.ceil(desired / TAIL_PIECES) + 1, JSON.stringify(r));
    // Never a range larger than splitIntoRanges makes.
    const largest = Math.max(...plain.map((r) => r.end - r.start));
    for (const r of ranges) assert.ok(r.end - r.start <= largest);
  });

  it("with more readers, cuts two last ranges per reader", () => {
    const { plain, ranges } = split(big, 3);
    assert.equal(ranges.length, plain.length + 1 + 3 * TAIL_RANGES_PER_READER * (TAIL_PIECES - 1));
  });

  it("leaves a read for one reader, and a small read, as splitIntoRanges splits it", () => {
    assert.deepEqual(splitForReaders(big, desiredRangeBytes(big, 1), 1), splitIntoRanges(big, desiredRangeBytes(big, 1)));
    for (const sizeBytes of [20, 5 * MiB, 31 * MiB]) {
      const files = [{ path: "small.txt", sizeBytes }];
      const desired = desiredRangeBytes(files, 2);
      assert.deepEqual(splitForReaders(files, desired, 2), splitIntoRanges(files, desired), `${sizeBytes} bytes`);
    }
  });

  it("changes only the first and the last file of several, and never a gzip file", () => {
    const files = [
      { path: "a.txt.gz", sizeBytes: 3 * MiB },
      { path: "b.txt", sizeBytes: 40 * MiB },
      { path: "c.txt", sizeBytes: 30 * MiB },
      { path: "d.txt", sizeBytes: 40 * MiB },
    ];
    const { plain, ranges } = split(files, 2);
    assert.deepEqual(ranges[0], plain[0], "the gzip file stays whole");
    assert.deepEqual(ranges[1], { path: "b.txt", start: 0, end: FIRST_RANGE_BYTES });
    const middle = (list: readonly Range[]): Range[] => list.filter((r) => r.path === "c.txt");
    assert.deepEqual(middle(ranges), middle(plain));
    assert.equal(ranges.filter((r) => r.path === "d.txt").length, plain.filter((r) => r.path === "d.txt").length + 2 * TAIL_RANGES_PER_READER * (TAIL_PIECES - 1));
  });

  it("cuts nothing when the last file is gzip (it cannot be split)", () => {
    const files = [
      { path: "b.txt", sizeBytes: 80 * MiB },
      { path: "z.txt.gz", sizeBytes: 3 * MiB },
    ];
    const { plain, ranges } = split(files, 2);
    assert.equal(ranges.length, plain.length + 1);
    assert.deepEqual(ranges.slice(-1), plain.slice(-1));
  });
});
