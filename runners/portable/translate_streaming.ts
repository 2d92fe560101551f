/**
 * The streaming parts of translation (BEAM_PORTABILITY.md §1.4, §1.6, §1.8):
 *
 * - TestStream becomes Beam's runner-executed primitive `beam:transform:teststream:v1` with a
 *   TestStreamPayload (see testStreamSpec for its coder); its Impulse + ParDo expansion (what the
 *   DirectRunner's batch path runs) is not sent.
 * - Pub/Sub reads become Beam's `beam:transform:pubsub_read:v1` with a PubSubReadPayload, for
 *   runners that read Pub/Sub natively (Dataflow); for other portable runners (translate.ts
 *   `splittableReads`) Impulse → a splittable ParDo our worker runs. The in-process source is not sent.
 * - ReadUnbounded (an in-process real-time source) cannot run remotely: translation fails.
 * - Stateful DoFns get state_specs and timer_family_specs in their ParDoPayload, and the
 *   pipeline gets the `beam:requirement:pardo:stateful:v1` requirement.
 */
import type { Coder } from "../../lib/coders/coder";
import { coderFromSpec, CoderSpec, encodeToBytes, timestampToInt64 } from "../../lib/coders/index";
import { InternalError, PipelineConstructionError } from "../../lib/model/errors";
import type { TransformNode } from "../../lib/model/pipeline";
import type { PubSubWriteSpec } from "../../lib/io/pubsub/write";
import type { PubSubReadSpec } from "../../lib/io/pubsub/unbounded";
import { TEST_STREAM_URN, type TestStreamSpec } from "../../lib/testing/test_stream";
import { defaultCoder, deterministicKeyCoder } from "../executor/default_coders";
import type { CoderTable } from "./coder_table";
import { rapi, runnerApi } from "./protos";

const LENGTH_PREFIX_URN = "beam:coder:length_prefix:v1";
import { declaredStateAndTimers } from "./stateful_specs";
import { URNS } from "./urns";

/** Composites whose expansion is replaced by a runner-executed primitive (TestStream, Pub/Sub read). */
export const RUNNER_EXECUTED_COMPOSITES: ReadonlySet<string> = new Set([TEST_STREAM_URN, URNS.pubsubRead]);

/** The error for a ReadUnbounded, which only the DirectRunner can run. */
export function readUnboundedError(node: TransformNode): PipelineConstructionError {
  return new PipelineConstructionError(
    `ReadUnbounded reads an in-process source that lives in the submitting program, so a portable runner or Dataflow cannot run it. ` +
      `Use TestStream for tests, or ReadFromPubSub without maxMessages/maxReadTimeSeconds (Dataflow reads it natively, other portable runners run it as a splittable DoFn in the SDK worker); ` +
      `run pipelines with ReadUnbounded on the DirectRunner`,
    node.fullName,
  );
}

/**
 * The coder a proto coder id stands for, built from the table (length prefixes included); `like`
 * is the SDK coder it was added from, whose JS values it takes (registry.ts coderFromSpec).
 */
export function coderOfId(table: CoderTable, id: string, like?: Coder<unknown>): Coder<unknown> {
  const spec = (cid: string): CoderSpec => {
    const c = table.coders[cid];
    if (c === undefined) throw new InternalError(`coder ${cid} is not in the coder table`);
    return { urn: c.spec!.urn, components: c.componentCoderIds.map(spec), payload: c.spec!.payload };
  };
  return coderFromSpec(spec(id), like);
}

/**
 * The TestStream primitive's spec: events with elements encoded by `coderId`, the proto form of
 * `elementCoder` (the output's coder: a bigint in BigIntVarIntCoder is encoded as a bigint).
 *
 * `coderId` must encode alike in both contexts (testStreamCoderId): runners disagree on the
 * context of `encoded_element`. Beam Java (Flink's runner) and Python encode and decode it in the
 * outer context (`CoderUtils.encodeToByteArray`, `coder.encode`); Prism hands the bytes on as
 * they are to a consumer that decodes them nested (with a special case for Java's strings).
 */
export function testStreamSpec(node: TransformNode, spec: TestStreamSpec, table: CoderTable, coderId: string, elementCoder: Coder<unknown>): rapi.FunctionSpec {
  const coder = coderOfId(table, coderId, elementCoder);
  const events: rapi.TestStreamPayload_Event[] = spec.events.map((e, i) => {
    switch (e.kind) {
      case "elements":
        return {
          event: {
            oneofKind: "elementEvent",
            elementEvent: {
              tag: "",
              elements: e.elements.map((el, j) => {
                let encodedElement: Uint8Array;
                try {
                  encodedElement = encodeToBytes(coder, el.value, "outer");
                } catch (err) {
                  throw new PipelineConstructionError(
                    `TestStream element ${j} of event ${i} cannot be encoded with the output coder (${(err as Error).message}); set a coder that fits the elements`,
                    node.fullName,
                  );
                }
                return { encodedElement, timestamp: timestampToInt64(el.timestamp) };
              }),
            },
          },
        };
      case "watermark":
        return { event: { oneofKind: "watermarkEvent", watermarkEvent: { newWatermark: timestampToInt64(e.watermark), tag: "" } } };
      case "processingTime":
        return { event: { oneofKind: "processingTimeEvent", processingTimeEvent: { advanceDuration: BigInt(e.advanceMillis) } } };
    }
  });
  return { urn: URNS.testStream, payload: runnerApi.TestStreamPayload.toBinary({ coderId, events }) };
}

/**
 * The coder id of a TestStream's output (and of its payload): the output's coder, made to encode
 * alike in the outer and nested contexts (testStreamSpec says why). Only strings and bytes differ
 * between the two among the coders runners know (the coder table length-prefixes the others), and
 * only where they end an element: they get a length prefix there, inside a KV's value, so that a
 * GroupByKey right after the TestStream still sees a KV.
 */
export function testStreamCoderId(table: CoderTable, coderId: string): string {
  const coder = table.coders[coderId];
  const urn = coder?.spec?.urn;
  if (urn === "beam:coder:string_utf8:v1" || urn === "beam:coder:bytes:v1") return table.addSpec(LENGTH_PREFIX_URN, [coderId]);
  if (urn === "beam:coder:kv:v1" && coder!.componentCoderIds.length === 2) {
    const [key, value] = coder!.componentCoderIds as [string, string];
    const contextFree = testStreamCoderId(table, value);
    return contextFree === value ? coderId : table.addSpec(urn, [key, contextFree], coder!.spec!.payload);
  }
  return coderId;
}

/** The pubsub_read primitive's spec (Beam's PubSubReadPayload). */
export function pubsubReadSpec(spec: PubSubReadSpec): rapi.FunctionSpec {
  return {
    urn: URNS.pubsubRead,
    payload: runnerApi.PubSubReadPayload.toBinary({
      topic: spec.topic,
      subscription: spec.subscription,
      timestampAttribute: spec.timestampAttribute,
      idAttribute: spec.idAttribute,
      withAttributes: spec.withAttributes,
      topicRuntimeOverridden: "",
      subscriptionRuntimeOverridden: "",
    }),
  };
}

/** Beam's PubSubWritePayload for a runner-native Pub/Sub sink (Dataflow streaming). */
export function pubsubWriteSpec(spec: PubSubWriteSpec): rapi.FunctionSpec {
  return {
    urn: URNS.pubsubWrite,
    payload: runnerApi.PubSubWritePayload.toBinary({
      topic: spec.topic,
      timestampAttribute: spec.timestampAttribute,
      idAttribute: spec.idAttribute,
      topicRuntimeOverridden: "",
    }),
  };
}

/**
 * With a native Pub/Sub sink the runner publishes and produces nothing: a transform reading the
 * message ids our own publishing step outputs cannot run there. The error names the user's
 * WriteToPubSub step (the native write's parent), not our internal `.../Write` composite.
 */
export function nativeWriteConsumedError(write: TransformNode, consumer: TransformNode): PipelineConstructionError {
  const step = write.parent !== undefined && !write.parent.isRoot() ? write.parent.fullName : write.fullName;
  return new PipelineConstructionError(
    `'${consumer.fullName}' reads the message ids of WriteToPubSub '${step}', but on Dataflow streaming jobs the write is Dataflow's native Pub/Sub sink, ` +
      `which outputs nothing. Do not use the ids there (remove the steps reading them), or run this pipeline on the DirectRunner or a portable runner, where WriteToPubSub outputs them`,
    step,
  );
}

/** What a stateful ParDo adds to its payload. */
export interface StatefulParts {
  readonly stateSpecs: Record<string, rapi.StateSpec>;
  readonly timerFamilySpecs: Record<string, rapi.TimerFamilySpec>;
}

/**
 * State and timer specs of a stateful ParDo, or undefined for a stateless one.
 *
 * - value, bag and combining state use the bag protocol (`beam:user_state:bag:v1`); value state
 *   is a bag with at most one element, combining state a bag of accumulators.
 * - map state uses the multimap protocol (`beam:user_state:multimap:v1`), one value per map key.
 * - set state uses the bag protocol with a set_spec (as Beam Python does), ordered list state the
 *   ordered list protocol (`beam:user_state:ordered_list:v1`).
 * - Values are JS values (length-prefixed for runners); map keys use the deterministic coder.
 * - The combining state's combine_fn names the transform and the state, like DoFn references.
 * - Timer families are keyed by timer name; their coder is timer(input key coder, window coder).
 */
export function statefulParts(
  node: TransformNode,
  doFn: unknown,
  table: CoderTable,
  keyCoderId: string,
  windowCoderId: string,
  combineRef: (state: string) => Uint8Array,
): StatefulParts | undefined {
  const declared = declaredStateAndTimers(doFn, node.fullName);
  if (declared.states.length === 0 && declared.timers.length === 0) return undefined;
  const valueCoderId = table.add(defaultCoder());
  const bag: rapi.FunctionSpec = { urn: URNS.userStateBag, payload: new Uint8Array(0) };
  const stateSpecs: Record<string, rapi.StateSpec> = {};
  for (const s of declared.states) {
    switch (s.kind) {
      case "value":
        stateSpecs[s.name] = { spec: { oneofKind: "readModifyWriteSpec", readModifyWriteSpec: { coderId: valueCoderId } }, protocol: bag };
        break;
      case "bag":
        stateSpecs[s.name] = { spec: { oneofKind: "bagSpec", bagSpec: { elementCoderId: valueCoderId } }, protocol: bag };
        break;
      case "combining":
        stateSpecs[s.name] = {
          spec: { oneofKind: "combiningSpec", combiningSpec: { accumulatorCoderId: valueCoderId, combineFn: { urn: URNS.combineFnByName, payload: combineRef(s.name) } } },
          protocol: bag,
        };
        break;
      case "map":
        stateSpecs[s.name] = {
          spec: { oneofKind: "mapSpec", mapSpec: { keyCoderId: table.add(deterministicKeyCoder()), valueCoderId } },
          protocol: { urn: URNS.userStateMultimap, payload: new Uint8Array(0) },
        };
        break;
      case "set":
        // Over the bag protocol, as Beam Python declares it; elements compared by their deterministic encoding.
        stateSpecs[s.name] = { spec: { oneofKind: "setSpec", setSpec: { elementCoderId: table.add(deterministicKeyCoder()) } }, protocol: bag };
        break;
      case "orderedList":
        stateSpecs[s.name] = {
          spec: { oneofKind: "orderedListSpec", orderedListSpec: { elementCoderId: valueCoderId } },
          protocol: { urn: URNS.userStateOrderedList, payload: new Uint8Array(0) },
        };
        break;
    }
  }
  const timerFamilySpecs: Record<string, rapi.TimerFamilySpec> = {};
  if (declared.timers.length > 0) {
    const timerCoderId = table.addSpec("beam:coder:timer:v1", [keyCoderId, windowCoderId]);
    for (const t of declared.timers) {
      timerFamilySpecs[t.name] = {
        timeDomain: t.domain === "EVENT_TIME" ? runnerApi.TimeDomain_Enum.EVENT_TIME : runnerApi.TimeDomain_Enum.PROCESSING_TIME,
        timerFamilyCoderId: timerCoderId,
      };
    }
  }
  return { stateSpecs, timerFamilySpecs };
}
