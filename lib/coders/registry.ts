/**
 * Rebuilds coders from their proto form `{urn, components, payload}` (e.g. the coders of a Beam
 * ProcessBundleDescriptor), keyed by URN. Every coder in lib/coders is registered here.
 */
import type { BoundedWindow } from "../model/window";
import { OFFSET_RANGE_CODER_URN, OffsetRangeCoder } from "../model/offset_range";
import { Coder, CoderError } from "./coder";
import { CUSTOM_WINDOW_URN, CustomWindowCoder } from "./custom_window";
import { ROW_URN } from "./schema";
import { STATE_BACKED_ITERABLE_URN, StateBackedIterableCoder } from "./state_backed_iterable";
import { VALUE_IN_SINGLE_WINDOW_URN, ValueInSingleWindowCoder } from "./value_in_single_window";
import { DETERMINISTIC_JS_VALUE_URN, DeterministicJsValueCoder, JS_VALUE_URN, JsValueCoder } from "./js_value";
import { BOOL_URN, BoolCoder, BYTES_URN, BytesCoder, DOUBLE_URN, DoubleCoder, STRING_UTF8_URN, StringUtf8Coder, VARINT_URN, VarIntCoder } from "./primitive";
import {
  ITERABLE_URN,
  IterableCoder,
  KV_URN,
  KVCoder,
  LENGTH_PREFIX_URN,
  LengthPrefixCoder,
  NULLABLE_URN,
  NullableCoder,
  SHARDED_KEY_URN,
  ShardedKeyCoder,
} from "./structural";
import {
  GLOBAL_WINDOW_URN,
  GlobalWindowCoder,
  INTERVAL_WINDOW_URN,
  IntervalWindowCoder,
  PARAM_WINDOWED_VALUE_URN,
  ParamWindowedValueCoder,
  TIMER_URN,
  TimerCoder,
  WINDOWED_VALUE_URN,
  WindowedValueCoder,
} from "./windowed";

/** A coder as the pipeline proto describes it. */
export interface CoderSpec {
  /** The coder's URN. */
  readonly urn: string;
  /** Its component coders' specs, in order. */
  readonly components?: readonly CoderSpec[];
  /** Its payload, if the URN has one. */
  readonly payload?: Uint8Array;
}

/** Builds a coder from its already-built components and its payload. */
export type CoderFactory = (components: readonly Coder<unknown>[], payload: Uint8Array | undefined) => Coder<unknown>;

const factories = new Map<string, CoderFactory>();

/** Registers (or replaces) the factory for `urn`. */
export function registerCoderUrn(urn: string, factory: CoderFactory): void {
  factories.set(urn, factory);
}

/** The URNs that coderFromSpec can build. */
export function registeredCoderUrns(): string[] {
  return [...factories.keys()].sort();
}

/** Coders a runner wraps around an element coder (length-prefixing it, or windowing it): `like` guides their first component. */
const WRAPPER_URNS: ReadonlySet<string> = new Set(["beam:coder:length_prefix:v1", "beam:coder:windowed_value:v1", "beam:coder:param_windowed_value:v1"]);

function samePayload(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Builds the coder described by `spec`, components first. Throws a CoderError for unknown URNs.
 *
 * `like` is the coder the SDK itself gave this place (a PCollection's element coder, say): where
 * the spec has a coder of the same URN, payload and arity, that coder is used rather than the
 * registry's, because one URN can stand for several JS representations of the same bytes
 * (`beam:coder:varint:v1` is VarIntCoder over numbers and BigIntVarIntCoder over bigints, as
 * Beam's int64 is Java's long and Python's int). The spec stays authoritative for the bytes:
 * where it differs from `like` (a runner length-prefixed a component, or wrapped the element in a
 * windowed value), the registry builds that part and `like` guides what is inside.
 */
export function coderFromSpec(spec: CoderSpec, like?: Coder<unknown>): Coder<unknown> {
  const specComponents = spec.components ?? [];
  if (like !== undefined && like.urn !== spec.urn && WRAPPER_URNS.has(spec.urn)) {
    return coderFromComponents(spec.urn, specComponents.map((c, i) => coderFromSpec(c, i === 0 ? like : undefined)), spec.payload);
  }
  const guided = like !== undefined && like.urn === spec.urn && samePayload(like.payload, spec.payload) && like.components.length === specComponents.length;
  const components = specComponents.map((c, i) => coderFromSpec(c, guided ? like.components[i] : undefined));
  // The SDK's own coder, when the spec is exactly it (also a user's coder the registry does not know).
  if (guided && components.every((c, i) => c === like.components[i])) return like;
  return coderFromComponents(spec.urn, components, spec.payload);
}

/** Builds the registered coder of `urn` from its already-built components (what coderFromSpec does at each node). */
export function coderFromComponents(urn: string, components: readonly Coder<unknown>[], payload: Uint8Array | undefined): Coder<unknown> {
  const factory = factories.get(urn);
  if (!factory) {
    throw new CoderError(
      `Unknown coder URN '${urn}'. Known: ${registeredCoderUrns().join(", ")}. ` +
        `Register it with registerCoderUrn(urn, factory), or have the runner length-prefix it (beam:coder:length_prefix:v1)`,
    );
  }
  return factory(components, payload);
}

/** The proto form of a coder (the inverse of coderFromSpec for registered coders). */
export function coderToSpec(coder: Coder<unknown>): CoderSpec {
  const spec: { urn: string; components?: CoderSpec[]; payload?: Uint8Array } = { urn: coder.urn };
  if (coder.components.length > 0) spec.components = coder.components.map(coderToSpec);
  if (coder.payload !== undefined && coder.payload.length > 0) spec.payload = coder.payload;
  return spec;
}

function leaf(urn: string, coder: Coder<unknown>): void {
  registerCoderUrn(urn, (components) => {
    arity(urn, components, 0);
    return coder;
  });
}

function arity(urn: string, components: readonly Coder<unknown>[], n: number): void {
  if (components.length !== n) {
    throw new CoderError(`Coder ${urn} needs ${n} component coder(s), got ${components.length}: the coder spec is malformed`);
  }
}

function withComponents(urn: string, n: number, build: (c: readonly Coder<unknown>[], payload: Uint8Array | undefined) => Coder<unknown>): void {
  registerCoderUrn(urn, (components, payload) => {
    arity(urn, components, n);
    return build(components, payload);
  });
}

leaf(BYTES_URN, BytesCoder.INSTANCE);
// The restriction coder of splittable DoFns over offset ranges (Beam Java's OffsetRange.Coder).
leaf(OFFSET_RANGE_CODER_URN, OffsetRangeCoder.INSTANCE);
leaf(STRING_UTF8_URN, StringUtf8Coder.INSTANCE);
leaf(VARINT_URN, VarIntCoder.INSTANCE);
leaf(BOOL_URN, BoolCoder.INSTANCE);
leaf(DOUBLE_URN, DoubleCoder.INSTANCE);
leaf(GLOBAL_WINDOW_URN, GlobalWindowCoder.INSTANCE);
leaf(INTERVAL_WINDOW_URN, IntervalWindowCoder.INSTANCE);
leaf(JS_VALUE_URN, JsValueCoder.INSTANCE);
leaf(DETERMINISTIC_JS_VALUE_URN, DeterministicJsValueCoder.INSTANCE);
withComponents(KV_URN, 2, ([k, v]) => new KVCoder(k, v));
withComponents(ITERABLE_URN, 1, ([e]) => new IterableCoder(e));
withComponents(LENGTH_PREFIX_URN, 1, ([c]) => new LengthPrefixCoder(c));
withComponents(NULLABLE_URN, 1, ([c]) => new NullableCoder(c));
withComponents(SHARDED_KEY_URN, 1, ([k]) => new ShardedKeyCoder(k));
withComponents(WINDOWED_VALUE_URN, 2, ([e, w]) => new WindowedValueCoder(e, w as Coder<BoundedWindow>));
withComponents(VALUE_IN_SINGLE_WINDOW_URN, 2, ([v, w]) => new ValueInSingleWindowCoder(v, w as Coder<BoundedWindow>));
/** Hot-key fanouts' coder of values or accumulators (lib/coders/input_or_accum.ts). */
export const INPUT_OR_ACCUM_URN = "beamline:coder:input_or_accum:v1";
// Only hot-key fanouts use it: its module loads when a runner first hands one over.
// eslint-disable-next-line @typescript-eslint/no-require-imports
withComponents(INPUT_OR_ACCUM_URN, 2, ([i, a]) => new (require("./input_or_accum") as typeof import("./input_or_accum")).InputOrAccumCoder(i, a));
withComponents(TIMER_URN, 2, ([k, w]) => new TimerCoder(k, w as Coder<BoundedWindow>));
withComponents(PARAM_WINDOWED_VALUE_URN, 2, ([e, w], payload) => {
  if (payload === undefined) throw new CoderError(`Coder ${PARAM_WINDOWED_VALUE_URN} needs a payload (the constant timestamp, windows and pane)`);
  return new ParamWindowedValueCoder(e, w as Coder<BoundedWindow>, payload);
});
// A runner's GroupByKey output may carry its values as a state-backed iterable (the Fn API worker resolves the state tokens).
withComponents(STATE_BACKED_ITERABLE_URN, 1, ([e]) => new StateBackedIterableCoder(e));
withComponents(CUSTOM_WINDOW_URN, 1, ([w]) => new CustomWindowCoder(w as Coder<BoundedWindow>));
// Rows of a Beam schema (lib/coders/row.ts); the payload is the Schema proto.
registerCoderUrn(ROW_URN, (components, payload) => {
  arity(ROW_URN, components, 0);
  if (payload === undefined) throw new CoderError(`Coder ${ROW_URN} needs a payload (the Beam Schema proto of its rows)`);
  // Only row users need the schema protos: the modules load when a runner first hands one over.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { schemaFromProto } = require("./schema_proto") as typeof import("./schema_proto");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { RowCoder } = require("./row") as typeof import("./row");
  return new RowCoder(schemaFromProto(payload));
});
