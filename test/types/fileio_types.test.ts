/**
 * Type-level tests of FileIO and ReadAllFromText, imported from the package's entry point: what each
 * transform outputs, and the wrong uses that must not compile. This file fails to COMPILE when that
 * breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, FileIO, Pipeline, ReadAllFromText, type FileMetadata, type FileNaming, type FileNamingContext, type KV, type PCollection, type ReadableFile, type WriteDynamic } from "../../lib";
import { expectType } from "./expect_type";

describe("FileIO and ReadAllFromText (type-level)", () => {
  it("each transform's output type, and its inputs", () => {
    const p = Pipeline.create();
    const matched = p.apply("Match", FileIO.match("/data/*.txt", { emptyMatchTreatment: "ALLOW" }));
    expectType(matched)<PCollection<FileMetadata>>(true);
    const patterns = p.apply("Patterns", Create.of("/a/*.txt", "/b/*.txt"));
    expectType(patterns.apply("MatchAll", FileIO.matchAll()))<PCollection<FileMetadata>>(true);
    const files = matched.apply("ReadMatches", FileIO.readMatches({ compression: "gzip", directoryTreatment: "PROHIBIT" }));
    expectType(files)<PCollection<ReadableFile>>(true);
    expectType(patterns.apply("Lines", ReadAllFromText.create()))<PCollection<string>>(true);
    expectType(patterns.apply("WithNames", ReadAllFromText.withFilename({ emptyMatchTreatment: "DISALLOW" })))<PCollection<KV<string, string>>>(true);
    expectType(files.apply("FileLines", ReadAllFromText.create()))<PCollection<string>>(true);
    expectType(matched.apply("MetadataLines", ReadAllFromText.create()))<PCollection<string>>(true);

    const typeOnly = (): void => {
      const numbers = p.apply("Numbers", Create.of(1, 2));
      // @ts-expect-error: ReadAllFromText reads patterns, FileMetadata or ReadableFiles
      numbers.apply("NotPatterns", ReadAllFromText.create());
      // @ts-expect-error: matchAll takes patterns
      numbers.apply("NotPatternsToo", FileIO.matchAll());
      // @ts-expect-error: readMatches takes FileMetadata or paths (as Beam Python's ReadMatches)
      numbers.apply("NotMetadata", FileIO.readMatches());
      expectType(patterns.apply("Paths", FileIO.readMatches()))<PCollection<ReadableFile>>(true);
      // @ts-expect-error: an unknown empty-match treatment
      FileIO.match("/x", { emptyMatchTreatment: "SOMETIMES" });
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("FileIO.writeDynamic: typed elements need a formatting function, destinations are strings", () => {
    const p = Pipeline.create();
    interface Event {
      readonly type: string;
      readonly id: number;
    }
    const events = p.apply("Events", Create.of<Event>({ type: "click", id: 1 }));
    const lines = p.apply("Lines", Create.of("a", "b"));
    const write = FileIO.writeDynamic<Event>()
      .by((e) => e.type)
      .via((e) => `${e.id}`)
      .to("/out")
      .withNaming((d: string): FileNaming => FileIO.defaultNaming(d, ".txt"));
    expectType(write)<WriteDynamic<Event, Event>>(true);
    expectType(events.apply("Write", write))<PCollection<KV<string, string>>>(true);
    expectType(lines.apply("WriteLines", FileIO.writeDynamic().by((l) => l).to("/out").withNumShards(2)))<PCollection<KV<string, string>>>(true);
    const naming: FileNaming = (f: FileNamingContext) => `${f.shardIndex}-of-${f.numShards}${f.compression === "gzip" ? ".gz" : ""}`;
    assert.equal(typeof naming, "function");

    const typeOnly = (): void => {
      // @ts-expect-error: an Event is not a line; without .via the write takes strings only
      events.apply("NoFormat", FileIO.writeDynamic<Event>().by((e) => e.type).to("/out"));
      // @ts-expect-error: a destination is a string
      FileIO.writeDynamic<Event>().by((e) => e.id);
      // @ts-expect-error: the formatting function makes a string line
      FileIO.writeDynamic<Event>().via((e) => e.id);
      // @ts-expect-error: a write of Events does not take strings
      lines.apply("Mismatch", write);
      // @ts-expect-error: an unknown compression
      FileIO.writeDynamic().withCompression("brotli");
    };
    assert.equal(typeof typeOnly, "function");
  });
});
