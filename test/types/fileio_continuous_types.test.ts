/**
 * Type-level tests of continuous matching, imported from the package's entry point:
 * FileIO.matchContinuously and FileIO.match(...).continuously give FileMetadata, ReadFromText's
 * watchForNewFiles gives lines, ReadAllFromText reads the matches, FileIO.matchAll().continuously
 * takes a PCollection of patterns and Watch.Growth termination conditions; wrong uses must not compile.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, FileIO, Pipeline, ReadAllFromText, ReadFromText, Watch, type ContinuousMatchAllOptions, type FileMetadata, type MatchAllContinuously, type MatchContinuously, type MatchContinuouslyOptions, type PCollection, type ReadableFile, type TerminationCondition, type WatchForNewTextFiles } from "../../lib";
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

    // Beam Java's FileIO.matchAll().continuously(interval, condition) over a PCollection of patterns.
    const condition = Watch.Growth.eitherOf(Watch.Growth.afterTimeSinceNewOutput(60_000), Watch.Growth.afterTotalOf(3_600_000));
    expectType(condition)<TerminationCondition>(true);
    const watchAll = FileIO.matchAll().continuously({ intervalMillis: 1_000, terminationCondition: condition, matchUpdatedFiles: true });
    expectType(watchAll)<MatchAllContinuously>(true);
    const patterns = p.apply("Patterns", Create.of("/a/*", "/b/*"));
    expectType(patterns.apply("WatchAll", watchAll))<PCollection<FileMetadata>>(true);
    expectType(p.apply("Until", FileIO.match("/in/*").continuously({ intervalMillis: 5_000, terminationCondition: Watch.Growth.never() })))<PCollection<FileMetadata>>(true);
    expectType(p.apply("TextUntil", ReadFromText.from("/in/*").watchForNewFiles({ terminationCondition: Watch.Growth.afterIterations(3) })))<PCollection<string>>(true);
    const allOptions: ContinuousMatchAllOptions = { terminationCondition: Watch.Growth.allOf(Watch.Growth.never(), Watch.Growth.afterTotalOf(1)) };
    assert.equal(allOptions.terminationCondition?.kind, "allOf");

    const typeOnly = (): void => {
      // @ts-expect-error: matchAll().continuously reads patterns, not the pipeline's start
      p.apply("NoInput", FileIO.matchAll().continuously({}));
      // @ts-expect-error: a PCollection of patterns (strings), not numbers
      p.apply("Numbers", Create.of(1, 2)).apply("Bad", FileIO.matchAll().continuously());
      // @ts-expect-error: a duration is milliseconds, a number
      Watch.Growth.afterTotalOf("5s");
      // @ts-expect-error: a termination condition comes from Watch.Growth, not a number
      FileIO.matchAll().continuously({ terminationCondition: 60_000 });
      // @ts-expect-error: nor a string
      FileIO.match("/x/*").continuously({ terminationCondition: "never" });
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
