/**
 * Golden tests of the streaming parts of translation: TestStream as Beam's teststream primitive,
 * sessions and sliding windows with triggers, and a stateful DoFn's state and timer specs.
 * Regenerate the goldens with UPDATE_GOLDENS=1 after an intended change.
 */
import { strict as assert } from "node:assert";
import { BytesCoder, coderFromSpec, CoderSpec, decodeFromBytes, JsValueCoder, KVCoder, StringUtf8Coder, VarIntCoder } from "../../lib/coders/index";
import type { Coder } from "../../lib/coders/coder";
import { AfterAll, AfterCount, AfterEach, AfterFirst, AfterProcessingTime, AfterWatermark, DefaultTrigger, OrFinally, Pipeline, ReadFromPubSub, ReadUnbounded, Repeatedly, TestStream, kv, KV, ParDo } from "../../lib";
import { pipelineFromJson, pipelineToJson, validatePipelineProto } from "../../runners/portable/describe";
import { dockerEnvironment } from "../../runners/portable/environments";
import { rapi, runnerApi, windowFnsApi } from "../../runners/portable/protos";
import { decodeReference, translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { millisOf, triggerProto } from "../../runners/portable/windowing_proto";
import { golden } from "./golden";
import { BufferPerKey, statefulProgram, streamingProgram } from "./streaming_programs";
import { userStateProgram } from "./state_programs";


function byName(proto: rapi.Pipeline, uniqueName: string): [string, rapi.PTransform] {
  const e = Object.entries(proto.components!.transforms).find(([, x]) => x.uniqueName === uniqueName);
  assert.ok(e, `no transform ${uniqueName}`);
  return e;
}

function coderUrns(c: rapi.Components, id: string): string {
  const coder = c.coders[id];
  assert.ok(coder, `coder ${id} resolves`);
  const parts = coder.componentCoderIds.map((cc) => coderUrns(c, cc));
  const short = coder.spec!.urn.replace(/^beam:coder:|^beamline:coder:/, "").replace(/:v1$/, "");
  return parts.length > 0 ? `${short}(${parts.join(",")})` : short;
}

function coderOf(c: rapi.Components, id: string): Coder<unknown> {
  const spec = (cid: string): CoderSpec => ({ urn: c.coders[cid]!.spec!.urn, components: c.coders[cid]!.componentCoderIds.map(spec), payload: c.coders[cid]!.spec!.payload });
  return coderFromSpec(spec(id));
}

/** Parses the proto back with the Beam classes and checks every id it mentions resolves. */
function checkResolves(proto: rapi.Pipeline): void {
  assert.deepEqual(validatePipelineProto(proto), []);
  const parsed = pipelineFromJson(pipelineToJson(proto));
  assert.ok(runnerApi.Pipeline.equals(parsed, proto), "JSON round trip through the Beam classes changes the proto");
  assert.ok(runnerApi.Pipeline.equals(runnerApi.Pipeline.fromBinary(runnerApi.Pipeline.toBinary(proto)), proto), "binary round trip changes the proto");
  const c = parsed.components!;
  const coder = (id: string, where: string): void => assert.ok(id in c.coders, `${where} refers to missing coder ${id}`);
  for (const [id, t] of Object.entries(c.transforms)) {
    const urn = t.spec?.urn ?? "";
    if (urn === URNS.pardo) {
      const p = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
      for (const [name, s] of Object.entries(p.stateSpecs)) {
        const sp = s.spec;
        if (sp.oneofKind === "readModifyWriteSpec") coder(sp.readModifyWriteSpec.coderId, `${id} state ${name}`);
        else if (sp.oneofKind === "bagSpec") coder(sp.bagSpec.elementCoderId, `${id} state ${name}`);
        else if (sp.oneofKind === "combiningSpec") coder(sp.combiningSpec.accumulatorCoderId, `${id} state ${name}`);
        else if (sp.oneofKind === "mapSpec") {
          coder(sp.mapSpec.keyCoderId, `${id} state ${name}`);
          coder(sp.mapSpec.valueCoderId, `${id} state ${name}`);
        } else if (sp.oneofKind === "setSpec") coder(sp.setSpec.elementCoderId, `${id} state ${name}`);
        else if (sp.oneofKind === "orderedListSpec") coder(sp.orderedListSpec.elementCoderId, `${id} state ${name}`);
        else assert.fail(`${id} state ${name} has no spec`);
        assert.ok(s.protocol?.urn.startsWith("beam:user_state:"), `${id} state ${name} has a protocol`);
      }
      for (const [name, f] of Object.entries(p.timerFamilySpecs)) coder(f.timerFamilyCoderId, `${id} timer family ${name}`);
    }
    if (urn === URNS.combinePerKey) coder(runnerApi.CombinePayload.fromBinary(t.spec!.payload).accumulatorCoderId, `${id} combine`);
    if (urn === URNS.testStream) coder(runnerApi.TestStreamPayload.fromBinary(t.spec!.payload).coderId, `${id} test stream`);
    if (urn === URNS.impulse || urn === URNS.gbk || urn === URNS.flatten || urn === URNS.testStream || urn === URNS.pubsubRead) assert.equal(t.environmentId, "", `${t.uniqueName} runs on the runner`);
    else assert.equal(t.environmentId, "beamline", `${t.uniqueName} runs in the SDK`);
  }
}

describe("portable translation: streaming", () => {
  it("TestStream → sessions / sliding windows with triggers → combine: golden proto", () => {
    const p = streamingProgram.create({});
    const { proto } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
    checkResolves(proto);
    const c = proto.components!;

    // TestStream is a runner primitive with its events; its Impulse + ParDo expansion is not sent.
    const [, ts] = byName(proto, "Scores");
    assert.equal(ts.spec!.urn, "beam:transform:teststream:v1");
    assert.deepEqual(ts.subtransforms, []);
    assert.deepEqual(ts.inputs, {});
    assert.ok(!Object.values(c.transforms).some((t) => t.uniqueName.startsWith("Scores/")), "no subtransforms of the TestStream are sent");
    const out = ts.outputs["main"]!;
    assert.equal(c.pcollections[out]!.isBounded, runnerApi.IsBounded_Enum.UNBOUNDED);
    const payload = runnerApi.TestStreamPayload.fromBinary(ts.spec!.payload);
    assert.equal(payload.coderId, c.pcollections[out]!.coderId, "elements are encoded with the output PCollection's coder");
    const elementCoder = coderOf(c, payload.coderId);
    const summary = payload.events.map((e) => {
      const ev = e.event;
      if (ev.oneofKind === "elementEvent") return ev.elementEvent.elements.map((el) => [decodeFromBytes(elementCoder, el.encodedElement, "nested"), el.timestamp]);
      if (ev.oneofKind === "watermarkEvent") return ["watermark", ev.watermarkEvent.newWatermark];
      if (ev.oneofKind === "processingTimeEvent") return ["processing", ev.processingTimeEvent.advanceDuration];
      return ["?"];
    });
    assert.deepEqual(summary, [
      [[kv("ann", 3), 1000n], [kv("bob", 5), 1500n]],
      ["processing", 2000n],
      ["watermark", 15000n],
      [[kv("ann", 4), 2000n]],
      ["watermark", 9223372036854775n],
    ]);

    // Sessions: merging window fn with its gap, early/late AfterWatermark, accumulating, lateness.
    const [, sessions] = byName(proto, "Sessions");
    const sessionsWs = c.windowingStrategies[c.pcollections[sessions.outputs["main"]!]!.windowingStrategyId]!;
    assert.equal(sessionsWs.windowFn!.urn, URNS.sessionWindows);
    assert.equal(millisOf(windowFnsApi.SessionWindowsPayload.fromBinary(sessionsWs.windowFn!.payload).gapSize), 10_000);
    assert.equal(sessionsWs.mergeStatus, runnerApi.MergeStatus_Enum.NEEDS_MERGE);
    assert.equal(coderUrns(c, sessionsWs.windowCoderId), "interval_window");
    assert.equal(sessionsWs.accumulationMode, runnerApi.AccumulationMode_Enum.ACCUMULATING);
    assert.equal(sessionsWs.allowedLateness, 60_000n);
    assert.equal(sessionsWs.outputTime, runnerApi.OutputTime_Enum.END_OF_WINDOW);
    assert.equal(sessionsWs.closingBehavior, runnerApi.ClosingBehavior_Enum.EMIT_IF_NONEMPTY);
    assert.equal(sessionsWs.onTimeBehavior, runnerApi.OnTimeBehavior_Enum.FIRE_ALWAYS);
    assert.equal(sessionsWs.assignsToOneWindow, true);
    assert.deepEqual(runnerApi.Trigger.toJson(sessionsWs.trigger!), {
      afterEndOfWindow: { earlyFirings: { afterProcessingTime: { timestampTransforms: [{ delay: { delayMillis: "1000" } }] } }, lateFirings: { elementCount: { elementCount: 1 } } },
    });
    const winInto = runnerApi.WindowIntoPayload.fromBinary(sessions.spec!.payload);
    assert.ok(runnerApi.FunctionSpec.equals(winInto.windowFn!, sessionsWs.windowFn!), "window_into carries the same window fn");

    // Sliding windows: size/period payload, several windows per element, earliest timestamp.
    const [, sliding] = byName(proto, "Sliding");
    const slidingWs = c.windowingStrategies[c.pcollections[sliding.outputs["main"]!]!.windowingStrategyId]!;
    const sp = windowFnsApi.SlidingWindowsPayload.fromBinary(slidingWs.windowFn!.payload);
    assert.deepEqual([millisOf(sp.size), millisOf(sp.period), millisOf(sp.offset)], [30_000, 10_000, 0]);
    assert.equal(slidingWs.mergeStatus, runnerApi.MergeStatus_Enum.NON_MERGING);
    assert.equal(slidingWs.assignsToOneWindow, false);
    assert.equal(slidingWs.outputTime, runnerApi.OutputTime_Enum.EARLIEST_IN_PANE);
    assert.equal(slidingWs.accumulationMode, runnerApi.AccumulationMode_Enum.DISCARDING);
    assert.equal(slidingWs.trigger!.trigger.oneofKind, "repeat");

    // The combines read KV with a deterministic key coder; everything downstream is unbounded.
    const [, sum] = byName(proto, "SumPerSession");
    assert.equal(sum.spec!.urn, URNS.combinePerKey);
    assert.equal(coderUrns(c, c.pcollections[sum.inputs["main"]!]!.coderId), "kv(length_prefix(jsvalue_deterministic),length_prefix(jsvalue))");
    for (const pc of Object.values(c.pcollections)) assert.equal(pc.isBounded, runnerApi.IsBounded_Enum.UNBOUNDED, `${pc.uniqueName} is unbounded`);
    assert.deepEqual(proto.requirements, []);
    golden("streaming.pipeline.json", proto);
  });

  it("TestStream elements decode alike in the outer context (Beam Java, Python, Flink) and nested (Prism): strings and bytes where they end an element get a length prefix", () => {
    const p = Pipeline.create();
    const words = p.apply("Words", TestStream.create<string>().addElements({ value: "ann", timestamp: 1 }, { value: "", timestamp: 2 })).setCoder(StringUtf8Coder.INSTANCE);
    words.map("Len", (w: string) => w.length);
    const pairs = p
      .apply("Pairs", TestStream.create<KV<string, Uint8Array>>().addElements({ value: kv("k", Uint8Array.of(1, 2, 3)), timestamp: 1 }))
      .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, BytesCoder.INSTANCE));
    pairs.map("Keys", (e: KV<string, Uint8Array>) => e.key);
    const counts = p.apply("Counts", TestStream.create<KV<string, number>>().addElements({ value: kv("k", 7), timestamp: 1 })).setCoder(new KVCoder(StringUtf8Coder.INSTANCE, VarIntCoder.INSTANCE));
    counts.map("CountKeys", (e: KV<string, number>) => e.key);
    const { proto } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
    const c = proto.components!;
    const expected: Record<string, [string, unknown[]]> = {
      Words: ["length_prefix(string_utf8)", ["ann", ""]],
      // Still a KV, as a runner expects of a grouping's input.
      Pairs: ["kv(string_utf8,length_prefix(bytes))", [kv("k", Uint8Array.of(1, 2, 3))]],
      // Nothing to change: a varint is the same in both contexts.
      Counts: ["kv(string_utf8,varint)", [kv("k", 7)]],
    };
    for (const [name, [urns, values]] of Object.entries(expected)) {
      const [, ts] = byName(proto, name);
      const payload = runnerApi.TestStreamPayload.fromBinary(ts.spec!.payload);
      assert.equal(payload.coderId, c.pcollections[ts.outputs["main"]!]!.coderId, `${name}: the output PCollection has the payload's coder`);
      assert.equal(coderUrns(c, payload.coderId), urns, name);
      const coder = coderOf(c, payload.coderId);
      const elements = payload.events.flatMap((e) => (e.event.oneofKind === "elementEvent" ? e.event.elementEvent.elements : []));
      for (const context of ["outer", "nested"] as const) {
        assert.deepEqual(elements.map((el) => decodeFromBytes(coder, el.encodedElement, context)), values, `${name} decoded ${context}`);
      }
    }
  });

  it("every trigger maps to its Beam Trigger proto", () => {
    const cases: [Parameters<typeof triggerProto>[0], unknown][] = [
      [undefined, { default: {} }],
      [DefaultTrigger(), { default: {} }],
      [AfterWatermark(), { afterEndOfWindow: {} }],
      [AfterWatermark({ late: AfterCount(2) }), { afterEndOfWindow: { lateFirings: { elementCount: { elementCount: 2 } } } }],
      [AfterProcessingTime(250), { afterProcessingTime: { timestampTransforms: [{ delay: { delayMillis: "250" } }] } }],
      // Beam Java's TriggerTranslationTest alignment (5 ms from 27), after no delay and after a delay.
      [AfterProcessingTime(0, { alignedTo: { periodMillis: 5, offsetMillis: 27 } }), { afterProcessingTime: { timestampTransforms: [{ delay: {} }, { alignTo: { period: "5", offset: "27" } }] } }],
      [AfterProcessingTime(3000, { alignedTo: { periodMillis: 60_000 } }), { afterProcessingTime: { timestampTransforms: [{ delay: { delayMillis: "3000" } }, { alignTo: { period: "60000" } }] } }],
      [AfterCount(7), { elementCount: { elementCount: 7 } }],
      [Repeatedly(AfterCount(1)), { repeat: { subtrigger: { elementCount: { elementCount: 1 } } } }],
      [AfterFirst(AfterCount(1), AfterWatermark()), { afterAny: { subtriggers: [{ elementCount: { elementCount: 1 } }, { afterEndOfWindow: {} }] } }],
      [AfterAll(AfterCount(1), AfterProcessingTime(5)), { afterAll: { subtriggers: [{ elementCount: { elementCount: 1 } }, { afterProcessingTime: { timestampTransforms: [{ delay: { delayMillis: "5" } }] } }] } }],
      [AfterEach(AfterCount(1), AfterCount(2)), { afterEach: { subtriggers: [{ elementCount: { elementCount: 1 } }, { elementCount: { elementCount: 2 } }] } }],
      // Beam Python's RunnerApiTest case, and the usual form: the proto's OrFinally, not an AfterAny.
      [OrFinally(AfterCount(3), AfterCount(10)), { orFinally: { main: { elementCount: { elementCount: 3 } }, finally: { elementCount: { elementCount: 10 } } } }],
      [OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()), { orFinally: { main: { repeat: { subtrigger: { elementCount: { elementCount: 1 } } } }, finally: { afterEndOfWindow: {} } } }],
    ];
    for (const [t, json] of cases) {
      const proto = triggerProto(t);
      assert.deepEqual(runnerApi.Trigger.toJson(proto), json);
      assert.ok(runnerApi.Trigger.equals(runnerApi.Trigger.fromBinary(runnerApi.Trigger.toBinary(proto)), proto));
    }
  });

  it("stateful DoFn: state specs, timer families, keyed input and the stateful requirement: golden proto", () => {
    const p = statefulProgram.create({});
    const { proto } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
    checkResolves(proto);
    const c = proto.components!;
    const [, buffer] = byName(proto, "Buffer");
    const payload = runnerApi.ParDoPayload.fromBinary(buffer.spec!.payload);
    assert.deepEqual(decodeReference(payload.doFn!.payload), { transform: "Buffer", fingerprint: p.fingerprint() });
    const input = c.pcollections[buffer.inputs["main"]!]!;
    assert.equal(coderUrns(c, input.coderId), "kv(length_prefix(jsvalue_deterministic),length_prefix(jsvalue))");
    const keyCoderId = c.coders[input.coderId]!.componentCoderIds[0]!;
    const windowCoderId = c.windowingStrategies[input.windowingStrategyId]!.windowCoderId;

    const specs = payload.stateSpecs;
    assert.deepEqual(Object.keys(specs).sort(), ["buffer", "count", "seen", "total"]);
    const kind = (name: string): string => `${specs[name]!.spec.oneofKind}/${specs[name]!.protocol!.urn}`;
    assert.equal(kind("count"), "readModifyWriteSpec/beam:user_state:bag:v1");
    assert.equal(kind("buffer"), "bagSpec/beam:user_state:bag:v1");
    assert.equal(kind("total"), "combiningSpec/beam:user_state:bag:v1");
    assert.equal(kind("seen"), "mapSpec/beam:user_state:multimap:v1");
    const total = specs["total"]!.spec;
    assert.ok(total.oneofKind === "combiningSpec");
    assert.equal(coderUrns(c, total.combiningSpec.accumulatorCoderId), "length_prefix(jsvalue)");
    assert.equal(total.combiningSpec.combineFn!.urn, URNS.combineFnByName);
    assert.deepEqual(decodeReference(total.combiningSpec.combineFn!.payload), { transform: "Buffer", fingerprint: p.fingerprint(), state: "total" });
    const seen = specs["seen"]!.spec;
    assert.ok(seen.oneofKind === "mapSpec");
    assert.equal(coderUrns(c, seen.mapSpec.keyCoderId), "length_prefix(jsvalue_deterministic)");

    const timers = payload.timerFamilySpecs;
    assert.deepEqual(Object.keys(timers).sort(), ["flush", "idle"]);
    assert.equal(timers["flush"]!.timeDomain, runnerApi.TimeDomain_Enum.EVENT_TIME);
    assert.equal(timers["idle"]!.timeDomain, runnerApi.TimeDomain_Enum.PROCESSING_TIME);
    const timerCoder = c.coders[timers["flush"]!.timerFamilyCoderId]!;
    assert.equal(timerCoder.spec!.urn, "beam:coder:timer:v1");
    assert.deepEqual(timerCoder.componentCoderIds, [keyCoderId, windowCoderId], "timer coder = timer(input key coder, input window coder)");
    assert.equal(coderUrns(c, windowCoderId), "interval_window");

    assert.deepEqual(proto.requirements, ["beam:requirement:pardo:stateful:v1"]);
    golden("stateful.pipeline.json", proto);

    // The validator follows payload references too: a dangling timer coder is reported.
    const broken = runnerApi.Pipeline.fromBinary(runnerApi.Pipeline.toBinary(proto));
    delete broken.components!.coders[timers["flush"]!.timerFamilyCoderId];
    assert.ok(validatePipelineProto(broken).some((e) => e.includes("payload of transform Buffer")), "missing timer coder detected");
  });

  it("set state is a set_spec over the bag protocol (as Beam Python declares it), ordered list state an ordered_list_spec over the ordered list protocol", () => {
    const { proto } = translatePipeline(userStateProgram.create({ output: "/tmp/unused", read_at: "elements" }), dockerEnvironment("beamline/worker:test"));
    checkResolves(proto);
    const c = proto.components!;
    const [, step] = byName(proto, "SetAndOrderedList");
    const specs = runnerApi.ParDoPayload.fromBinary(step.spec!.payload).stateSpecs;
    const kind = (name: string): string => `${specs[name]!.spec.oneofKind}/${specs[name]!.protocol!.urn}`;
    assert.equal(kind("members"), "setSpec/beam:user_state:bag:v1");
    assert.equal(kind("items"), "orderedListSpec/beam:user_state:ordered_list:v1");
    const members = specs["members"]!.spec;
    assert.ok(members.oneofKind === "setSpec");
    assert.equal(coderUrns(c, members.setSpec.elementCoderId), "length_prefix(jsvalue_deterministic)", "set elements are compared by a deterministic encoding");
    const items = specs["items"]!.spec;
    assert.ok(items.oneofKind === "orderedListSpec");
    assert.equal(coderUrns(c, items.orderedListSpec.elementCoderId), "length_prefix(jsvalue)");
  });

  it("translates an unbounded ReadFromPubSub to Beam's pubsub_read primitive (runner-native), not its in-process source", () => {
    const p = Pipeline.create();
    p.apply("Events", ReadFromPubSub.from({ subscription: "projects/proj/subscriptions/sub", timestampAttribute: "ts" })).map("Len", (b: Uint8Array) => b.length);
    const { proto } = translatePipeline(p, dockerEnvironment());
    checkResolves(proto);
    const [, read] = byName(proto, "Events/Read");
    assert.equal(read.spec!.urn, URNS.pubsubRead);
    assert.deepEqual(read.subtransforms, []);
    assert.equal(read.environmentId, "");
    const payload = runnerApi.PubSubReadPayload.fromBinary(read.spec!.payload);
    assert.equal(payload.subscription, "projects/proj/subscriptions/sub");
    assert.equal(payload.timestampAttribute, "ts");
    assert.equal(coderUrns(proto.components!, proto.components!.pcollections[read.outputs["main"]!]!.coderId), "bytes");
    assert.ok(!Object.values(proto.components!.transforms).some((t) => t.uniqueName.startsWith("Events/Read/")), "the in-process source is not sent");
  });

  it("for portable runners (splittableReads), translates an unbounded ReadFromPubSub to Impulse → a splittable ParDo requesting finalization", () => {
    const p = Pipeline.create();
    p.apply("Events", ReadFromPubSub.from({ subscription: "projects/proj/subscriptions/sub" })).map("Len", (b: Uint8Array) => b.length);
    const { proto } = translatePipeline(p, dockerEnvironment(), { splittableReads: true });
    checkResolves(proto);
    const c = proto.components!;
    const [, composite] = byName(proto, "Events/Read");
    assert.equal(composite.spec, undefined, "a plain composite: Prism and Flink expand it");
    assert.deepEqual(composite.subtransforms.map((id) => c.transforms[id]!.uniqueName), ["Events/Read/Impulse", "Events/Read/Read"]);
    const [, impulse] = byName(proto, "Events/Read/Impulse");
    assert.equal(impulse.spec!.urn, URNS.impulse);
    const [, read] = byName(proto, "Events/Read/Read");
    assert.equal(read.spec!.urn, URNS.pardo);
    assert.equal(read.environmentId, "beamline");
    assert.equal(read.inputs["main"], impulse.outputs["out"]);
    assert.equal(read.outputs["main"], composite.outputs["main"]);
    const payload = runnerApi.ParDoPayload.fromBinary(read.spec!.payload);
    assert.equal(decodeReference(payload.doFn!.payload).transform, "Events/Read", "the worker builds the SDF from the composite");
    assert.equal(coderUrns(c, payload.restrictionCoderId), "string_utf8");
    assert.equal(payload.requestsFinalization, true);
    assert.deepEqual(proto.requirements, [URNS.requirementFinalization, URNS.requirementSplittable]);
    assert.equal(c.pcollections[read.outputs["main"]!]!.isBounded, runnerApi.IsBounded_Enum.UNBOUNDED);
    assert.equal(coderUrns(c, c.pcollections[read.outputs["main"]!]!.coderId), "bytes");
    assert.ok(!Object.values(c.transforms).some((t) => t.spec?.urn === URNS.pubsubRead), "no runner-native read");
    assert.ok(!Object.values(c.transforms).some((t) => t.uniqueName.startsWith("Events/Read/ReadUnbounded")), "the in-process source is not sent");
  });

  it("fails on ReadUnbounded, naming the transform and what to use instead", () => {
    const p = Pipeline.create();
    p.apply("LiveEvents", ReadUnbounded.from<string>({ read: async () => undefined }));
    assert.throws(() => translatePipeline(p, dockerEnvironment()), (e: Error) => {
      assert.match(e.message, /'LiveEvents'/);
      assert.match(e.message, /TestStream/);
      assert.match(e.message, /DirectRunner/);
      return true;
    });
  });

  it("fails on a stateful DoFn whose input key coder is not deterministic", () => {
    const p = Pipeline.create();
    const input = p.apply("Events", TestStream.create<{ key: string; value: number }>().addElements({ value: kv("a", 1), timestamp: 0 }));
    input.setCoder(new KVCoder(new JsValueCoder(), new JsValueCoder()) as unknown as Coder<{ key: string; value: number }>);
    input.apply("Buffer", ParDo.of(new BufferPerKey()));
    assert.throws(() => translatePipeline(p, dockerEnvironment()), /does not encode deterministically.*'Buffer'/s);
  });
});
