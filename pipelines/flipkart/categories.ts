/**
 * `product_category_tree` → category levels, and the `image` column → URLs.
 *
 * Both columns hold a JSON list of strings: `["Clothing >> Women's Clothing >> Shorts"]`,
 * `["http://img5a.flixcart.com/a.jpeg", "http://..."]`. They are decoded as JSON (so an escaped
 * quote, `\"TAKING ACTION\"`, becomes a quote rather than a stray backslash). Text that is not such
 * a list falls back to the original job's rule: drop `[`, `]` and `"`, then split.
 */

function jsonStringList(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith("[")) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

function stripBrackets(text: string): string {
  return text.replace(/[[\]"]/g, "");
}

/**
 * The levels of a category tree: split on `>>`, trimmed. Several trees in the list are joined with
 * ", " first (what the original's bracket stripping did). No tree: no levels.
 */
export function categoryLevels(tree: string): string[] {
  const list = jsonStringList(tree);
  const text = list !== undefined ? list.join(", ") : stripBrackets(tree);
  if (text.trim() === "") return [];
  return text.split(">>").map((level) => level.trim());
}

/** The category columns `c0_name`, `c1_name`, ... for a depth (at least one column). */
export function categoryColumns(depth: number): string[] {
  return Array.from({ length: Math.max(1, depth) }, (_, i) => `c${i}_name`);
}

/** The image URLs of a product, in order (empty entries dropped). */
export function imageUrls(image: string): string[] {
  const list = jsonStringList(image) ?? stripBrackets(image).split(",");
  return list.map((u) => u.trim()).filter((u) => u !== "");
}
