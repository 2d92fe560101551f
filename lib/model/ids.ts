/**
 * Identifiers that only have to be unique (run ids, names of temporary files and directories,
 * per-sink name digests), made without node:crypto: loading it costs 3–7 ms of every run's
 * start-up, more than a one-line wordcount's own work. `Math.random` is V8's xorshift128+,
 * seeded for each isolate (process or worker thread) from the operating system's entropy, which
 * is plenty for names that must not collide; nothing here is fit for secrets.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A random RFC 4122 version-4 UUID (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`). */
export function randomId(): string {
  const b = new Array<number>(16);
  for (let i = 0; i < 16; i += 4) {
    // 32 of the 52 random bits of each draw.
    const r = Math.floor(Math.random() * 0x1_0000_0000);
    b[i] = r & 0xff;
    b[i + 1] = (r >>> 8) & 0xff;
    b[i + 2] = (r >>> 16) & 0xff;
    b[i + 3] = r >>> 24;
  }
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => HEX[x]!);
  return `${h.slice(0, 4).join("")}-${h.slice(4, 6).join("")}-${h.slice(6, 8).join("")}-${h.slice(8, 10).join("")}-${h.slice(10).join("")}`;
}

/** `bytes` random bytes as hex (2 digits each). */
export function randomHex(bytes: number): string {
  let s = "";
  for (let i = 0; i < bytes; i++) s += HEX[Math.floor(Math.random() * 256)];
  return s;
}

/**
 * A stable 64-bit FNV-1a digest of `text` (its UTF-16 code units) as 16 hex digits: the same in
 * every process and thread, so workers derive the same names from the same transform.
 */
export function stableDigest(text: string): string {
  // 64-bit FNV-1a in two 32-bit halves (prime 2^40 + 0x1b3): no BigInt on this path.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < text.length; i++) {
    lo = (lo ^ text.charCodeAt(i)) >>> 0;
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 0x1_0000_0000);
    hi = (Math.imul(hi, 0x1b3) + Math.imul(lo, 0x100) + carry) >>> 0;
    lo = loMul >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}
