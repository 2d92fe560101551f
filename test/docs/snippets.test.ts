/**
 * The programming guide's snippets (docs/snippets/*.ts, compiled by the normal build against the
 * package's public entry points) run here on the DirectRunner with their outputs asserted, and
 * the guide's code blocks are checked to be exactly their regions (see snippet_sync.ts).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import "../../runners/direct";
import { assertThat, equalTo, kv, Create, ReadFromAvro, ReadFromParquet, ReadFromTFRecord, WriteToAvro, WriteToParquet, TestStream, satisfies, type KV } from "../../lib";
import { runDirect, runOk, readShards } from "../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../io/gcp/emulator_env";
import { MiniJobServer } from "../portable/job_server";
import { PubSubReader } from "../../lib/io/pubsub";
import { markdownFiles, regionsOf, REPO_ROOT, SNIPPETS_DIR, syncAll } from "./snippet_sync";
import * as pipelines from "../../docs/snippets/pipelines";
import * as pcollections from "../../docs/snippets/pcollections";
import * as transforms from "../../docs/snippets/transforms";
import * as schemaTransforms from "../../docs/snippets/schema_transforms";
import * as windowing from "../../docs/snippets/windowing";
import * as triggers from "../../docs/snippets/triggers";
import * as metrics from "../../docs/snippets/metrics";
import * as state from "../../docs/snippets/state";
import * as io from "../../docs/snippets/io";
import * as testing from "../../docs/snippets/testing";
import * as runners from "../../docs/snippets/runners";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-docs-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeInput(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

describe("docs: the guide's code blocks are the snippets' regions", () => {
  it("every marked block equals its region (npm run docs:snippets updates them)", () => {
    const uses = syncAll(false);
    assert.ok(uses.length >= 30, `only ${uses.length} snippet uses found in ${markdownFiles().length} markdown files`);
    const stale = uses.filter((u) => u.actual !== u.expected).map((u) => `${path.relative(REPO_ROOT, u.markdown)}:${u.line} (${u.file}#${u.region})`);
    assert.deepEqual(stale, [], "run `npm run docs:snippets`");
  });

  it("every region of every snippet file is shown somewhere", () => {
    const used = new Set(syncAll(false).map((u) => `${u.file}#${u.region}`));
    const unused = fs
      .readdirSync(SNIPPETS_DIR)
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => [...regionsOf(path.join(SNIPPETS_DIR, f)).keys()].map((r) => `${f}#${r}`))
      .filter((r) => !used.has(r));
    assert.deepEqual(unused, []);
  });
});

describe("docs: programming guide snippets run", function () {
  this.timeout(60_000);

  describe("pipelines", () => {
    it("create_and_run counts words into sharded files", async () => {
      const input = writeInput("wc.txt", "to be or not\nto be\n");
      const out = path.join(tmp, "wc", "counts");
      const result = await pipelines.wordCount(input, out);
      assert.equal(result.state, "DONE");
      assert.deepEqual(readShards(out), ["be: 2", "not: 1", "or: 1", "to: 2"]);
    });

    it("options_in_code sets options", () => {
      const p = pipelines.withOptions();
      assert.equal(p.options.jobName, "word-count");
      assert.equal(p.options.directNumWorkers, 2);
    });

    it("program runs with typed flags", async () => {
      const input = writeInput("lengths.txt", "a bb ccc\n");
      const out = path.join(tmp, "lengths", "out");
      const result = await pipelines.wordLengths.run({ input, output: out, min_length: 2 });
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(out), ["bb: 2", "ccc: 3"]);
    });
  });

  describe("pcollections", () => {
    it("create, read and types", async () => {
      const file = writeInput("lines.txt", "x\ny\n");
      await runOk((p) => {
        const { numbers, lines, events } = pcollections.createData(p);
        assertThat(numbers, equalTo([1, 2, 3, 4]), "NumbersCheck");
        assertThat(lines, equalTo(["to be", "or not", "to be"]), "LinesCheck");
        assertThat(events, equalTo(["login", "logout"]), "EventsCheck");
      });
      await runOk((p) => assertThat(pcollections.readLines(p, file), equalTo(["x", "y"])));
      await runOk((p) => assertThat(pcollections.typedFlow(p), equalTo([kv("apple", 5), kv("kiwi", 4), kv("banana", 6)])));
      await runOk((p) => assertThat(pcollections.schemaRows(p), equalTo(["ada: 1449"])));
    });
  });

  describe("transforms", () => {
    it("element-wise, ParDo (class, bundle, function)", async () => {
      await runOk((p) => assertThat(transforms.elementwise(p), equalTo(["THE", "QUICK", "BROWN", "FOX", "JUMPS", "OVER", "THE", "LAZY", "DOG"])));
      const result = await runOk((p) => assertThat(transforms.pardoClass(p), equalTo(["Hello", "world", "hello", "again"])));
      assert.equal(result.metrics.counterTotal("ExtractWords", "emptyLines"), 1);
      await runOk((p) => assertThat(transforms.pardoBundle(p), equalTo([100, 100, 50])));
      await runOk((p) => assertThat(transforms.pardoFunction(p), equalTo([1, 2, 3])));
      await runOk((p) => {
        const { ok, bad } = transforms.elementwiseDeadLetters(p);
        assertThat(ok, equalTo([12, 7]), "Ok");
        assertThat(bad, equalTo(["twelve (RangeError: not an amount: twelve)"]), "Bad");
      });
    });

    it("GroupByKey, Combine, CombineFn, Count, Distinct", async () => {
      await runOk((p) => assertThat(transforms.groupByKey(p), equalTo(["cat: 1,9", "dog: 2,5"])));
      await runOk((p) => {
        const { sums, means, total } = transforms.combinePerKey(p);
        assertThat(sums, equalTo([kv("cat", 10), kv("dog", 7)]), "SumsCheck");
        assertThat(means, equalTo([kv("cat", 5), kv("dog", 3.5)]), "MeansCheck");
        assertThat(total, equalTo([17]), "TotalCheck");
      });
      await runOk((p) => assertThat(transforms.customCombine(p), equalTo([kv("cat", 5), kv("dog", 3.5)])));
      await runOk((p) => {
        const { perWord, howMany, distinct } = transforms.counting(p);
        assertThat(perWord, equalTo([kv("to", 2), kv("be", 2), kv("or", 1), kv("not", 1)]), "PerWordCheck");
        assertThat(howMany, equalTo([6]), "HowManyCheck");
        assertThat(distinct, equalTo(["to", "be", "or", "not"]), "DistinctCheck");
      });
    });

    it("CoGroupByKey; KvSwap, WithTimestamps, Latest, Sample", async () => {
      await runOk((p) => assertThat(transforms.coGroupByKey(p), equalTo(["amy: amy@example.com,amy@work.com / 555-0100", "carl: carl@example.com / ", "james:  / 555-0111"])));
      await runOk((p) => {
        const { swapped, newest, sample, some } = transforms.moreTransforms(p);
        assertThat(newest, equalTo([kv("s1", 23), kv("s2", 7)]), "NewestCheck");
        assertThat(swapped, equalTo([kv(23, "s1"), kv(7, "s2")]), "SwappedCheck");
        assertThat(sample, satisfies((samples: readonly number[][]) => assert.ok(samples.length === 1 && samples[0]!.length === 2 && samples[0]!.every((v) => [20, 23, 7].includes(v)), JSON.stringify(samples))), "SampleCheck");
        assertThat(some, satisfies((picked: readonly KV<string, number>[]) => assert.equal(picked.length, 1)), "SomeCheck");
      });
    });

    it("Flatten, Sets, schema transforms, Partition, keys and values", async () => {
      await runOk((p) =>
        assertThat(transforms.composedCombine(p), equalTo([kv("amy", { orders: 2, revenue: 42, largest: 30 }), kv("bo", { orders: 1, revenue: 5, largest: 5 })])),
      );
      await runOk((p) => assertThat(transforms.waitOn(p), equalTo(["second:r1", "second:r2", "second:r3"])));
      await runOk((p) => {
        const { above, total } = transforms.combineWithSideInputs(p);
        assertThat(above, equalTo([kv("s1", 1), kv("s2", 1)]), "AboveCheck");
        assertThat(total, equalTo([28]), "TotalCheck");
      });
      await runOk((p) => assertThat(transforms.flatten(p), equalTo(["w1", "w2", "a1", "k1"])));
      await runOk((p) => {
        const { mean, sums, longest } = transforms.shorthandCombines(p);
        assertThat(mean, equalTo([4.25]), "CheckMean");
        assertThat(sums, equalTo([kv("cat", 10), kv("dog", 7)]), "CheckSums");
        assertThat(longest, equalTo(["ccc"]), "CheckLongest");
      });
      await runOk((p) => {
        const { words, small } = transforms.flattenIterables(p);
        assertThat(words, equalTo(["to", "be", "or", "not"]), "CheckWords");
        assertThat(small, equalTo([1, 5]), "CheckSmall");
      });
      await runOk((p) => {
        const { both, onlyMonday, everyDay } = transforms.sets(p);
        assertThat(both, equalTo(["bo"]), "CheckBoth");
        assertThat(onlyMonday, equalTo(["amy", "bo", "carl"]), "CheckOnlyMonday");
        assertThat(everyDay, equalTo(["bo"]), "CheckEveryDay");
      });
      await runOk((p) => {
        const out = schemaTransforms.schemaTransforms(p);
        const ann = { id: 1, buyer: "ann", cents: 1050n, ship: { city: "Oslo", zip: "0150" } };
        const bob = { id: 2, buyer: "bob", cents: 300n, ship: { city: "Lima", zip: null } };
        assertThat(out.cities!, equalTo([{ id: 1, city: "Oslo" }, { id: 2, city: "Lima" }]), "CheckCities");
        assertThat(out.priced!, equalTo([{ id: 1, euros: 10.5 }, { id: 2, euros: 3 }]), "CheckPriced");
        assertThat(out.flat!, equalTo([{ id: 1, buyer: "ann", cents: 1050n, city: "Oslo" }, { id: 2, buyer: "bob", cents: 300n, city: "Lima" }]), "CheckFlat");
        assertThat(out.renamed!, equalTo([{ id: 1, customer: "ann", cents: 1050n, ship: { town: "Oslo", zip: "0150" } }, { id: 2, customer: "bob", cents: 300n, ship: { town: "Lima", zip: null } }]), "CheckRenamed");
        assertThat(out.tagged!, equalTo([{ ...ann, channel: "web" }, { ...bob, channel: "web" }]), "CheckTagged");
        assertThat(out.big!, equalTo([ann]), "CheckBig");
        assertThat(out.withUser!, equalTo([{ lhs: ann, rhs: { userId: "ann", name: "Ann" } }, { lhs: bob, rhs: null }]), "CheckWithUser");
      });
      await runOk((p) => {
        const out = schemaTransforms.jsonAndCast(p);
        assertThat(out.results!, equalTo([{ name: "ann", height: 80, knowsJavascript: null }]), "CheckResults");
        assertThat(
          out.failedToParseLines!,
          equalTo([
            {
              line: '{"name": "bob", "height": "tall"}',
              err: `Unable to get value from field 'height'. Schema type 'INT32'. JSON node type STRING: Value "tall" is out of range for the type of the field defined in the row schema.`,
            },
          ]),
          "CheckFailed",
        );
        assertThat(out.json!, equalTo(['{"name":"ann","height":80,"knowsJavascript":null}']), "CheckJson");
        assertThat(out.wide!, equalTo([{ height: 80n, name: "ann" }]), "CheckWide");
        assertThat(out.small!, equalTo([{ height: 80 }]), "CheckSmall");
      });
      await runOk((p) => {
        const [low, mid, high] = transforms.partition(p);
        assertThat(low!, equalTo([12]), "LowCheck");
        assertThat(mid!, equalTo([55, 40]), "MidCheck");
        assertThat(high!, equalTo([97, 81]), "HighCheck");
      });
      await runOk((p) => {
        const { byInitial, keys, values } = transforms.keysAndValues(p);
        assertThat(byInitial, equalTo([kv("a", "apple"), kv("a", "avocado"), kv("k", "kiwi")]), "ByInitialCheck");
        assertThat(keys, equalTo(["a", "a", "k"]), "KeysCheck");
        assertThat(values, equalTo(["apple", "avocado", "kiwi"]), "ValuesCheck");
      });
    });

    it("Regex, ToString", async () => {
      await runOk((p) => {
        const { codes, fields, masked, words, tsv } = transforms.textTransforms(p);
        assertThat(tsv, equalTo(["ERR\t42", "OK\t7", "WARN\t13"]), "TsvCheck");
        assertThat(codes, equalTo(["ERR", "OK", "WARN"]), "CodesCheck");
        assertThat(fields, equalTo([kv("ERR", "42"), kv("OK", "7"), kv("WARN", "13")]), "FieldsCheck");
        assertThat(masked, equalTo(["ERR ## disk full", "OK #", "WARN ## slow"]), "MaskedCheck");
        assertThat(words, equalTo(["ERR", "42", "disk", "full", "OK", "7", "WARN", "13", "slow"]), "WordsCheck");
      });
    });

    it("GroupIntoBatches", async () => {
      await runOk((p) => {
        const { sizes, sharded } = transforms.groupIntoBatches(p);
        assertThat(sizes, equalTo(["eu: 2", "eu: 1", "us: 1"]), "SizesCheck");
        assertThat(sharded, equalTo(["eu: 3", "us: 1", "bytes 3", "bytes 1", "capped 3", "capped 1"]), "OptionsCheck");
      });
    });

    it("BatchElements, LogElements and Tee", async () => {
      await runOk((p) => {
        const { sizes, sized, logged, kept, count } = transforms.batchElements(p);
        assertThat(sizes, equalTo([10, 10, 5]), "SizesCheck");
        assertThat(sized, satisfies((chars: readonly number[]) => assert.ok(chars.length > 1 && chars.every((n) => n <= 64), `batches of ${chars.join(", ")} characters`)), "SizedCheck");
        assertThat(logged, equalTo(["a", "b"]), "LoggedCheck");
        assertThat(kept, equalTo(["a", "b"]), "KeptCheck");
        assertThat(count, equalTo([2]), "CountCheck");
      });
    });

    it("side inputs and tagged outputs", async () => {
      await runOk((p) => assertThat(transforms.sideInputs(p), equalTo(["apple|red", "kiwi |green"])));
      await runOk((p) => assertThat(transforms.sideInputsDoFn(p), equalTo(["apple:fruit+red", "kiwi:fruit"])));
      await runOk((p) => {
        const { main, negative, invalid } = transforms.taggedOutputs(p);
        assertThat(main, equalTo([1, 3]), "MainCheck");
        assertThat(negative, equalTo([-2]), "NegativeCheck");
        assertThat(invalid, equalTo(["x"]), "InvalidCheck");
      });
    });

    it("composite transforms", async () => {
      await runOk((p) => {
        const { counts, firstLetters } = transforms.composites(p);
        assertThat(counts, equalTo([kv("bb", 2), kv("ccc", 1)]), "CountsCheck");
        assertThat(firstLetters, equalTo(["b", "c"]), "InitialsCheck");
      });
    });
  });

  describe("windowing", () => {
    it("fixed, sliding, sessions, global windows and event times", async () => {
      await runOk((p) => assertThat(windowing.describeWindows(p), equalTo(["10:00-10:01 ann=1", "10:01-10:02 bob=1", "10:02-10:03 ann=1", "10:09-10:10 ann=1"])));
      await runOk((p) => assertThat(windowing.global(p), equalTo([kv("ann", 3), kv("bob", 1)])));
      await runOk((p) => assertThat(windowing.timestamps(p), equalTo([kv("a", 1), kv("a", 1)])));
      await runOk((p) => assertThat(windowing.sliding(p).map("Format", (c) => `${c.key}=${c.value}`), equalTo(slidingExpected())));
      await runOk((p) => assertThat(windowing.sessions(p), equalTo([kv("ann", 2), kv("bob", 1), kv("ann", 1)])));
    });
  });

  describe("triggers", () => {
    it("early, on-time and late panes, accumulating", async () => {
      await runOk((p) => {
        assertThat(triggers.earlyAndLate(triggers.teamScores(p)), equalTo(["red=5 EARLY", "red=8 ON_TIME", "red=9 LATE"]));
      });
    });

    it("Repeatedly(AfterCount(2)) in the global window, discarding", async () => {
      await runOk((p) => {
        // Two count-triggered panes, then the on-time pane the global window fires when the
        // watermark reaches its end (empty here, onTimeBehavior FIRE_ALWAYS): a sum of 0.
        assertThat(triggers.everyTwo(p), equalTo([30, 6, 0]));
      });
    });

    it("OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()): panes until the hour is over, then a last one", async () => {
      await runOk((p) => {
        assertThat(triggers.untilTheHourEnds(p), equalTo(["home=1 EARLY", "home=2 EARLY", "home=2 ON_TIME last"]));
      });
    });
  });

  describe("metrics", () => {
    it("counters, distributions and gauges are read from the result", async () => {
      const result = await runOk((p) => {
        assertThat(metrics.parse(p), equalTo([12, 30]));
      });
      assert.deepEqual(metrics.query(result), { malformed: 2, amounts: { sum: 42, count: 2, min: 12, max: 30 } });
    });

    it("a string set holds each distinct string added", async () => {
      const result = await runOk((p) => {
        assertThat(metrics.route(p), equalTo(["sales_eu: 3", "sales_us: 5", "sales_eu: 1"]));
      });
      assert.deepEqual(metrics.tablesWritten(result), ["sales_eu", "sales_us"]);
    });
  });

  describe("state and timers", () => {
    it("a bag and an event-time timer emit each key's events at the end of the window", async () => {
      await runOk((p) => {
        const events = p.apply("Events", TestStream.create<KV<string, string>>()
          .addElements({ value: kv("ann", "login"), timestamp: 1_000 }, { value: kv("bob", "login"), timestamp: 2_000 })
          .addElements({ value: kv("ann", "buy"), timestamp: 3_000 })
          .advanceWatermarkToInfinity());
        assertThat(state.collect(events), equalTo([kv("ann", ["buy", "login"]), kv("bob", ["login"])]));
      });
    });

    it("value and combining state with a processing-time timer", async () => {
      await runOk((p) => {
        const amounts = p.apply("Amounts", TestStream.create<KV<string, number>>()
          .addElements({ value: kv("ann", 5), timestamp: 1_000 }, { value: kv("ann", 7), timestamp: 2_000 })
          .advanceProcessingTime(10_000)
          .addElements({ value: kv("ann", 1), timestamp: 3_000 })
          .advanceProcessingTime(10_000)
          .advanceWatermarkToInfinity());
        assertThat(state.runningTotal(amounts), equalTo(["ann: 2 elements, total 12", "ann: 3 elements, total 13"]));
      });
    });

    it("set and ordered list state: distinct pages, clicks in event-time order", async () => {
      await runOk((p) => {
        const clicks = p.apply("Clicks", TestStream.create<KV<string, { page: string; at: number }>>()
          .addElements({ value: kv("ann", { page: "cart", at: 90_000 }), timestamp: 0 }, { value: kv("ann", { page: "home", at: 1_000 }), timestamp: 0 })
          .addElements({ value: kv("ann", { page: "item", at: 30_000 }), timestamp: 0 }, { value: kv("ann", { page: "home", at: 95_000 }), timestamp: 0 })
          .advanceWatermarkToInfinity());
        assertThat(state.clickPaths(clicks), equalTo(["ann: 3 pages, home > item > cart > home, 2 in the first minute"]));
      });
    });

    it("a timer family: one reminder timer per order, each cleared on its own", async () => {
      await runOk((p) => {
        const orders = p.apply("Orders", TestStream.create<KV<string, { order: string; event: "placed" | "paid" }>>()
          .addElements({ value: kv("ann", { order: "o1", event: "placed" }), timestamp: 0 }, { value: kv("ann", { order: "o2", event: "placed" }), timestamp: 60_000 })
          .addElements({ value: kv("bob", { order: "o3", event: "placed" }), timestamp: 0 }, { value: kv("ann", { order: "o1", event: "paid" }), timestamp: 120_000 })
          .advanceWatermarkToInfinity());
        assertThat(state.unpaidReminders(orders), equalTo(["ann: order o2 unpaid since 1970-01-01T00:01:00.000Z", "bob: order o3 unpaid since 1970-01-01T00:00:00.000Z"]));
      });
    });
  });

  describe("io", () => {
    it("text and CSV", async () => {
      const logs = path.join(tmp, "logs");
      fs.mkdirSync(logs);
      fs.writeFileSync(path.join(logs, "a.log"), "INFO start\nERROR disk full\n");
      fs.writeFileSync(path.join(logs, "b.log"), "ERROR timeout\n");
      const orders = writeInput("orders.csv", "id,product,price,coupon\n1,tea,4,\n2,cake,10,SPRING\nthree,pie,3,\n");
      await runOk((p) => {
        const written = io.text(p, path.join(logs, "*.log"), path.join(tmp, "errors", "out"));
        assertThat(written, equalTo([path.join(tmp, "errors", "out-00000-of-00001.txt")]));
        const { written: csvFiles, rejected } = io.csv(p, orders, path.join(tmp, "totals"));
        assertThat(csvFiles, equalTo([path.join(tmp, "totals.csv")]), "CsvWritten");
        assertThat(rejected, satisfiesOne((r) => r.startsWith(`${orders}:4: `) && r.includes("id")), "CsvRejected");
      });
      assert.deepEqual(fs.readFileSync(path.join(tmp, "errors", "out-00000-of-00001.txt"), "utf8").split("\n").sort(), ["", "ERROR disk full", "ERROR timeout", "errors"]);
      assert.deepEqual(fs.readFileSync(path.join(tmp, "totals.csv"), "utf8").trim().split("\n").sort(), ["1,4", "2,9", "id,total"]);
      const names = await io.fileSystems(path.join(logs, "*.log"));
      assert.deepEqual(names.sort(), [`${path.join(logs, "a.log")} (27 bytes)`, `${path.join(logs, "b.log")} (14 bytes)`]);
      const archived = path.join(tmp, "archive");
      assert.deepEqual(await io.archive([path.join(logs, "a.log"), path.join(logs, "gone.log")], archived), []);
      assert.deepEqual(fs.readdirSync(archived), ["a.log"]);
      fs.mkdirSync(path.join(tmp, "ro"));
      fs.writeFileSync(path.join(tmp, "ro", "blocker"), "a file where a directory is needed");
      const failed = await io.archive([path.join(logs, "b.log")], path.join(tmp, "ro", "blocker"));
      assert.deepEqual(failed, [`${path.join(logs, "b.log")}: ENOTDIR`]);
    });

    it("TFRecord", async () => {
      const train = path.join(tmp, "train");
      fs.mkdirSync(train, { recursive: true });
      fs.writeFileSync(path.join(train, "a.tfrecord"), Buffer.from("AwAAAAAAAACwmUkOZm9vYYq+/gMAAAAAAAAAsJlJDmJhckYA5cg=", "base64")); // foo, bar (Beam's test file)
      fs.writeFileSync(path.join(train, "b.tfrecord"), Buffer.alloc(0));
      const out = path.join(tmp, "tfrecord", "out");
      await runOk((p) => {
        assertThat(io.tfRecord(p, path.join(train, "*.tfrecord"), out), equalTo([0, 1].map((i) => `${out}-0000${i}-of-00002.tfrecord.gz`)));
      });
      const back: string[] = [];
      await runOk((p) => {
        p.apply(ReadFromTFRecord.from(`${out}-*`)).map("Collect", (r: Uint8Array) => back.push(Buffer.from(r).toString()));
      });
      assert.deepEqual(back.sort(), ["bar", "foo"]);
    });

    it("Avro", async () => {
      const dir = path.join(tmp, "avro");
      const schema = { type: "record", name: "User", fields: [{ name: "id", type: "long" }, { name: "name", type: "string" }, { name: "email", type: ["null", "string"], default: null }] } as const;
      const users = [{ id: 1, name: "ada", email: "ada@x" }, { id: 2, name: "bob", email: null }, { id: 3, name: "cy", email: "cy@x" }];
      await runOk((p) => p.apply("Users", Create.from(users)).apply(WriteToAvro.to(path.join(dir, "in", "users"), { schema, suffix: ".avro", numShards: 2 })));
      const out = path.join(dir, "out");
      await runOk((p) => {
        assertThat(io.avro(p, path.join(dir, "in", "*.avro"), out), equalTo([0, 1].map((i) => `${out}-0000${i}-of-00002.avro`)));
      });
      const back: string[] = [];
      await runOk((p) => {
        p.apply(ReadFromAvro.from(`${out}-*`, { schema })).map("Collect", (u) => back.push(`${u.id}:${u.name}:${u.email}`));
      });
      assert.deepEqual(back.sort(), ["1:ada:ada@x", "3:cy:cy@x"]);
    });

    it("Parquet", async () => {
      const dir = path.join(tmp, "parquet");
      const schema = { user: "string", count: "int64", at: "timestamp[ms]", tags: { list: "string" }, note: { type: "string", nullable: true } } as const;
      const events = [
        { user: "ada", count: 3, at: new Date(1000), tags: ["a"], note: null },
        { user: "bob", count: 1, at: new Date(2000), tags: [], note: "x" },
        { user: "cy", count: 2, at: new Date(3000), tags: ["b", "c"], note: "y" },
      ];
      await runOk((p) => p.apply("Events", Create.from(events)).apply(WriteToParquet.to(path.join(dir, "in", "events"), { schema, suffix: ".parquet" })));
      const out = path.join(dir, "out");
      await runOk((p) => {
        assertThat(io.parquet(p, path.join(dir, "in", "*.parquet"), out), equalTo([0, 1].map((i) => `${out}-0000${i}-of-00002.parquet`)));
      });
      const back: typeof events = [];
      await runOk((p) => {
        p.apply(ReadFromParquet.from<(typeof events)[number]>(`${out}-*`)).map("Collect", (e) => back.push(e));
      });
      assert.deepStrictEqual(back.sort((a, b) => a.user.localeCompare(b.user)), [events[0], events[2]]);
    });

    it("Parquet batches and logical types", async () => {
      const dir = path.join(tmp, "parquet-batches");
      const schema = { id: "int64", total: "decimal128(12, 2)", day: "date32", placed: "timestamp[us]", sku: "fixed_size_binary[8]" } as const;
      const orders = [
        { id: 1, total: "99.99", day: new Date("2024-01-01"), placed: new Date(1000), sku: new Uint8Array(8) },
        { id: 2, total: "1234.50", day: new Date("2024-01-02"), placed: new Date(2000), sku: new Uint8Array(8).fill(1) },
        { id: 3, total: "100.00", day: new Date("2024-01-03"), placed: new Date(3000), sku: new Uint8Array(8).fill(2) },
      ];
      await runOk((p) => p.apply("Orders", Create.from(orders)).apply(WriteToParquet.to(path.join(dir, "in", "orders"), { schema, suffix: ".parquet", rowGroupSize: 2 })));
      const out = path.join(dir, "out");
      await runOk((p) => {
        assertThat(io.parquetBatches(p, path.join(dir, "in", "*.parquet"), out), equalTo([out]));
      });
      const back: (typeof orders)[number][] = [];
      await runOk((p) => {
        p.apply(ReadFromParquet.from<(typeof orders)[number]>(out)).map("Collect", (e) => back.push(e));
      });
      assert.deepStrictEqual(back.sort((a, b) => a.id - b.id), [orders[1], orders[2]]);
    });

    it("FileIO and ReadAllFromText", async () => {
      const logs = path.join(tmp, "fileio-logs");
      fs.mkdirSync(logs, { recursive: true });
      fs.writeFileSync(path.join(logs, "app.log"), "started\nstopped\n");
      const config = writeInput("config.json", '{"a": 1, "b": 2}');
      await runOk((p) => {
        const { lines, sizes } = io.fileIO(p, [logs], config);
        assertThat(lines, equalTo([kv(path.join(logs, "app.log"), "started"), kv(path.join(logs, "app.log"), "stopped")]), "Lines");
        assertThat(sizes, equalTo([`${config}: 2 keys`]), "Sizes");
      });
    });

    it("RunInference with a custom model handler", async () => {
      await runOk((p) => {
        const sentences = p.apply("Sentences", Create.of("good tea", "bad great cake love", " "));
        const { scored, failed } = io.runInference(sentences);
        assertThat(scored, equalTo(["good tea -> 0.50", "bad great cake love -> 0.50"]));
        assertThat(failed, equalTo(['" ": empty sentence']), "Failed");
      });
    });

    it("RunInference with pre- and postprocessing", async () => {
      await runOk((p) => {
        const posts = p.apply("Posts", Create.of({ text: "good tea" }, { text: "bad cake" }));
        assertThat(io.runInferenceWithFns(posts), equalTo(["positive", "negative"]));
      });
    });

    describe("against the emulators", () => {
      let env: EmulatorEnv;
      before(async () => {
        env = await startEmulatorEnv(["bigquery", "pubsub"]);
      });
      after(async () => {
        await env?.stop();
      });

      it("BigQuery: read a table, write another", async () => {
        const bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
        await bq.createDataset("game");
        const [scores] = await bq.dataset("game").createTable("scores", { schema: "player:STRING, points:INTEGER" });
        await scores.insert([{ player: "ann", points: 3 }, { player: "bob", points: 1 }, { player: "ann", points: 2 }]);
        await runOk((p) => {
          assertThat(io.bigQuery(p, TEST_PROJECT), equalTo([]));
        }, { tempLocation: path.join(tmp, "bq-temp") });
        const [rows] = await bq.dataset("game").table("totals").getRows();
        assert.deepEqual((rows as { player: string; games: number }[]).map((r) => `${r.player}=${r.games}`).sort(), ["ann=2", "bob=1"]);
      });

      it("Enrichment: orders joined with their BigQuery products; an unknown product goes to failed", async () => {
        const bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
        await bq.createDataset("shop");
        const [products] = await bq.dataset("shop").createTable("products", { schema: "id:INTEGER, name:STRING, price:FLOAT" });
        await products.insert([{ id: 1, name: "tea", price: 2.5 }, { id: 2, name: "cake", price: 4 }]);
        await runOk((p) => {
          const { enriched, failed } = io.enrichment(p, TEST_PROJECT);
          assertThat(enriched, equalTo(["o-1: tea at 2.5", "o-2: cake at 4"]), "CheckEnriched");
          assertThat(failed, equalTo(["o-3: Error: the source returned no response for this request (handler BigQueryEnrichmentHandler(SELECT * FROM `beamline-test.shop.products` WHERE id = {}))"]), "CheckFailed");
        });
      });

      it("Pub/Sub: a bounded read, published and acknowledged", async () => {
        const pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
        const [orders] = await pubsub.createTopic("orders");
        await orders.createSubscription("orders-sub", { ackDeadlineSeconds: 30 });
        const [shouted] = await pubsub.createTopic("shouted");
        await shouted.createSubscription("shouted-sub");
        for (const m of ["tea", "cake", "pie"]) await orders.publishMessage({ data: Buffer.from(m), attributes: { ts: "1714557600000" } });
        await runOk((p) => {
          assertThat(io.pubSub(p, TEST_PROJECT), equalTo([3]));
        });
        const out = await PubSubReader.open({ subscription: "shouted-sub" });
        const published = await out.pull(10, 5_000);
        await out.close();
        assert.deepEqual(published.map((m) => Buffer.from(m.value).toString()).sort(), ["CAKE", "PIE", "TEA"]);
        const input = await PubSubReader.open({ subscription: "orders-sub" });
        assert.deepEqual(await input.pull(10, 1_000), [], "the orders were acknowledged after the results were published");
        await input.close();
        await pubsub.close();
      });
    });
  });

  describe("testing", () => {
    it("assertThat on a composite, and TestStream with late data", async () => {
      assert.equal(await testing.testComposite(), "DONE");
      assert.equal(await testing.testLateData(), "DONE");
    });

    it("assertions on a window's on-time and late panes, and per window", async () => {
      assert.equal(await testing.testPanes(), "DONE");
    });

    it("a failing assertion fails the run with a diff", async () => {
      const result = await runDirect((p) => {
        assertThat(p.apply(Create.of(1, 2)), equalTo([1, 3]));
      });
      await assert.rejects(result.waitUntilFinish(), /3/);
    });
  });

  describe("runners", () => {
    it("the DirectRunner from code", async () => {
      const result = await runners.directFromCode((p) => {
        assertThat(p.apply(Create.of("x")), equalTo(["x"]));
      });
      assert.equal(result.state, "DONE");
    });

    it("a program on a portable runner (LOOPBACK) through a Job API server", async () => {
      const server = await MiniJobServer.start();
      try {
        const input = writeInput("portable.txt", "aa b\n");
        const out = path.join(tmp, "portable", "out");
        const result = await runners.portableFromCode(server.url, input, out);
        assert.equal(result.state, "DONE");
        assert.deepEqual(readShards(out), ["aa: 2", "b: 1"]);
      } finally {
        await server.stop();
      }
    });
  });
});

/** One element, satisfying `check`. */
function satisfiesOne<T>(check: (x: T) => boolean) {
  return satisfies<T>((all) => {
    assert.equal(all.length, 1, `expected one element, got ${JSON.stringify(all)}`);
    assert.ok(check(all[0]!), `unexpected ${JSON.stringify(all[0])}`);
  });
}

/** Sliding 5-minute windows every minute over ann@0.5, bob@1.5, ann@2.5, ann@9 (minutes). */
function slidingExpected(): string[] {
  const elements: [string, number][] = [["ann", 0.5], ["bob", 1.5], ["ann", 2.5], ["ann", 9]];
  const counts = new Map<string, number>();
  for (const [user, t] of elements) {
    for (let start = Math.floor(t) - 4; start <= Math.floor(t); start++) {
      const k = `${user}@${start}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return [...counts].map(([k, n]) => `${k.split("@")[0]}=${n}`);
}
