/**
 * The coder of the values between the two stages of a hot-key-fanout combine
 * (`Combine.perKey(fn).withHotKeyFanout(n)`, Beam Java's `InputOrAccum.InputOrAccumCoder`): each
 * is either an input of a cold key or an accumulator a hot key's pre-combine made. One byte tells
 * which (0 input, 1 accumulator), then the value with the input's or the accumulator's coder.
 */
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext } from "./coder";
import { CoderError, describeValue } from "./errors";

import { INPUT_OR_ACCUM_URN } from "./registry";
export { INPUT_OR_ACCUM_URN };

/** An input value (`accum: false`) or an accumulator (`accum: true`). */
export type InputOrAccum<In, Acc> = { readonly accum: false; readonly value: In } | { readonly accum: true; readonly value: Acc };

/** Encodes InputOrAccum: a tag byte, then the input or the accumulator in the outer context. */
export class InputOrAccumCoder<In, Acc> implements Coder<InputOrAccum<In, Acc>> {
  readonly urn = INPUT_OR_ACCUM_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic = false;

  constructor(
    readonly inputCoder: Coder<In>,
    readonly accumulatorCoder: Coder<Acc>,
  ) {
    this.components = [inputCoder, accumulatorCoder];
  }

  encode(v: InputOrAccum<In, Acc>, out: ByteWriter, context: CoderContext): void {
    if (typeof v !== "object" || v === null || typeof v.accum !== "boolean") {
      throw new CoderError(`InputOrAccumCoder can only encode { accum, value } objects, got ${describeValue(v)}`);
    }
    out.writeByte(v.accum ? 1 : 0);
    if (v.accum) this.accumulatorCoder.encode(v.value, out, context);
    else this.inputCoder.encode(v.value, out, context);
  }

  decode(input: ByteReader, context: CoderContext): InputOrAccum<In, Acc> {
    const tag = input.readByte();
    if (tag === 1) return { accum: true, value: this.accumulatorCoder.decode(input, context) };
    if (tag === 0) return { accum: false, value: this.inputCoder.decode(input, context) };
    throw new CoderError(`InputOrAccumCoder read tag byte ${tag}; expected 0 (input) or 1 (accumulator): the bytes were not written by this coder`);
  }
}
