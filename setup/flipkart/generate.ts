/**
 * A synthetic Flipkart catalogue of any size, with the real data's quirks: descriptions with
 * quoted newlines, commas and doubled quotes; products without images (empty field or `[]`);
 * specifications with one entry and no list brackets, key-less entries, escaped quotes, empty
 * ones and a few truncated (unparseable) ones; category trees from 1 to 8 levels, some a bare
 * product name, some with a single `>` or an escaped quote. Optionally a few malformed rows
 * (wrong field count, broken quoting) that must land in the dead-letter output.
 *
 * Image URLs point at `imageBase` (the local image server). Everything derives from `seed`.
 */
import { formatCsvLine } from "../../lib/io/csv/write";
import { FLIPKART_SCHEMA } from "../../pipelines/flipkart/schema";

export interface GenerateOptions {
  readonly rows: number;
  readonly seed?: number;
  /** e.g. `http://127.0.0.1:8000` */
  readonly imageBase: string;
  /** Malformed rows mixed in (default 0). */
  readonly badRows?: number;
}

/** What was generated, for checking a run: ids of good rows and the lines of bad ones. */
export interface GeneratedCatalogue {
  readonly goodIds: string[];
  readonly badLines: number[];
}

/** A small deterministic PRNG (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOUNS = ["shirt", "shorts", "bottle", "sofa", "bed", "notebook", "diary", "kurta", "sandal", "shoe", "bag", "wallet", "belt", "skate", "lamp", "mug", "watch", "ring", "cushion", "curtain", "charger", "cable", "speaker", "headphone", "helmet", "saree", "legging", "cap", "pouch", "frame"];
const ADJECTIVES = ["solid", "printed", "cotton", "leather", "wooden", "stainless", "waterproof", "casual", "formal", "designer", "premium", "soft", "durable", "lightweight", "handmade", "classic", "modern", "ethnic", "sporty", "elegant"];
const VERBS = ["features", "includes", "offers", "provides", "keeps", "protects", "delivers", "fits", "suits", "comes with"];
const FILLERS = ["for daily use", "in the box", "with a warranty of 6 months", "ideal for women's and men's wear", "easy to clean", "made in India", "machine washable", "pack of 3", "free delivery", "buy online at best price"];
const BRANDS = ["Alisha", "FabHomeDecor", "AW", "Ladela", "Sicons", "Tiara Diaries", "Vishudh", "Veelys", "Bulaky", "Madcaps", "Oye", "Nuride", "Himmlisch", "Rapter", ""];
const ROOTS = ["Clothing", "Footwear", "Furniture", "Pens & Stationery", "Pet Supplies", "Home Decor & Festive Needs", "Automotive", "Tools & Hardware", "Beauty and Personal Care", "Bags, Wallets & Belts"];
const SPEC_KEYS = ["Fabric", "Type", "Pattern", "Ideal For", "Color", "Brand", "Model Number", "Material", "Weight", "Height", "Width", "Style Code", "Occasion", "Number of Contents in Sales Package"];

export const FLIPKART_COLUMNS = Object.keys(FLIPKART_SCHEMA);

/** Writes the catalogue (header first) as lines to `write`; returns what a run must find. */
export async function generateCatalogue(options: GenerateOptions, write: (lines: string[]) => void | Promise<void>): Promise<GeneratedCatalogue> {
  const next = seededRandom(options.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join("");
  const goodIds: string[] = [];
  const badLines: number[] = [];
  const bad = new Set<number>();
  const badCount = Math.min(options.badRows ?? 0, options.rows);
  while (bad.size < badCount) bad.add(Math.floor(next() * options.rows));
  let line = 2; // after the header
  let batch: string[] = [formatCsvLine(FLIPKART_COLUMNS)];

  for (let i = 0; i < options.rows; i++) {
    const id = hex(32);
    const name = `${pick(BRANDS) || "Generic"} ${pick(ADJECTIVES)} ${pick(NOUNS)}`.replace(/\b\w/g, (c) => c.toUpperCase());
    const sentences: string[] = [];
    for (let s = 0, n = 4 + Math.floor(next() * 8); s < n; s++) sentences.push(`${name} ${pick(VERBS)} ${pick(ADJECTIVES)} ${pick(NOUNS)}s ${pick(FILLERS)}`);
    let description = sentences.join(next() < 0.05 ? ".\n" : ", ");
    if (next() < 0.05) description += ` Screen 5.5" wide, "quoted" text`;
    const x = next();
    const urls = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, k) => `${options.imageBase}/img/${id}/${k}.jpeg`);
    const image = x < 0.04 ? "" : x < 0.06 ? "[]" : JSON.stringify(urls).replace(/","/g, '", "');
    const depth = 1 + Math.floor(next() * 8);
    const levels = [pick(ROOTS), ...Array.from({ length: depth - 1 }, () => `${pick(ADJECTIVES)} ${pick(NOUNS)}s`.replace(/^\w/, (c) => c.toUpperCase()))];
    const t = next();
    let tree = levels.join(" >> ");
    if (t < 0.03) tree = `${name.slice(0, 40)}...`;
    else if (t < 0.05 && levels.length > 2) tree = `${levels[0]} >> ${levels[1]} > ${levels.slice(2).join(" >> ")}`;
    else if (t < 0.06) tree += ` >> ${name} "Special Edition...`;
    const categoryTree = JSON.stringify([tree]);
    const s = next();
    const entries = Array.from({ length: 1 + Math.floor(next() * 6) }, () => `{"key"=>"${pick(SPEC_KEYS)}", "value"=>"${pick(ADJECTIVES)} ${pick(NOUNS)}"}`);
    let spec: string;
    if (s < 0.05) spec = "";
    else if (s < 0.15) spec = `{"product_specification"=>${entries[0]}}`;
    else if (s < 0.18) spec = `{"product_specification"=>[${entries.join(", ")}, {"value"=>"${pick(FILLERS)}"}]}`;
    else if (s < 0.2) spec = `{"product_specification"=>[{"key"=>"Size", "value"=>"10\\" x 12\\" inch"}, ${entries.join(", ")}]}`;
    else if (s < 0.21) spec = `{"product_specification"=>[${entries.join(", ")}`; // truncated: unparseable
    else spec = `{"product_specification"=>[${entries.join(", ")}]}`;
    const retail = 100 + Math.floor(next() * 5000);
    const values = [
      id,
      `2016-0${1 + Math.floor(next() * 6)}-1${Math.floor(next() * 10)} 1${Math.floor(next() * 10)}:2${Math.floor(next() * 10)}:00 +0000`,
      `http://www.flipkart.com/p/itm${hex(12)}?pid=${hex(16).toUpperCase()}`,
      name,
      categoryTree,
      hex(16).toUpperCase(),
      String(retail),
      String(Math.floor(retail * (0.4 + next() * 0.6))),
      image,
      next() < 0.1 ? "TRUE" : "FALSE",
      description,
      next() < 0.8 ? "No rating available" : (1 + next() * 4).toFixed(1),
      next() < 0.8 ? "No rating available" : (1 + next() * 4).toFixed(1),
      pick(BRANDS),
      spec,
    ];
    let text = formatCsvLine(values);
    if (bad.has(i)) {
      text = i % 2 === 0 ? formatCsvLine(values.slice(0, 14)) : `${id},"broken "quote",${formatCsvLine(values.slice(2))}`;
      badLines.push(line);
    } else goodIds.push(id);
    line += (text.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
    batch.push(text);
    if (batch.length >= 1000) {
      await write(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await write(batch);
  return { goodIds, badLines };
}
