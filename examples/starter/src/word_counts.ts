/**
 * The pipeline's logic as a typed, reusable transform: tested on its own (word_counts.test.ts)
 * and used by the program (main.ts).
 */
import { Count, type KV, type PCollection, PTransform } from "beamline";

/** The lower-cased words of a line: letters, digits and apostrophes. */
export function words(line: string): string[] {
  return line.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
}

/** Counts the words of text lines (per window, when the input is windowed). */
export class CountWords extends PTransform<PCollection<string>, PCollection<KV<string, number>>> {
  constructor() {
    super("CountWords");
  }

  expand(lines: PCollection<string>): PCollection<KV<string, number>> {
    return lines.flatMap("Split", words).apply("CountPerWord", Count.perElement());
  }
}

/** `"word: 3"`. */
export function format(count: KV<string, number>): string {
  return `${count.key}: ${count.value}`;
}
