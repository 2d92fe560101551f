/**
 * Fault suite: a catalogue of bad inputs. Each gets a dead letter with a reason, a warning and a
 * count, or a clear error naming the transform; nothing is dropped silently and the good
 * inputs around them complete.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import "../../runners/direct";
import { Create, DoFn, FailedElement, ParDo, ProcessContext } from "../../lib";
import { ReadFromCsv, type CsvDeadLetter } from "../../lib/io/csv";
import { WriteToPubSub } from "../../lib/io/pubsub";
import { ReadFromText } from "../../lib/io/textio";
import { makeTempDir } from "../setup/emulators/helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../io/gcp/emulator_env";
import { runDirect } from "../helpers";
import { PubSub } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";

const MB = 1024 * 1024;

interface Order {
  readonly id: number;
  readonly qty: number;
}

/** Parses and checks an order; throws on malformed JSON and wrong types (a dead-letter policy catches them). */
class ParseOrder extends DoFn<string, Order> {
  process(line: string, ctx: ProcessContext<Order>): void {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v["id"] !== "number" || typeof v["qty"] !== "number") throw new TypeError(`id and qty must be numbers, got ${JSON.stringify(v).slice(0, 80)}`);
    ctx.output({ id: v["id"], qty: v["qty"] });
  }
}

describe("faults: a catalogue of bad inputs", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = makeTempDir("beamline-bad-inputs-")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("malformed JSON, wrong types, binary garbage and a 10 MB field in JSON lines: dead letters with the parser's reason, the rest complete", async () => {
    const file = path.join(dir, "orders.jsonl");
    const good = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ id: i, qty: i % 7 }));
    const bad = ['{"id": 1, "qty": ', '{"id": "one", "qty": 2}', "[1, 2, 3]", "\u0000\u0001\u0002garbage\u0003", `{"id": 5, "qty": 1, "note": "${"x".repeat(10 * MB)}"`];
    fs.writeFileSync(file, [...good.slice(0, 500), ...bad, ...good.slice(500)].join("\n") + "\n");
    const orders: Order[] = [];
    const failed: FailedElement<string>[] = [];
    const result = await runDirect((p) => {
      const out = p.apply(ReadFromText.from(file)).apply("ParseOrder", ParDo.of(new ParseOrder()).withExceptionHandling());
      out.main.apply("KeepOrders", ParDo.of((o: Order) => void orders.push(o)));
      out.failed.apply("KeepFailed", ParDo.of((f: FailedElement<string>) => void failed.push(f)));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(orders.length, 1000);
    assert.equal(failed.length, bad.length);
    const reason = new Map(failed.map((f) => [f.element.slice(0, 20), f.reason]));
    const reasonOf = (line: string): string => reason.get(line.slice(0, 20)) ?? "(no dead letter)";
    assert.match(reasonOf(bad[0]!), /^SyntaxError: /);
    assert.match(reasonOf(bad[1]!), /^TypeError: id and qty must be numbers/);
    assert.match(reasonOf(bad[2]!), /^TypeError: id and qty must be numbers/);
    assert.match(reasonOf(bad[3]!), /^SyntaxError: /);
    assert.match(reasonOf(bad[4]!), /^SyntaxError: /, "the 10 MB field's line is read whole; its JSON is cut short");
    assert.equal(failed.find((f) => f.element.length > 10 * MB)?.element.length, bad[4]!.length);
    assert.equal(result.metrics.counterTotal("beamline", "rejected", "ParseOrder"), bad.length);
  });

  it("CSV: broken quoting, wrong types, invalid UTF-8, binary garbage and a field over the record limit are dead letters with file, line and reason", async () => {
    const file = path.join(dir, "products.csv");
    const lines = [
      Buffer.from("id,name,price\n"),
      Buffer.from('1,"plain",1.5\n'),
      Buffer.from('2,"broken "quote" here",2\n'),
      Buffer.from("3,wrong type,cheap\n"),
      Buffer.concat([Buffer.from("4,caf"), Buffer.from([0xe9]), Buffer.from(",3\n")]), // latin-1, not UTF-8
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00, 0x0a]), // binary garbage (PNG magic, NUL, 0xff)
      Buffer.from(`5,"${"y".repeat(10 * MB)}",4\n`),
      Buffer.from("6,last,6\n"),
    ];
    fs.writeFileSync(file, Buffer.concat(lines));
    const rows: { id: string }[] = [];
    const dead: CsvDeadLetter[] = [];
    const result = await runDirect((p) => {
      const { rows: r, deadLetters } = p.apply("Read", ReadFromCsv.from(file, { schema: { id: "string", name: "string", price: "number" }, maxRecordBytes: 8 * MB }));
      r.apply("KeepRows", ParDo.of((row: { id: string }) => void rows.push(row)));
      deadLetters.apply("KeepDead", ParDo.of((d: CsvDeadLetter) => void dead.push(d)));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(rows.map((r) => r.id).sort(), ["1", "6"]);
    const byLine = new Map(dead.map((d) => [d.line, d.reason]));
    // The garbage holds \r\n and \n bytes: three records (lines 6-8), each rejected with its own reason.
    assert.deepEqual([...byLine.keys()].sort((a, b) => a - b), [3, 4, 5, 6, 7, 8, 9]);
    assert.match(byLine.get(3)!, /^Invalid Closing Quote: got "q" at line 3/);
    assert.equal(byLine.get(4), `column 'price': "cheap" is not a number`);
    assert.match(byLine.get(5)!, /^the record is not valid UTF-8 \(first invalid byte 0xe9 at byte 5 of the record on line 5\)/);
    assert.match(byLine.get(6)!, /^the record is not valid UTF-8 \(first invalid byte 0x89 at byte 0/);
    assert.equal(byLine.get(7), "expected 3 fields (as in the header), got 1");
    assert.match(byLine.get(8)!, /^the record is not valid UTF-8 \(first invalid byte 0xff/);
    assert.match(byLine.get(9)!, /^record is longer than 8388608 bytes \(maxRecordBytes\)/);
    assert.ok(dead.every((d) => d.file === file));
    assert.equal(result.metrics.counterTotal("beamline", "rejected"), 7);
  });

  it("text with invalid UTF-8 and binary garbage: read with a warning and counted as beamline/invalidUtf8Lines (not replaced silently)", async () => {
    const file = path.join(dir, "mixed.txt");
    fs.writeFileSync(file, Buffer.concat([Buffer.from("ok one\n"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), Buffer.from("ok two \uFFFD is a real replacement character\n"), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from("\nok three")]));
    const lines: string[] = [];
    const warnings: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (String(chunk).includes("not valid UTF-8")) warnings.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    let result;
    try {
      result = await runDirect((p) => {
        p.apply("Read", ReadFromText.from(file)).apply("Keep", ParDo.of((l: string) => void lines.push(l)));
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
    } finally {
      process.stderr.write = write;
    }
    assert.equal(lines.length, 5, "every line is read");
    assert.equal(result.metrics.counterTotal("beamline", "invalidUtf8Lines"), 2, "the two lines with invalid bytes, not the real U+FFFD");
    // Counted on the read's own step, though the read runs without an async scope (it says its step after its awaits).
    assert.equal(result.metrics.counterTotal("beamline", "invalidUtf8Lines", "Read/ReadRanges"), 2);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /2 line\(s\) of .*mixed\.txt .* are not valid UTF-8/);
  });

  describe("Pub/Sub", () => {
    let env: EmulatorEnv;
    before(async () => {
      env = await startEmulatorEnv(["pubsub"]);
      const pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
      await pubsub.createTopic("huge");
    });
    after(async () => await env?.stop());

    it("a message over Pub/Sub's 10 MB limit fails the run at once naming the transform (a 10 MB one is published)", async () => {
      const ok = await runDirect((p) => {
        p.apply(Create.of(Buffer.alloc(10 * MB - 1024, 0x61))).apply("Publish", WriteToPubSub.to("huge"));
      });
      assert.equal(await ok.waitUntilFinish(), "DONE");
      const tooBig = await runDirect((p) => {
        p.apply(Create.of(Buffer.alloc(11 * MB, 0x61))).apply("Publish", WriteToPubSub.to("huge"));
      });
      await assert.rejects(tooBig.waitUntilFinish(), (e: Error) => {
        assert.match(e.message, /transform 'Publish\/Write\/Publish'/);
        assert.match(e.message, /INVALID_ARGUMENT: Request payload size exceeds the limit: 10485760 bytes/);
        return true;
      });
    });
  });
});
