/**
 * `Combine.perKey(fn).withHotKeyFanout(n)` (Beam Java's `Combine.PerKeyWithHotKeyFanout`, Python's
 * `CombinePerKey(fn).with_hot_key_fanout(n)`): a key with many values is combined in two stages,
 * so no single worker has to combine all of them.
 *
 *     AddNonce ─ hot: KV<KV<K, nonce>, In> → PreCombineHot (accumulators) → StripNonce ─┐
 *              └ cold: KV<K, In> → PrepareCold ─────────────────────────────────────────┴ Flatten → PostCombine
 *
 * A key whose fanout is n > 1 is spread over n intermediate keys `(key, nonce)`, each bundle
 * choosing one nonce (as Beam: a bundle's values of a key still pre-combine together); those are
 * combined to accumulators, which the final combine per key merges with the inputs of cold keys
 * (fanout ≤ 1). Every step is an ordinary transform, so it runs as it is on any runner.
 * Merging windows merge again in the final combine: in a streaming run, a part of a session that
 * the watermark closes in the pre-combine before the session's later parts merge with it is
 * emitted on its own (the final combine merges only the parts it holds), as in Beam.
 */
import { withCombineLifecycle } from "../model/combine_lifecycle";
import type { Coder } from "../coders/coder";
import { InputOrAccum, InputOrAccumCoder } from "../coders/input_or_accum";
import { JsValueCoder } from "../coders/js_value";
import { VarIntCoder } from "../coders/primitive";
import { KVCoder } from "../coders/structural";
import type { CombineContext, CombineFnWithContext } from "../model/combine_fn";
import { DoFn, ProcessContext, SideInputTypes } from "../model/dofn";
import { PipelineConstructionError } from "../model/errors";
import { ParDo } from "../model/pardo";
import type { PCollection } from "../model/pcollection";
import { Flatten } from "../model/primitives";
import type { SideInputViews } from "../model/side_inputs";
import { PTransform } from "../model/transform";
import { KV, kv } from "../model/window";
import { CombinePerKey } from "./combine";

/** How many intermediate keys a key is spread over: a constant, or a function of the key. */
export type HotKeyFanout<K> = number | ((key: K) => number);

/** Sends each element to the hot output under `(key, nonce)` or on as it is (cold). */
class AddNonce<K, V> extends DoFn<KV<K, V>, KV<K, V>, { hot: KV<KV<K, number>, V> }> {
  private nonce = 0;
  constructor(private readonly fanout: (key: K) => number) {
    super();
  }
  startBundle(): void {
    // As Beam: one nonce per bundle, so a bundle's values of a key go to one intermediate key and
    // pre-combine together, and the n intermediate keys share the key's bundles between them.
    this.nonce = Math.floor(Math.random() * 0x7fffffff);
  }
  process(e: KV<K, V>, ctx: ProcessContext<KV<K, V>, { hot: KV<KV<K, number>, V> }>): void {
    const spread = this.fanout(e.key);
    if (!Number.isInteger(spread)) {
      throw new RangeError(`the hot key fanout function returned ${String(spread)} for key ${JSON.stringify(e.key) ?? String(e.key)}; it must return an integer (1 or less for no fanout)`);
    }
    if (spread <= 1) ctx.output(e);
    else ctx.outputTo("hot", kv(kv(e.key, this.nonce % spread), e.value));
  }
}

/**
 * The first stage: the CombineFn up to its accumulator. The context (present when the combine has
 * side inputs, as Beam Java's hot-key stages both take them) is passed through to `fn`.
 */
function preCombineFn<In, Acc, Sides extends SideInputTypes>(fn: CombineFnWithContext<In, Acc, unknown, Sides>): CombineFnWithContext<In, Acc, Acc, Sides> {
  return {
    createAccumulator: (ctx) => fn.createAccumulator(ctx),
    addInput: (acc, x, ctx) => fn.addInput(acc, x, ctx),
    mergeAccumulators: (accs, ctx) => fn.mergeAccumulators(accs, ctx),
    extractOutput: (acc) => acc,
    ...(fn.compact !== undefined ? { compact: (acc: Acc, ctx: CombineContext<Sides>) => fn.compact!(acc, ctx) } : {}),
  };
}

/** The second stage: adds the inputs of cold keys, merges the accumulators of hot ones. */
function postCombineFn<In, Acc, Out, Sides extends SideInputTypes>(fn: CombineFnWithContext<In, Acc, Out, Sides>): CombineFnWithContext<InputOrAccum<In, Acc>, Acc, Out, Sides> {
  return {
    createAccumulator: (ctx) => fn.createAccumulator(ctx),
    addInput: (acc, x, ctx) => (x.accum ? fn.mergeAccumulators([acc, x.value], ctx) : fn.addInput(acc, x.value, ctx)),
    mergeAccumulators: (accs, ctx) => fn.mergeAccumulators(accs, ctx),
    extractOutput: (acc, ctx) => fn.extractOutput(acc, ctx),
    ...(fn.compact !== undefined ? { compact: (acc: Acc, ctx: CombineContext<Sides>) => fn.compact!(acc, ctx) } : {}),
  };
}

/**
 * Combines the values of each key as `Combine.perKey(fn)` does, pre-combining hot keys under
 * intermediate keys first. Made by `Combine.perKey(fn).withHotKeyFanout(n)`.
 */
export class CombinePerKeyWithHotKeyFanout<K, In, Acc, Out, Sides extends SideInputTypes = {}> extends PTransform<PCollection<KV<K, In>>, PCollection<KV<K, Out>>> {
  private readonly fanoutFn: (key: K) => number;

  /** @internal Use `Combine.perKey(fn).withHotKeyFanout(n)`. */
  constructor(
    /** The aggregation (a plain CombineFn when there are no side inputs). */
    readonly combineFn: CombineFnWithContext<In, Acc, Out, Sides>,
    /** The intermediate keys per key (≤ 1: none). */
    readonly hotKeyFanout: HotKeyFanout<K>,
    /** The side inputs both stages read, by name (`Combine.perKey(fn, { sideInputs })`). */
    readonly sideInputs?: SideInputViews<Sides>,
  ) {
    super("CombinePerKeyWithHotKeyFanout");
    // Both stages call this one wrapped fn, so it is set up once (see combine_lifecycle.ts).
    this.combineFn = withCombineLifecycle(combineFn);
    if (typeof hotKeyFanout === "function") this.fanoutFn = hotKeyFanout;
    else if (Number.isInteger(hotKeyFanout)) this.fanoutFn = () => hotKeyFanout;
    else throw new PipelineConstructionError(`Combine.perKey(fn).withHotKeyFanout needs an integer (1 or less for no fanout) or a function of the key, got ${String(hotKeyFanout)}`);
  }

  expand(input: PCollection<KV<K, In>>): PCollection<KV<K, Out>> {
    const fn = this.combineFn;
    const split = input.apply("AddNonce", ParDo.of(new AddNonce<K, In>(this.fanoutFn)).withOutputs("hot"));
    const hot = split.hot;
    // As Beam: the pre-combine never accumulates (its panes would be merged again after it,
    // counting the earlier ones twice); its results go on in the input's windowing, in the
    // windows they were combined in (not assigned again: merged sessions stay merged).
    hot.windowing = { ...input.windowing, accumulationMode: "DISCARDING" };
    const precombined = hot
      .apply("PreCombineHot", new CombinePerKey<KV<K, number>, In, Acc, Acc, Sides>(preCombineFn(fn), this.sideInputs))
      .map("StripNonce", (e: KV<KV<K, number>, Acc>): KV<K, InputOrAccum<In, Acc>> => kv(e.key.key, { accum: true, value: e.value }));
    precombined.windowing = input.windowing;
    const cold = split.main.map("PrepareCold", (e: KV<K, In>): KV<K, InputOrAccum<In, Acc>> => kv(e.key, { accum: false, value: e.value }));
    // With a KV coder on the input, its key and value coders carry through both stages, as
    // Beam's; accumulators take the coder combines use for them (the default JS value coder).
    const flattened = precombined.apply("Flatten", Flatten.with(cold));
    if (input.coder instanceof KVCoder) {
      const { keyCoder, valueCoder } = input.coder as KVCoder<K, In>;
      hot.setCoder(new KVCoder(new KVCoder(keyCoder, VarIntCoder.INSTANCE), valueCoder));
      split.main.setCoder(input.coder);
      const between = new KVCoder(keyCoder, new InputOrAccumCoder(valueCoder, JsValueCoder.INSTANCE as Coder<Acc>));
      for (const pc of [precombined, cold, flattened]) pc.setCoder(between);
    }
    return flattened.apply("PostCombine", new CombinePerKey<K, InputOrAccum<In, Acc>, Acc, Out, Sides>(postCombineFn(fn), this.sideInputs));
  }
}
