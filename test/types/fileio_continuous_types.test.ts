/**
 * Type-level tests of continuous matching, imported from the package's entry point:
 * FileIO.matchContinuously and FileIO.match(...).continuously give FileMetadata, ReadFromText's
 * watchForNewFiles gives lines, ReadAllFromText reads the matches; wrong uses must not compile.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { FileIO, Pipeline, ReadAllFromText, ReadFromText, type FileMetadata, type MatchContinuously, type MatchContinuouslyOptions, type PCollection, type ReadableFile, type WatchForNewTextFiles } from "../../lib";
import { expectType } from "./expect_type";

describe("FileIO.matchContinuously and watchForNewFiles (type-level)", () => {
  it("output types, and the options' types", () => {
    const p = Pipeline.create();
    const watch = FileIO.matchContinuously("/in/*.csv", { intervalMillis: 10_000, start: new Date(0), stop: 60_000, matchUpdatedFiles: true, emptyMatchTreatment: "ALLOW", applyWindowing: true });
    expectType(watch)<MatchContinuously>(true);
    const files = p.apply("Watch", watch);
    expectType(files)<PCollection<FileMetadata>>(true);
    expectType(p.apply("JavaStyle", FileIO.match("/in/*.csv").continuously({ intervalMillis: 5_000 })))<PCollection<FileMetadata>>(true);
    expectType(files.apply("Read", FileIO.readMatches()))<PCollection<ReadableFile>>(true);
    expectType(files.apply("Lines", ReadAllFromText.create()))<PCollection<string>>(true);
    const lines = ReadFromText.from(["/a/*.txt", "/b/*.txt"], { compression: "gzip" }).watchForNewFiles({ intervalMillis: 1_000 });
    expectType(lines)<WatchForNewTextFiles>(true);
    expectType(p.apply("Text", lines))<PCollection<string>>(true);
    const options: MatchContinuouslyOptions = { deduplicate: false };
    assert.equal(options.deduplicate, false);

    const typeOnly = (): void => {
      // @ts-expect-error: an unknown empty-match treatment
      FileIO.matchContinuously("/x/*", { emptyMatchTreatment: "SOMETIMES" });
      // @ts-expect-error: the interval is milliseconds, a number
      FileIO.matchContinuously("/x/*", { intervalMillis: "10s" });
      // @ts-expect-error: a start is an instant or a Date
      FileIO.match("/x/*").continuously({ start: "now" });
      // @ts-expect-error: FileMetadata, not lines
      expectType(files)<PCollection<string>>(true);
    };
    assert.equal(typeof typeOnly, "function");
  });
});
