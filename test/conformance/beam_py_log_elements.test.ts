/**
 * Beam Python's util_test.py LogElementsTest and TeeTest against Beam's expected output (checked
 * with Beam Python 2.66): times are RFC 3339 as Python's Timestamp.to_rfc3339, whole seconds
 * without a fraction and microseconds otherwise. Each runs with one worker and with
 * --direct_num_workers 2.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GLOBAL_WINDOW_MAX_TIMESTAMP, GlobalWindows, GroupByKey, LogElements, MIN_TIMESTAMP, Tee, Window, kv, type PCollection } from "../../lib";
import { runDirect } from "../helpers";
import { labelledOutputs } from "./beam_helpers";

type Method = "log" | "info" | "warn" | "error";

/** Runs `body` with the console's methods recording their lines instead of printing them. */
async function capturingConsole(body: () => Promise<void>): Promise<Record<Method, string[]>> {
  const lines: Record<Method, string[]> = { log: [], info: [], warn: [], error: [] };
  const saved = new Map<Method, (...args: unknown[]) => void>();
  for (const m of Object.keys(lines) as Method[]) {
    saved.set(m, console[m]);
    console[m] = (...args: unknown[]) => lines[m].push(args.map(String).join(" "));
  }
  try {
    await body();
  } finally {
    for (const [m, fn] of saved) console[m] = fn;
  }
  return lines;
}

const OCT_1 = Date.UTC(2022, 9, 1);
const OCT_2 = Date.UTC(2022, 9, 2);

for (const workers of [1, 2] as const) {
  const options = { directNumWorkers: workers };
  describe(`Beam Python LogElementsTest, TeeTest (util_test.py), --direct_num_workers ${workers}`, () => {
    it("test_stdout_logs: prefix, timestamp and window in Python's RFC 3339 form (no fraction for whole seconds, microseconds otherwise)", async () => {
      const lines = await capturingConsole(async () => {
        const r = await runDirect(
          (p) =>
            p
              .apply(Create.timestamped([{ value: "event", timestamp: OCT_1 }, { value: "event", timestamp: OCT_2 }, { value: "e2", timestamp: OCT_1 + 250 }]))
              .apply(Window.into(new FixedWindows(60_000)))
              .apply(LogElements.of({ prefix: "prefix_", withWindow: true, withTimestamp: true })),
          options,
        );
        await r.waitUntilFinish();
      });
      assert.deepEqual(lines.log.sort(), [
        "prefix_e2, timestamp='2022-10-01T00:00:00.250000Z', window(start=2022-10-01T00:00:00Z, end=2022-10-01T00:01:00Z)",
        "prefix_event, timestamp='2022-10-01T00:00:00Z', window(start=2022-10-01T00:00:00Z, end=2022-10-01T00:01:00Z)",
        "prefix_event, timestamp='2022-10-02T00:00:00Z', window(start=2022-10-02T00:00:00Z, end=2022-10-02T00:01:00Z)",
      ]);
    });

    it("timestamps at the ends of time (Create's MIN_TIMESTAMP, a global-window grouping's end) are logged by name, not a failed run", async () => {
      const lines = await capturingConsole(async () => {
        const r = await runDirect((p) => {
          const created = p.apply(Create.of(kv("k", 1)));
          created.apply("Created", LogElements.of({ prefix: "created ", withTimestamp: true }));
          created
            .apply(Window.into(new GlobalWindows()))
            .apply(GroupByKey.create<string, number>())
            .apply("Grouped", LogElements.of({ prefix: "grouped ", withTimestamp: true, withWindow: true }));
        }, options);
        await r.waitUntilFinish();
      });
      assert.ok(MIN_TIMESTAMP < -8.64e15 && GLOBAL_WINDOW_MAX_TIMESTAMP > 8.64e15, "outside the range of a JavaScript Date");
      assert.deepEqual(lines.log.sort(), [
        "created { key: 'k', value: 1 }, timestamp='MIN_TIMESTAMP'",
        "grouped { key: 'k', value: [ 1 ] }, timestamp='GLOBAL_WINDOW_MAX_TIMESTAMP', window=GlobalWindow",
      ]);
    });

    it("test_ptransform_output, test_setting_level_uses_appropriate_log_channel, test_tee", async () => {
      const teed: string[] = [];
      const lines = await capturingConsole(async () => {
        const r = await labelledOutputs(
          (p, out) => {
            out("Logged", p.apply("Start", Create.of("a", "b", "c")).apply(LogElements.of({ prefix: "prefix_" })));
            p.apply("InfoStart", Create.of("element")).apply("I", LogElements.of({ prefix: "info_", level: "info" }));
            p.apply("WarningStart", Create.of("element")).apply("W", LogElements.of({ prefix: "warning_", level: "warning" }));
            p.apply("ErrorStart", Create.of("element")).apply("E", LogElements.of({ prefix: "error_", level: "error" }));
            out(
              "Teed",
              p
                .apply("TeeStart", Create.of("a", "b", "c"))
                .apply("TeePTransform", Tee.of<string>(LogElements.of({ prefix: "side effect " })))
                .apply(
                  "TeeCallable",
                  Tee.of((pcoll: PCollection<string>) => pcoll.map("CauseSideEffect", (e: string) => teed.push(`X${e}`))),
                ),
            );
          },
          undefined,
          options,
        );
        assert.deepEqual(r, { Logged: ['"a"', '"b"', '"c"'], Teed: ['"a"', '"b"', '"c"'] });
      });
      assert.deepEqual(lines.info, ["info_element"]);
      assert.deepEqual(lines.warn, ["warning_element"]);
      assert.deepEqual(lines.error, ["error_element"]);
      assert.deepEqual(lines.log.sort(), ["prefix_a", "prefix_b", "prefix_c", "side effect a", "side effect b", "side effect c"]);
      assert.deepEqual(teed.sort(), ["Xa", "Xb", "Xc"]);
    });
  });
}
