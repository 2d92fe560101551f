/**
 * The Beam model conformance cases (test/conformance/cases/*.json) as one program a real runner
 * can run: the case's script as a TestStream (Beam's `beam:transform:teststream:v1` on the
 * runner), its Window.into and grouping, and every fired pane written as the cases write it
 * (key, window, values or sum, timestamp, PaneInfo timing#index/onTimeIndex, first, last).
 *
 * A runner's output files do not say which step of the script fired a pane, so the panes are
 * compared as a whole (`expectedPanes`): the pane indexes and timings already show the order.
 */
import { Combine, Combiners, DefaultTrigger, definePipeline, FixedWindows, GlobalWindows, GroupByKey, kv, ParDo, TestStream, Window, type KV, type PCollection, type ProcessContext } from "../../lib";
import { BytesCoder, KVCoder, StringUtf8Coder } from "../../lib/coders/index";
import { WriteToText } from "../../lib/io/textio";
import { formatPane, loadCases, parseElement, windowInto, type ConformanceCase } from "../conformance/cases";

/** The case of that name; fails with the names there are. */
export function caseNamed(name: string): ConformanceCase {
  const all = loadCases();
  const c = all.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no conformance case named '${name}' (test/conformance/cases/*.json)`);
  return c;
}

/** Every pane the case expects, over all its steps, sorted as readShards sorts lines. */
export function expectedPanes(c: ConformanceCase): string[] {
  return c.script.flatMap((s) => s.fires ?? []).sort();
}

/** The case's script as a TestStream of keyed numbers (no step markers: nothing reads them here). */
function script(c: ConformanceCase): TestStream<KV<string, number>> {
  let s = TestStream.create<KV<string, number>>();
  for (const step of c.script) {
    if ("add" in step) {
      s = s.addElements(
        ...step.add.map((text) => {
          const e = parseElement(text);
          return { value: kv(e.key, e.value), timestamp: e.timestamp };
        }),
      );
    } else if ("watermark" in step) s = step.watermark === "inf" ? s.advanceWatermarkToInfinity() : s.advanceWatermarkTo(step.watermark);
    else s = s.advanceProcessingTime(step.processingTime);
  }
  return s;
}

export const triggerCaseProgram = definePipeline({
  name: "portable-test-trigger-case",
  description: "One Beam model conformance case: TestStream → Window.into(trigger...) → GroupByKey or Sum → panes",
  flags: {
    case_name: { type: "string", describe: "The case's name (test/conformance/cases/*.json)", required: true },
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    const c = caseNamed(flags.case_name);
    const windowed = root.apply("Events", script(c)).apply("Window", windowInto<KV<string, number>>(c.windowing));
    const grouped: PCollection<KV<string, number[] | number>> =
      c.grouping === "Sum" ? windowed.apply("Sum", Combine.perKey(Combiners.sum())) : windowed.apply("Group", GroupByKey.create());
    grouped
      .apply(
        "Panes",
        ParDo.of((g: KV<string, number[] | number>, ctx: ProcessContext<string>) => {
          ctx.output(formatPane(g.key, ctx.window, Array.isArray(g.value) ? [...g.value] : g.value, ctx.timestamp, ctx.pane));
        }),
      )
      // Back to the global window and the default trigger: the write's own grouping must not
      // re-run the case's trigger (a finished trigger would drop the later panes as closed).
      .apply("Rewindow", Window.into(new GlobalWindows(), { trigger: DefaultTrigger(), accumulationMode: "DISCARDING", allowedLatenessMillis: 0 }))
      .apply("Write", WriteToText.to(`${flags.output}/panes`, { numShards: 1 }));
  },
});

/**
 * TestStreams of strings and of KVs ending in bytes, in Beam's standard coders: the two coders
 * whose outer and nested encodings differ (translate_streaming.ts testStreamCoderId).
 */
export const testStreamCodersProgram = definePipeline({
  name: "portable-test-teststream-coders",
  description: "A TestStream in StringUtf8Coder or KV(StringUtf8Coder, BytesCoder) → text",
  flags: {
    kind: { type: "string", describe: "words (strings) or blobs (KVs of bytes): Prism runs one TestStream per pipeline", required: true },
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    const lines =
      flags.kind === "words"
        ? root
            .apply("Words", TestStream.create<string>().addElements({ value: "ann", timestamp: 1 }, { value: "", timestamp: 2 }, { value: "b\u00f6b", timestamp: 3 }).advanceWatermarkToInfinity())
            .setCoder(StringUtf8Coder.INSTANCE)
            .map("Word", (w: string) => `word:${w}:${w.length}`)
        : root
            .apply("Blobs", TestStream.create<KV<string, Uint8Array>>().addElements({ value: kv("k", Uint8Array.of(1, 2, 3)), timestamp: 1 }, { value: kv("", new Uint8Array(0)), timestamp: 2 }).advanceWatermarkToInfinity())
            .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, BytesCoder.INSTANCE))
            .map("Blob", (e: KV<string, Uint8Array>) => `blob:${e.key}=${Buffer.from(e.value).toString("hex")}`);
    lines.apply("Minute", Window.into(new FixedWindows(60_000))).apply("Write", WriteToText.to(`${flags.output}/elements`, { numShards: 1 }));
  },
});

/** What testStreamCodersProgram writes, sorted as readShards sorts lines. */
export const TEST_STREAM_CODERS_EXPECTED: Readonly<Record<"words" | "blobs", readonly string[]>> = { words: ["word::0", "word:ann:3", "word:b\u00f6b:3"], blobs: ["blob:=", "blob:k=010203"] };
