/** TFRecord IO: ReadFromTFRecord, ReadAllFromTFRecord (whole files, CRC-checked) and WriteToTFRecord (sharded, atomic). */
export { ReadFromTFRecord, ReadAllFromTFRecord } from "./read";
export type { ReadFromTFRecordOptions, ReadAllFromTFRecordOptions } from "./read";
export { WriteToTFRecord } from "./write";
export type { WriteToTFRecordOptions } from "./write";
export { TFRecordCorruptError, encodeTFRecord, TFRecordParser } from "./codec";
export { crc32c, maskedCrc32c } from "./crc32c";
export type { TFRecordCompression } from "./files";
