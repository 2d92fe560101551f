/** A program reading map and multimap side inputs keyed by tuples and objects, for the portable tests. */
import { AsMap, AsMultimap, Create, definePipeline, KV, kv, ParDo, ProcessContext } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

type CountryYear = readonly [string, number];
type Country = { readonly country: string };
type Views = { population: ReadonlyMap<CountryYear, number>; cities: ReadonlyMap<Country, readonly string[]> };

/** What `sideInputKeysProgram` writes under --output/keys: its sorted lines. */
export const SIDE_INPUT_KEYS_EXPECTED = [
  "de/2021 population=83 cities=Berlin sizes=2/2",
  "fr/2020 population=67 cities=Lyon+Paris sizes=2/2",
  "it/2020 population=? cities= sizes=2/2",
];

/**
 * Side inputs whose keys are a `[country, year]` tuple (AsMap) and a `{ country }` object
 * (AsMultimap), looked up with equal keys built by the main input's DoFn: on a portable runner
 * every key arrives decoded, a new object, so only a lookup by value (Beam's) finds it.
 */
export const sideInputKeysProgram = definePipeline({
  name: "portable-test-side-input-keys",
  description: "map and multimap side inputs keyed by tuples and objects, read by equal keys",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const population = AsMap(root.apply("Population", Create.of<KV<CountryYear, number>>(kv(["fr", 2020], 67), kv(["de", 2021], 83))));
    const cities = AsMultimap(root.apply("Cities", Create.of<KV<Country, string>>(kv({ country: "fr" }, "Paris"), kv({ country: "de" }, "Berlin"), kv({ country: "fr" }, "Lyon"))));
    root
      .apply("Queries", Create.of("fr/2020", "de/2021", "it/2020"))
      .apply(
        "Lookup",
        ParDo.of(
          (q: string, ctx: ProcessContext<string, {}, Views>) => {
            const [country, year] = q.split("/") as [string, string];
            const { population, cities } = ctx.sideInputs;
            const found = population.get([country, Number(year)]) ?? "?";
            ctx.output(`${q} population=${found} cities=${[...(cities.get({ country }) ?? [])].sort().join("+")} sizes=${population.size}/${cities.size}`);
          },
          { sideInputs: { population, cities } },
        ),
      )
      .apply("Write", WriteToText.to(`${flags.output}/keys`));
  },
});
