/**
 * Beam's standard coders with their exact wire formats (BEAM_PORTABILITY.md §4), gathered in one
 * module. They live in primitive.ts (leaf coders), structural.ts (kv, iterable, length_prefix,
 * nullable, sharded_key) and windowed.ts (windows, windowed values, timers).
 */
export {
  BYTES_URN,
  STRING_UTF8_URN,
  VARINT_URN,
  BOOL_URN,
  DOUBLE_URN,
  BytesCoder,
  StringUtf8Coder,
  VarIntCoder,
  BigIntVarIntCoder,
  BoolCoder,
  DoubleCoder,
} from "./primitive";
export {
  KV_URN,
  ITERABLE_URN,
  LENGTH_PREFIX_URN,
  NULLABLE_URN,
  SHARDED_KEY_URN,
  KVCoder,
  IterableCoder,
  LengthPrefixCoder,
  NullableCoder,
  ShardedKeyCoder,
  readIterable,
  writeIterable,
} from "./structural";
export type { ShardedKey } from "./structural";
export {
  GLOBAL_WINDOW_URN,
  INTERVAL_WINDOW_URN,
  WINDOWED_VALUE_URN,
  PARAM_WINDOWED_VALUE_URN,
  TIMER_URN,
  GlobalWindowCoder,
  IntervalWindowCoder,
  WindowedValueCoder,
  ParamWindowedValueCoder,
  TimerCoder,
  readPane,
  writePane,
} from "./windowed";
export type { Timer, WindowedValueParams } from "./windowed";
export { readTimestamp, writeTimestamp, timestampToInt64, int64ToTimestamp } from "./timestamp";
export { STATE_BACKED_ITERABLE_URN, StateBackedIterableCoder } from "./state_backed_iterable";
export { CUSTOM_WINDOW_URN, CustomWindowCoder } from "./custom_window";
