/** A program with map, flatMap and filter dead letters (worker threads and the Fn API harness load this module). */
import { Create, definePipeline, FlatMapElements, Filter, MapElements, Reshuffle } from "../../lib";
import { assertThat, equalTo } from "../../lib/testing/passert";

/** Parses a decimal integer; anything else throws (Beam Python's `int(x)` raising ValueError). */
export function parseInteger(s: string): number {
  if (!/^-?\d+$/.test(s)) throw new RangeError(`not an integer: ${JSON.stringify(s)}`);
  return Number(s);
}

/** 0..n-1, throwing after yielding 0..1 when n is 3 (a failure partway through an element's outputs), and at once over 100. */
export function* upTo(n: number): Generator<number> {
  if (n > 100) throw new RangeError(`too many: ${n}`);
  for (let i = 0; i < n; i++) {
    if (n === 3 && i === 2) throw new Error("three is unlucky");
    yield i;
  }
}

/** Odd numbers; a number over 100 makes the predicate throw. */
export function isOdd(n: number): boolean {
  if (n > 100) throw new RangeError(`too large: ${n}`);
  return n % 2 === 1;
}

export const elementwiseDeadLetters = definePipeline({
  name: "elementwise-dead-letters",
  description: "map, flatMap and filter with dead-letter outputs",
  flags: {
    partial: { type: "boolean", describe: "keep the outputs of a flatMap element that failed partway", default: false },
  },
  build(root, flags) {
    const lines = root.apply("Create", Create.of("1", "x", "3", "-", "2", "101")).apply(Reshuffle.viaRandomKey());
    const parsed = lines.apply("Parse", MapElements.via(parseInteger).withExceptionHandling());
    assertThat(parsed.main, equalTo([1, 3, 2, 101]), "CheckParsed");
    assertThat(parsed.failed.map("ParseFailures", (f) => `${f.step}: ${String(f.element)}: ${f.reason}`), equalTo(['Parse: x: RangeError: not an integer: "x"', 'Parse: -: RangeError: not an integer: "-"']), "CheckParseFailures");

    const ranges = parsed.main.apply("Ranges", FlatMapElements.via(upTo).withExceptionHandling({ partial: flags.partial }));
    assertThat(ranges.main, equalTo(flags.partial ? [0, 0, 1, 0, 1] : [0, 0, 1]), "CheckRanges");
    assertThat(ranges.failed.map("RangeFailures", (f) => f.element), equalTo([3, 101]), "CheckRangeFailures");

    const odd = parsed.main.apply("Odd", Filter.by(isOdd).withExceptionHandling());
    assertThat(odd.main, equalTo([1, 3]), "CheckOdd");
    assertThat(odd.failed.map("OddFailures", (f) => f.element), equalTo([101]), "CheckOddFailures");
  },
});
