/** Snippets of docs/guide/06-metrics.md. */
import { Create, DoFn, Metrics, ParDo, Pipeline } from "beamline";
import type { PCollection, PipelineResult, ProcessContext } from "beamline";

// [START define]
/** Parses numbers, counting what it could not parse and recording the values' distribution. */
class ParseAmounts extends DoFn<string, number> {
  private readonly malformed = Metrics.counter("ParseAmounts", "malformed");
  private readonly amounts = Metrics.distribution("ParseAmounts", "amounts");
  private readonly lastAmount = Metrics.gauge("ParseAmounts", "lastAmount");

  process(text: string, ctx: ProcessContext<number>): void {
    const amount = Number(text);
    if (Number.isNaN(amount)) {
      this.malformed.inc();
      return;
    }
    this.amounts.update(amount);
    this.lastAmount.set(amount);
    ctx.output(amount);
  }
}
// [END define]

export function parse(p: Pipeline): PCollection<number> {
  return p.apply("Amounts", Create.of("12", "x", "30", "?")).apply("Parse", ParDo.of(new ParseAmounts()));
}

export function query(result: PipelineResult): { malformed: number; amounts: { sum: number; count: number; min: number; max: number } } {
  // [START query]
  const malformed = result.metrics.counterTotal("ParseAmounts", "malformed");   // summed over steps
  const [amounts] = result.metrics.distributions({ namespace: "ParseAmounts", name: "amounts", step: "Parse" });
  // amounts.value: { sum, count, min, max }; also result.metrics.counters(), gauges()
  // [END query]
  return { malformed, amounts: amounts!.value };
}

// [START stringSet]
/** Writes each record to its region's table, recording which tables the step wrote to. */
class RouteByRegion extends DoFn<{ region: string; amount: number }, string> {
  private readonly tables = Metrics.stringSet("RouteByRegion", "tables");

  process(record: { region: string; amount: number }, ctx: ProcessContext<string>): void {
    const table = `sales_${record.region}`;
    this.tables.add(table);   // a table already in the set adds nothing
    ctx.output(`${table}: ${record.amount}`);
  }
}
// after the run: result.metrics.stringSets({ name: "tables" })[0].value is ["sales_eu", "sales_us"]
// [END stringSet]

export function route(p: Pipeline): PCollection<string> {
  return p
    .apply("Sales", Create.of({ region: "eu", amount: 3 }, { region: "us", amount: 5 }, { region: "eu", amount: 1 }))
    .apply("Route", ParDo.of(new RouteByRegion()));
}

export function tablesWritten(result: PipelineResult): readonly string[] {
  const [tables] = result.metrics.stringSets({ namespace: "RouteByRegion", name: "tables", step: "Route" });
  return tables!.value;
}
