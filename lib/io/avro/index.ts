/** Avro IO: ReadFromAvro, ReadAllFromAvro (split at sync markers, reader schemas) and WriteToAvro (sharded, atomic; null and deflate codecs). */
export { ReadFromAvro, ReadAllFromAvro } from "./read";
export type { ReadFromAvroOptions, ReadAllFromAvroOptions } from "./read";
export { WriteToAvro } from "./write";
export type { WriteToAvroOptions } from "./write";
export type { AvroCodec } from "./container";
export type { AvroLongs, AvroSchema } from "./schema";
export type { AvroValue } from "./schema_types";
