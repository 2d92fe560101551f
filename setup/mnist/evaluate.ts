/**
 * Accuracy of mnist_bq's output: reads the predictions table back from BigQuery and compares each
 * row's most likely digit with the true label (mnist_labels.csv).
 *
 *     node dist/setup/mnist/evaluate.js --table PROJECT.MNIST.Predict [--labels out/mnist/mnist_labels.csv] [--project P]
 */
import * as path from "node:path";
import { parseTableSpec } from "../../lib/io/bigquery";
import { bigqueryClient, resetGcpClients } from "../../lib/io/gcp/clients";
import { DEFAULT_DATA_DIR, readLabels } from "./mnist_data";
import { flagValue } from "./cli";

export interface Accuracy {
  readonly rows: number;
  readonly right: number;
  readonly accuracy: number;
  /** Rows whose probabilities do not sum to 1 (± 1e-4), or whose ID has no label. */
  readonly invalid: number;
}

/** Reads every row of the predictions table and scores it against the labels. */
export async function accuracyOfTable(table: string, labels: ReadonlyMap<number, number>, project?: string): Promise<Accuracy> {
  const ref = parseTableSpec(table);
  const [rows] = await bigqueryClient(ref.projectId ?? project).dataset(ref.datasetId).table(ref.tableId).getRows({ autoPaginate: true });
  let right = 0;
  let invalid = 0;
  for (const row of rows as Record<string, number>[]) {
    const p = Array.from({ length: 10 }, (_, k) => Number(row[`P${k}`]));
    const label = labels.get(Number(row["ID"]));
    if (label === undefined || Math.abs(p.reduce((a, b) => a + b, 0) - 1) > 1e-4) invalid++;
    if (p.indexOf(Math.max(...p)) === label) right++;
  }
  return { rows: rows.length, right, accuracy: rows.length > 0 ? right / rows.length : 0, invalid };
}


if (require.main === module) {
  const argv = process.argv.slice(2);
  (async () => {
    const table = flagValue(argv, "table");
    if (table === undefined) throw new Error("--table PROJECT.DATASET.TABLE (mnist_bq's --output) is required");
    const labels = await readLabels(path.resolve(flagValue(argv, "labels") ?? path.join(DEFAULT_DATA_DIR, "mnist_labels.csv")));
    const a = await accuracyOfTable(table, labels, flagValue(argv, "project"));
    process.stdout.write(`${table}: ${a.right} of ${a.rows} digits right, accuracy ${(a.accuracy * 100).toFixed(2)} %${a.invalid > 0 ? ` (${a.invalid} invalid rows)` : ""}\n`);
  })()
    .catch((e: Error) => {
      process.stderr.write(`evaluate FAILED: ${e.message}\n`);
      process.exitCode = 1;
    })
    .finally(() => void resetGcpClients());
}

/** The p-th percentile (0..100) of a list of numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
