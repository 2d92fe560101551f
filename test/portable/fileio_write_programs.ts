/**
 * A FileIO.writeDynamic program for worker threads, the Fn API harness and real runners: events
 * written one set of shards per event type, then the names of the files written (from the
 * transform's output) to `--output/files`. WRITE_DYNAMIC_EXPECTED is what the folders hold.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Create, definePipeline, FileIO, FixedWindows, type KV, Window } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

interface Event {
  readonly type: string;
  readonly id: number;
}

const EVENTS: readonly Event[] = [
  { type: "click", id: 1 },
  { type: "view", id: 2 },
  { type: "click", id: 3 },
  { type: "buy", id: 4 },
  { type: "view", id: 5 },
  { type: "click", id: 6 },
];

export const writeDynamicProgram = definePipeline({
  name: "portable-test-write-dynamic",
  description: "FileIO.writeDynamic: one set of shards per event type, and the names of the files written",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    shards: { type: "number", describe: "Shards per destination (0: one per bundle)", default: 2 },
  },
  build(root, flags) {
    root
      .apply("Events", Create.of(...EVENTS))
      .apply(
        "WritePerType",
        FileIO.writeDynamic<Event>()
          .by((e) => e.type)
          .via((e) => `${e.type}#${e.id}`)
          .to(`${flags.output}/events`)
          .withPrefix("events")
          .withSuffix(".txt")
          .withNumShards(flags.shards),
      )
      .map("FileName", (f: KV<string, string>) => `${f.key} ${path.relative(flags.output, f.value)}`)
      .apply("WriteNames", WriteToText.to(`${flags.output}/files`, { numShards: 1 }));
  },
});

/**
 * The same events a minute apart, in one-minute windows, written per destination and window
 * (`withWindowedWrites`): the files named in `--output/files` are WINDOWED_WRITE_EXPECTED.
 */
export const windowedWriteDynamicProgram = definePipeline({
  name: "portable-test-write-dynamic-windowed",
  description: "FileIO.writeDynamic with windowed writes: one file per event type and window",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply("Events", Create.timestamped(EVENTS.map((e) => ({ value: e, timestamp: e.id * 60_000 + 1 }))))
      .apply("Minutes", Window.into(new FixedWindows(60_000)))
      .apply("WritePerTypeAndWindow", FileIO.writeDynamic<Event>().by((e) => e.type).via((e) => `${e.type}#${e.id}`).to(`${flags.output}/events`).withPrefix("events").withWindowedWrites())
      .map("FileName", (f: KV<string, string>) => `${f.key} ${path.relative(flags.output, f.value)}`)
      .apply("WriteNames", WriteToText.to(`${flags.output}/files`, { numShards: 1 }));
  },
});

const minute = (id: number): string => `${new Date(id * 60_000).toISOString()}-${new Date((id + 1) * 60_000).toISOString()}`;

/** The files the windowed program writes: one per event (each in its own minute). */
export const WINDOWED_WRITE_EXPECTED = EVENTS.map((e) => `${e.type} events/events-${e.type}-${minute(e.id)}-00000-of-00001`).sort();

/** The lines of each destination, and the files named in `--output/files` with 2 shards. */
export const WRITE_DYNAMIC_EXPECTED = {
  lines: { buy: ["buy#4"], click: ["click#1", "click#3", "click#6"], view: ["view#2", "view#5"] } as Record<string, string[]>,
  files: ["buy", "click", "view"].flatMap((d) => [0, 1].map((i) => `${d} events/events-${d}-0000${i}-of-00002.txt`)),
};

/** The lines written per destination under `<output>/events` (by the files' names), and whether any hidden file is left. */
export function readWrittenEvents(output: string): { lines: Record<string, string[]>; names: string[] } {
  const dir = path.join(output, "events");
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  const lines: Record<string, string[]> = {};
  for (const name of names) {
    const destination = /^events-([a-z]+)-/.exec(name)?.[1] ?? `?${name}`;
    const text = fs.readFileSync(path.join(dir, name), "utf8");
    (lines[destination] ??= []).push(...text.split("\n").filter((l) => l !== ""));
  }
  for (const d of Object.keys(lines)) lines[d]!.sort();
  return { lines, names };
}
