/**
 * Sorting a run's group ids in JS string order (as `Array.prototype.sort` does), fast.
 *
 * Comparing strings is the costly part of a spill: group ids are concatenated strings, which V8
 * compares through a runtime call. So this is a most-significant-digit radix sort: each id gets a
 * number from the four characters that follow the prefix its range shares, packed with its index
 * into one float64; sorting those numbers is a native numeric sort, and ids that tie on the four
 * characters are sorted the same way on the next four (small ranges as strings). The number keeps
 * string order: characters below 254 map to 1..254, the end of the id to 0, and any larger
 * character to 255 with the following characters dropped (such ties are sorted as strings).
 */

/** `ids` sorted in JS string order (a new array). */
export function sortIds(ids: readonly string[]): string[] {
  const out = [...ids];
  sortRange(out, undefined, 0, out.length, 0);
  return out;
}

/**
 * Sorts distinct `ids` in JS string order in place, moving `items[i]` along with `ids[i]`: a
 * spill walks its groups in id order without looking each one up again.
 */
export function sortIdsWith<T>(ids: string[], items: T[]): void {
  sortRange(ids, items, 0, ids.length, 0);
}

/** Below this many ids, a plain string sort. */
const SMALL = 64;

/** Sorts a[from, to) (and `items` along), whose ids share their first `depth` characters. */
function sortRange(a: string[], items: unknown[] | undefined, from: number, to: number, depth: number): void {
  const n = to - from;
  if (n < 2) return;
  if (n < SMALL) return stringSort(a, items, from, to);
  const at = depth + commonPrefixLength(a, from, to, depth);
  // The index takes the low bits; the key gets the rest of float64's 53 integer bits (at most 32).
  const indexBits = Math.max(1, Math.ceil(Math.log2(n)));
  const keyBits = Math.min(32, 53 - indexBits);
  const keyScale = 2 ** (32 - keyBits);
  const indexScale = 2 ** indexBits;
  const ids = a.slice(from, to);
  const moved = items?.slice(from, to);
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) packed[i] = Math.floor(prefixKey(ids[i]!, at) / keyScale) * indexScale + i;
  packed.sort();
  let start = 0;
  let startKey = Math.floor(packed[0]! / indexScale);
  const ties = (end: number): void => {
    if (end - start < 2) return;
    // Ids whose four characters all made it into the key tie on them: go on after them.
    if (keyBits === 32 && fullKey(startKey)) sortRange(a, items, from + start, from + end, at + 4);
    else stringSort(a, items, from + start, from + end);
  };
  for (let i = 0; i < n; i++) {
    const p = packed[i]!;
    const key = Math.floor(p / indexScale);
    const k = p - key * indexScale;
    a[from + i] = ids[k]!;
    if (moved !== undefined) items![from + i] = moved[k];
    if (key !== startKey) {
      ties(i);
      start = i;
      startKey = key;
    }
  }
  ties(n);
}

function stringSort(a: string[], items: unknown[] | undefined, from: number, to: number): void {
  if (items === undefined) {
    const part = a.slice(from, to).sort();
    for (let i = 0; i < part.length; i++) a[from + i] = part[i]!;
    return;
  }
  const order = Array.from({ length: to - from }, (_, i) => from + i).sort((x, y) => (a[x]! < a[y]! ? -1 : a[x]! > a[y]! ? 1 : 0));
  const ids = order.map((i) => a[i]!);
  const moved = order.map((i) => items[i]);
  for (let i = 0; i < order.length; i++) {
    a[from + i] = ids[i]!;
    items[from + i] = moved[i];
  }
}

/** True when none of the key's four characters was the end of the id or cut (0 or 255). */
function fullKey(key: number): boolean {
  for (let i = 0; i < 4; i++) {
    const c = key % 256;
    if (c === 0 || c === 255) return false;
    key = (key - c) / 256;
  }
  return true;
}

/** Four characters from `at` as a 32-bit number that orders as the strings do. */
function prefixKey(s: string, at: number): number {
  let key = 0;
  let open = true;
  for (let i = 0; i < 4; i++) {
    let c = 0;
    if (open) {
      const j = at + i;
      if (j >= s.length) open = false;
      else {
        const code = s.charCodeAt(j);
        if (code < 254) c = code + 1;
        else {
          c = 255;
          open = false;
        }
      }
    }
    key = key * 256 + c;
  }
  return key;
}

/** How many characters after `depth` all of a[from, to) share. */
function commonPrefixLength(a: readonly string[], from: number, to: number, depth: number): number {
  const first = a[from]!;
  let end = first.length;
  for (let i = from + 1; i < to && end > depth; i++) {
    const s = a[i]!;
    if (s.length < end) end = s.length;
    let j = depth;
    while (j < end && s.charCodeAt(j) === first.charCodeAt(j)) j++;
    end = j;
  }
  return Math.max(0, end - depth);
}
