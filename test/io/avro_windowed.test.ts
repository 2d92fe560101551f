/**
 * WriteToAvro's windowed writes (Beam Java's `AvroIO.write().withWindowedWrites()`): one set of
 * files per window and pane, named as Java's DefaultFilenamePolicy names them
 * (`<prefix><start>-<end>-pane-<i>[-late][-last]-SSSSS-of-NNNNN<suffix>`), each appearing whole
 * as its pane fires; TestStream drives the windows in virtual time.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AfterCount, AfterWatermark, Create, DoFn, FixedWindows, ParDo, Pipeline, Window, WriteToAvro } from "../../lib";
import { readAvroBlocks, readAvroHeader } from "../../lib/io/avro/container";
import { avroType, plain } from "../../lib/io/avro/schema";
import { defaultPolicyWindowedName } from "../../lib/io/windowed_files";
import { GlobalWindow, IntervalWindow, ON_TIME_AND_ONLY_FIRING } from "../../lib/model/window";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect, runOk } from "../helpers";

const SCHEMA = { type: "record", name: "Event", fields: [{ name: "id", type: "long" }, { name: "name", type: "string" }] } as const;
type Event = { id: number; name: string };
const iso = (ms: number): string => new Date(ms).toISOString();

async function records(file: string): Promise<Event[]> {
  const head = await readAvroHeader(file);
  const type = avroType(head.schema);
  const out: Event[] = [];
  await readAvroBlocks(file, head, 0, fs.statSync(file).size, (b) => {
    for (let i = 0, pos = 0; i < b.count; i++) {
      const d = type.decode(b.data, pos);
      pos = d.offset;
      out.push(plain(d.value) as Event);
    }
  });
  return out.sort((a, b) => a.id - b.id);
}

const ev = (id: number, timestamp: number) => ({ value: { id, name: `e${id}` }, timestamp });

describe("WriteToAvro windowed writes", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "avro-windowed-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("names files as Beam Java's DefaultFilenamePolicy: window, pane (-late, -last), shard", () => {
    const w = new IntervalWindow(0, 60_000);
    assert.equal(defaultPolicyWindowedName("out/a", "W-P-SSSSS-of-NNNNN", ".avro", w, ON_TIME_AND_ONLY_FIRING, 1, 3), `out/a${iso(0)}-${iso(60_000)}-pane-0-last-00001-of-00003.avro`);
    const late = { isFirst: false, isLast: false, timing: "LATE" as const, index: 2, onTimeIndex: 1 };
    assert.equal(defaultPolicyWindowedName("out/a", "-W-P-SS", "", GlobalWindow.INSTANCE, late, 4, 10), "out/a-GlobalWindow-pane-2-late-04");
  });

  it("writes unbounded input per window and pane as each fires, with Beam Java's names", async () => {
    const prefix = path.join(dir, "events");
    const result = await runOk((p) => {
      p.apply(
        TestStream.create<Event>()
          .addElements(ev(1, 1_000), ev(2, 2_000), ev(3, 61_000))
          .advanceWatermarkTo(60_000) // [0, 60 s) fires on time
          .addElements(ev(4, 3_000)) // a late pane for [0, 60 s)
          .advanceWatermarkToInfinity(),
      )
        .apply(Window.into(new FixedWindows(60_000), { trigger: AfterWatermark({ late: AfterCount(1) }), allowedLatenessMillis: 600_000 }))
        .apply(WriteToAvro.to(prefix, { schema: SCHEMA, suffix: ".avro", codec: "null" }));
    });
    const first = `events${iso(0)}-${iso(60_000)}`;
    const second = `events${iso(60_000)}-${iso(120_000)}`;
    const names = fs.readdirSync(dir).sort();
    // The on-time pane of [0, 60 s) is not its last (lateness allows more); the late pane is not
    // its last either (the window closes at the end of time, after the last firing); [60 s, 120 s)
    // fires once, at the end of time, as its last pane.
    assert.deepEqual(names, [`${first}-pane-0-00000-of-00001.avro`, `${first}-pane-1-late-00000-of-00001.avro`, `${second}-pane-0-last-00000-of-00001.avro`].sort(), "no hidden files left");
    assert.deepEqual(await records(path.join(dir, `${first}-pane-0-00000-of-00001.avro`)), [{ id: 1, name: "e1" }, { id: 2, name: "e2" }]);
    assert.deepEqual(await records(path.join(dir, `${first}-pane-1-late-00000-of-00001.avro`)), [{ id: 4, name: "e4" }]);
    assert.deepEqual(await records(path.join(dir, `${second}-pane-0-last-00000-of-00001.avro`)), [{ id: 3, name: "e3" }]);
    assert.deepEqual(result.outputs.map((o) => path.basename(o)).sort(), names);
  });

  it("spreads a window's records over numShards files, and honours a template with W and P", async () => {
    const prefix = path.join(dir, "s");
    await runOk((p) => {
      p.apply(TestStream.create<Event>().addElements(ev(1, 1), ev(2, 2), ev(3, 3), ev(4, 4)).advanceWatermarkToInfinity())
        .apply(Window.into(new FixedWindows(10)))
        .apply(WriteToAvro.to(prefix, { schema: SCHEMA, numShards: 2, shardNameTemplate: "-W-P-SS" }));
    });
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names, [`s-${iso(0)}-${iso(10)}-pane-0-last-00`, `s-${iso(0)}-${iso(10)}-pane-0-last-01`]);
    const all = (await Promise.all(names.map((n) => records(path.join(dir, n))))).flat();
    assert.deepEqual(all.map((r) => r.id).sort(), [1, 2, 3, 4]);
  });

  it("windowedWrites: true writes bounded windowed input per window too", async () => {
    const prefix = path.join(dir, "b");
    await runOk((p) => {
      p.apply(Create.timestamped([ev(1, 5), ev(2, 150)]))
        .apply(Window.into(new FixedWindows(100)))
        .apply(WriteToAvro.to(prefix, { schema: SCHEMA, windowedWrites: true, suffix: ".avro" }));
    });
    assert.deepEqual(fs.readdirSync(dir).sort(), [`b${iso(0)}-${iso(100)}-pane-0-last-00000-of-00001.avro`, `b${iso(100)}-${iso(200)}-pane-0-last-00000-of-00001.avro`]);
  });

  it("a failed run (TestStream, bounded) leaves no file, not even of windows that fired", async () => {
    const prefix = path.join(dir, "f");
    const check = ParDo.of(
      new (class extends DoFn<Event, Event> {
        process(x: Event, ctx: { output(v: Event): void }): void {
          if (x.id === 99) throw new Error("bad record");
          ctx.output(x);
        }
      })(),
    );
    const result = await runDirect((p) => {
      p.apply(TestStream.create<Event>().addElements(ev(1, 1)).advanceWatermarkTo(20).addElements(ev(99, 25)).advanceWatermarkToInfinity())
        .apply("Check", check)
        .apply(Window.into(new FixedWindows(10)))
        .apply(WriteToAvro.to(prefix, { schema: SCHEMA }));
    });
    assert.equal(result.state, "FAILED");
    assert.deepEqual(fs.readdirSync(dir), [], "no output and no hidden files");
  });

  it("refuses a template without the window or the pane for windowed writes", () => {
    const p = Pipeline.create();
    const stream = p.apply("Stream", TestStream.create<Event>().addElements(ev(1, 0)).advanceWatermarkToInfinity()).apply(Window.into(new FixedWindows(10)));
    assert.throws(() => stream.apply("W1", WriteToAvro.to("out/x", { schema: SCHEMA, shardNameTemplate: "-SSSSS-of-NNNNN" })), /W1: windowed writes .* lacks W \(the window\) and P \(the pane\)/);
    assert.throws(() => stream.apply("W2", WriteToAvro.to("out/x", { schema: SCHEMA, shardNameTemplate: "W-SSSSS" })), /W2: .* lacks P \(the pane\)/);
  });
});
