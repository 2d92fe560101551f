/**
 * Map and multimap side inputs look keys up by value, as Beam's do: Java's views compare keys by
 * their coder's structural value (InMemoryMultimapSideInputView: `keyCoder.structuralValue(k)`;
 * over the Fn API the runner finds a key by its encoded bytes), Python's AsDict / AsMultiMap are
 * dicts of hashable values (a tuple key is found by an equal tuple). Here a key is compared by its
 * encoding with the KV collection's key coder, so a `[country, year]` tuple or an `{ id }` object
 * is found by an equal one built elsewhere. The cases of Beam Java's ViewTest (testMapSideInput*,
 * testMultimapSideInput*, ...AsEntrySet..., ...WithNonDeterministicKeyCoder, duplicates) and Python's
 * sideinputs_test.py, in batch (Create) and streaming (TestStream).
 */
import { strict as assert } from "node:assert";
import { AsMap, AsMultimap, Create, kv, KV, ParDo, PCollection, PTransform, SideInput, TestStream } from "../../lib";
import { KVCoder, StringUtf8Coder, VarIntCoder, type Coder } from "../../lib/coders/index";
import type { PBegin } from "../../lib/model/pcollection";
import type { Pipeline } from "../../lib/model/pipeline";
import { runDirect } from "../helpers";
import { collect, Observed } from "../streaming/collect";

/** Beam Java's ViewTest.NonDeterministicStringCoder: UTF-8 strings, declared non-deterministic on purpose. */
class NonDeterministicStringCoder extends StringUtf8Coder {
  override readonly deterministic = false as true;
}

for (const mode of ["batch", "streaming"] as const) {
  /** C.of, or in streaming a TestStream of the same values in the global window. */
  const C = {
    of: <T>(...values: T[]): PTransform<PBegin, PCollection<T>> =>
      mode === "batch"
        ? Create.from(values)
        : TestStream.create<T>()
            .addElements(...values.map((value) => ({ value, timestamp: 0 })))
            .advanceWatermarkToInfinity(),
  };

  describe(`Beam map and multimap side inputs: keys compared by value (ViewTest.java, sideinputs_test.py): ${mode}`, () => {
    /** Runs `main` → a ParDo reading `views` that outputs `fn`'s rows; the sorted rows, and the run's end. */
    async function outputs<M, S extends Record<string, unknown>>(
      main: readonly M[],
      views: (p: Pipeline) => { readonly [K in keyof S]: SideInput<S[K]> },
      fn: (x: M, s: S) => unknown[],
    ): Promise<{ rows: string[]; state: string; error?: Error }> {
      const out: Observed<unknown>[] = [];
      const result = await runDirect((p) => {
        const sideInputs = views(p);
        const read = ParDo.into<unknown>().of(
          (x: M, ctx) => {
            for (const o of fn(x, ctx.sideInputs as unknown as S)) ctx.output(o);
          },
          { sideInputs },
        );
        collect(p.apply("Main", C.of(...main)).apply("Read", read), out);
      });
      await result.waitUntilFinish().catch(() => undefined);
      return { rows: out.map((o) => (typeof o.value === "string" ? o.value : JSON.stringify(o.value))).sort(), state: result.state, error: result.error };
    }

    type Tuple = readonly [string, number];

    it("a map keyed by [country, year] tuples finds a key by an equal tuple (Python: a dict with tuple keys)", async () => {
      const { rows, state, error } = await outputs<Tuple, { m: ReadonlyMap<Tuple, number> }>(
        [
          ["fr", 2020],
          ["de", 2021],
          ["it", 2020],
        ],
        (p) => ({ m: AsMap(p.apply("Side", C.of<KV<Tuple, number>>(kv(["fr", 2020], 10), kv(["de", 2021], 20)))) }),
        (k, { m }) => [`${k.join("/")} get=${m.get(k)} has=${m.has(k)} fresh=${m.get([k[0], k[1]])}`],
      );
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(rows, ["de/2021 get=20 has=true fresh=20", "fr/2020 get=10 has=true fresh=10", "it/2020 get=undefined has=false fresh=undefined"]);
    });

    it("a map keyed by objects finds { id: 1 } by an equal object; size, keys() and entries agree", async () => {
      type Id = { readonly id: number };
      const { rows, state, error } = await outputs<number, { m: ReadonlyMap<Id, string> }>(
        [1, 3],
        (p) => ({ m: AsMap(p.apply("Side", C.of<KV<Id, string>>(kv({ id: 1 }, "one"), kv({ id: 2 }, "two")))) }),
        (x, { m }) => [
          `${x}: get=${m.get({ id: x })} has=${m.has({ id: x })} size=${m.size} keys=${JSON.stringify([...m.keys()].map((k) => k.id).sort())} entries=${[...m.entries()].length}`,
        ],
      );
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(rows, ['1: get=one has=true size=2 keys=[1,2] entries=2', '3: get=undefined has=false size=2 keys=[1,2] entries=2']);
    });

    it("a multimap groups keys equal by value into one entry (Python AsMultiMap with tuple keys)", async () => {
      const { rows, state, error } = await outputs<Tuple, { mm: ReadonlyMap<Tuple, readonly string[]> }>(
        [["a", 1]],
        (p) => ({ mm: AsMultimap(p.apply("Side", C.of<KV<Tuple, string>>(kv(["a", 1], "x"), kv(["b", 2], "z"), kv(["a", 1], "y")))) }),
        (k, { mm }) => [
          `get=${[...(mm.get(k) ?? [])].sort().join("+")} fresh=${[...(mm.get(["a", 1]) ?? [])].sort().join("+")} size=${mm.size} ` +
            `keys=${[...mm.keys()].map((key) => key.join("/")).sort().join(",")} values=${[...mm.values()].map((vs) => vs.length).sort().join(",")}`,
        ],
      );
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(rows, ["get=x+y fresh=x+y size=2 keys=a/1,b/2 values=1,2"]);
    });

    it("a map with two tuple keys equal by value fails, naming the key (testMapSideInputWithNullValuesCatchesDuplicates)", async () => {
      const { state, error } = await outputs<number, { m: ReadonlyMap<Tuple, number> }>(
        [1],
        (p) => ({ m: AsMap(p.apply("Side", C.of<KV<Tuple, number>>(kv(["a", 1], 1), kv(["a", 1], 2)))) }),
        (x, { m }) => [[x, m.size]],
      );
      assert.equal(state, "FAILED");
      assert.match(error!.message, /map side input 'm' .* has the key \["a",1\] twice in window global; use AsMultimap/);
    });

    it("a map and a multimap with a key coder that is not deterministic still find keys (testMapSideInputWithNonDeterministicKeyCoder, testMultimapSideInputWithNonDeterministicKeyCoder)", async () => {
      const keyed = <V>(p: Pipeline, label: string, coder: Coder<V>, ...values: KV<string, V>[]): PCollection<KV<string, V>> =>
        p.apply(label, C.of(...values)).setCoder(new KVCoder(new NonDeterministicStringCoder(), coder) as unknown as Coder<KV<string, V>>);
      const { rows, state, error } = await outputs<string, { m: ReadonlyMap<string, number>; mm: ReadonlyMap<string, readonly number[]> }>(
        ["apple", "banana", "blackberry"],
        (p) => ({
          m: AsMap(keyed(p, "M", new VarIntCoder(), kv("a", 1), kv("b", 3))),
          mm: AsMultimap(keyed(p, "MM", new VarIntCoder(), kv("a", 1), kv("a", 1), kv("a", 2), kv("b", 3))),
        }),
        (x, { m, mm }) => [`map ${x}=${m.get(x.substring(0, 1))}`, ...(mm.get(x.substring(0, 1)) ?? []).map((v) => `multi ${x}=${v}`)],
      );
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(
        rows,
        ["map apple=1", "map banana=3", "map blackberry=3", "multi apple=1", "multi apple=1", "multi apple=2", "multi banana=3", "multi blackberry=3"].sort(),
      );
    });

    it("a multimap keeps repeated values and counts its keys once (testMultimapSideInput, testMultimapAsEntrySetSideInput)", async () => {
      const { rows, state, error } = await outputs<number, { mm: ReadonlyMap<string, readonly number[]> }>(
        [2],
        (p) => ({ mm: AsMultimap(p.apply("Side", C.of(kv("a", 1), kv("a", 1), kv("a", 2), kv("b", 3)))) }),
        (size, { mm }) => [`size ${mm.size === size}`, ...[...mm].flatMap(([k, vs]) => vs.map((v) => `${k}${v}`))],
      );
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(rows, ["a1", "a1", "a2", "b3", "size true"]);
    });

    it("a map keyed by bytes finds a key by equal bytes", async () => {
      const { rows, state, error } = await outputs<number, { m: ReadonlyMap<Uint8Array, string> }>(
        [1, 9],
        (p) => ({ m: AsMap(p.apply("Side", C.of<KV<Uint8Array, string>>(kv(new Uint8Array([1, 2]), "one-two")))) }),
        (x, { m }) => [`${x}: ${m.get(new Uint8Array([x, 2]))}`],
      );
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(rows, ["1: one-two", "9: undefined"]);
    });
  });
}

describe("Beam map side inputs: a key the key coder cannot encode", () => {
  it("fails reading the view, naming it and the coder (with strict checks off, which would have refused the element earlier)", async () => {
    class Id {
      constructor(readonly n: number) {}
    }
    const result = await runDirect(
      (p) => {
        const m = AsMap(p.apply("Side", Create.of(kv(new Id(1), "one"))));
        p.apply("Main", Create.of(1)).apply("Read", ParDo.into<string>().of((_x, ctx) => ctx.output(String(ctx.sideInputs.m.size)), { sideInputs: { m } }));
      },
      { strictChecks: false },
    );
    await result.waitUntilFinish().catch(() => undefined);
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /The key \{"n":1\} of the side input 'm' of transform 'Read' .* cannot be encoded with the collection's key coder.*jsvalue_deterministic/);
  });
});
