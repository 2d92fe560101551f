/**
 * `node dist/test/dataflow/cli_child.js ARGS`: the wordcount command line exactly as a user runs
 * it, with the DataflowRunner wired to the test's stand-ins (a fixed OAuth token instead of
 * Application Default Credentials; GCS at TEST_GCS_ENDPOINT). Used by interrupt.test.ts.
 */
import { Storage } from "@google-cloud/storage";
import { registerRunner } from "../../lib/model/runner_registry";
import { wordcount } from "../../pipelines/wordcount";
import { DataflowRunner } from "../../runners/dataflow/dataflow_runner";
import { auth } from "./fake_dataflow";

registerRunner(
  "DataflowRunner",
  () => new DataflowRunner({ authClient: auth(), storage: new Storage({ projectId: "proj", apiEndpoint: process.env["TEST_GCS_ENDPOINT"] }), pollIntervalMs: 20, retry: { initialDelayMs: 1 } }),
);
void wordcount.main(process.argv.slice(2));
