/**
 * CRC-32C (Castagnoli), the checksum Cloud Storage reports in an object's `crc32c` field.
 *
 * The storage client compares it with its own after every upload and deletes the object when they
 * differ, so it must be exact: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF, and
 * the wire form is base64 of the 4-byte big-endian value.
 */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Folds `data` into a running CRC (start with 0; the pre/post inversion is handled here). */
export function crc32cUpdate(crc: number, data: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** The CRC-32C of `data` as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array): number {
  return crc32cUpdate(0, data);
}

/** The CRC-32C of `data` in Cloud Storage's form: base64 of the big-endian uint32. */
export function crc32cBase64(data: Uint8Array): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32c(data), 0);
  return out.toString("base64");
}
