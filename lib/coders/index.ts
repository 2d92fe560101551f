/** Coders: the public surface of lib/coders, as named exports. */
export { ByteReader, ByteWriter } from "./byte_io";
export { CoderError, encodeToBytes, decodeFromBytes } from "./coder";
export type { Coder, CoderContext } from "./coder";
export {
  BytesCoder,
  StringUtf8Coder,
  VarIntCoder,
  BigIntVarIntCoder,
  BoolCoder,
  DoubleCoder,
  KVCoder,
  IterableCoder,
  LengthPrefixCoder,
  NullableCoder,
  ShardedKeyCoder,
  GlobalWindowCoder,
  IntervalWindowCoder,
  WindowedValueCoder,
  ParamWindowedValueCoder,
  TimerCoder,
  readPane,
  writePane,
  readTimestamp,
  writeTimestamp,
  timestampToInt64,
  int64ToTimestamp,
  StateBackedIterableCoder,
  CustomWindowCoder,
} from "./standard";
export type { ShardedKey, Timer, WindowedValueParams } from "./standard";
export { JsValueCoder, DeterministicJsValueCoder, JS_VALUE_URN, DETERMINISTIC_JS_VALUE_URN } from "./js_value";
export { registerCoderUrn, coderFromSpec, coderFromComponents, coderToSpec, registeredCoderUrns } from "./registry";
export type { CoderSpec, CoderFactory } from "./registry";
