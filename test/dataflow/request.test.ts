/**
 * The job request the DataflowRunner sends for each Dataflow option, read back from the local
 * Dataflow REST stand-in: every field is where Beam Python's apiclient (Environment/Job) and the
 * Go SDK's dataflowlib.Translate put it, with the same value forms. The flags are parsed from a
 * command line, as a user gives them. Also: what is refused before anything is sent.
 */
import { strict as assert } from "node:assert";
import { Storage } from "@google-cloud/storage";
import { ReadFromText } from "../../lib/io/textio";
import { parseArgs, PipelineOptions } from "../../lib/model/options";
import { DEFAULT_INPUT, PUBLIC_INPUT, wordcount } from "../../pipelines/wordcount";
import { wordcount2 } from "../../pipelines/wordcount2";
import { DataflowRunner } from "../../runners/dataflow/dataflow_runner";
import { mutableImageTag } from "../../runners/dataflow/options";
import { workerProgramFrom } from "../../runners/portable/pipeline_options";
import { loadWorkerPipeline } from "../../runners/worker/program_loader";
import { auth, FakeDataflow, withDataflowStandIns } from "./fake_dataflow";
import { userStateProgram } from "../portable/state_programs";
import { timeSortedProgram } from "../portable/time_sorted_programs";

interface Pool {
  [k: string]: unknown;
  autoscalingSettings: Record<string, unknown>;
}
interface Request {
  name: string;
  clientRequestId: string;
  environment: Record<string, unknown> & { experiments: string[]; workerPools: Pool[]; sdkPipelineOptions: { options: Record<string, unknown>; display_data: Record<string, unknown>[] } };
}

const IMAGE = "us-docker.pkg.dev/proj/repo/beamline-worker:1.0";

describe("DataflowRunner: the job request for each option", function () {
  let dataflow: FakeDataflow;
  let storage: Storage;
  withDataflowStandIns((s) => ({ dataflow, storage } = s));

  const BASE = ["--runner", "DataflowRunner", "--project", "proj", "--region", "us-central1", "--temp_location", "gs://bkt/tmp", "--output", "gs://bkt/o"];

  /** The command line (with --job_name opts unless args name the job; input null: no --input). */
  const argv = (args: string[], withImage: boolean, input: string | null = "gs://bkt/in.txt"): string[] => [
    ...BASE,
    ...(input !== null ? ["--input", input] : []),
    ...(args.includes("--job_name") ? [] : ["--job_name", "opts"]),
    ...(withImage ? ["--sdk_container_image", IMAGE] : []),
    ...args,
    "--dataflow_endpoint",
    dataflow.url,
  ];

  /** Parses a command line as `node dist/pipelines/wordcount.js ...` does, runs it against the stand-in, returns the create request and the log. */
  async function submit(args: string[], withImage = true, input: string | null = "gs://bkt/in.txt"): Promise<{ request: Request; log: string[] }> {
    const { options, flags } = parseArgs(argv(args, withImage, input), wordcount.spec.flags, { scriptName: "wordcount", description: "", passThroughFlags: true });
    const log: string[] = [];
    const runner = new DataflowRunner({ log: (l) => log.push(l), authClient: auth(), storage, pollIntervalMs: 5, onInterrupt: "ignore", retry: { initialDelayMs: 1 } });
    const result = await runner.run(wordcount.create(flags, options));
    await result.waitUntilFinish();
    const creates = dataflow.requests.filter((r) => r.method === "POST");
    assert.equal(creates.length, 1);
    return { request: creates[0]!.body as unknown as Request, log };
  }
  async function refused(args: string[], withImage = true): Promise<string> {
    const { options, flags } = parseArgs(argv(args, withImage), wordcount.spec.flags, { scriptName: "wordcount", description: "" });
    const runner = new DataflowRunner({ log: () => undefined, authClient: auth(), storage, onInterrupt: "ignore" });
    let message = "";
    await assert.rejects(runner.run(wordcount.create(flags, options)), (e: Error) => ((message = e.message), true));
    assert.deepEqual(dataflow.requests, [], "nothing was sent to Dataflow");
    return message;
  }

  it("maps every worker, service and debug option to the field Dataflow reads", async () => {
    const kms = "projects/proj/locations/us-central1/keyRings/ring/cryptoKeys/key";
    const diskType = "compute.googleapis.com/projects/proj/zones/us-east1-b/diskTypes/pd-ssd";
    const { request, log } = await submit([
      ...["--experiment", "use_unsupported_python_version", "--experiment", "shuffle_mode=service", "--experiments", "a,b"],
      ...["--no_use_public_ips", "--worker_region", "us-east1", "--dataflow_kms_key", kms],
      ...["--dataflow_service_options", "enable_prime", "--dataflow_service_option", "automatically_use_created_reservation=true"],
      ...["--disk_size_gb", "50", "--disk_type", diskType, "--number_of_worker_harness_threads", "12"],
      ...["--autoscaling_algorithm", "NONE", "--num_workers", "3", "--max_num_workers", "10", "--flexrs_goal", "COST_OPTIMIZED", "--enable_hot_key_logging"],
      ...["--machine_type", "n2-standard-4", "--network", "net", "--subnetwork", "regions/us-east1/subnetworks/sub", "--my_custom_option", "42"],
    ]);
    const env = request.environment;
    for (const e of ["use_unsupported_python_version", "shuffle_mode=service", "a", "b", "beam_fn_api", "use_runner_v2"]) assert.ok(env.experiments.includes(e), e);
    assert.deepEqual(env["serviceOptions"], ["enable_prime", "automatically_use_created_reservation=true"]);
    assert.equal(env["serviceKmsKeyName"], kms);
    assert.equal(env["workerRegion"], "us-east1");
    assert.equal(env["workerZone"], undefined);
    assert.equal(env["flexResourceSchedulingGoal"], "FLEXRS_COST_OPTIMIZED");
    assert.deepEqual(env["debugOptions"], { enableHotKeyLogging: true });
    const pool = env.workerPools[0]!;
    assert.deepEqual(
      [pool["ipConfiguration"], pool["diskSizeGb"], pool["diskType"], pool["numThreadsPerWorker"], pool["numWorkers"], pool["machineType"], pool["network"], pool["subnetwork"]],
      ["WORKER_IP_PRIVATE", 50, diskType, 12, 3, "n2-standard-4", "net", "regions/us-east1/subnetworks/sub"],
    );
    assert.deepEqual(pool.autoscalingSettings, { algorithm: "AUTOSCALING_ALGORITHM_NONE", maxNumWorkers: 10 });
    assert.equal(pool["dataDisks"], undefined, "batch jobs get no separate data disk");
    assert.equal(pool["zone"], undefined);
    // Options Beamline does not know pass through for the workers, as in Beam.
    assert.equal(env.sdkPipelineOptions.options["my_custom_option"], "42");
    assert.equal(env.sdkPipelineOptions.options["dataflow_kms_key"], kms);
    assert.match(request.clientRequestId, /^\d{20}-\d{4}$/, "Beam Python's form: UTC time to the microsecond, then a random number");
    assert.deepEqual(log.filter((l) => l.includes("warning")), []);
  });

  it("sends display data in Beam's {key, namespace, type, value} form, with the program's flags", async () => {
    const { request } = await submit(["--enable_hot_key_logging"]);
    const items = request.environment.sdkPipelineOptions.display_data;
    for (const item of items) assert.deepEqual(Object.keys(item).sort(), ["key", "namespace", "type", "value"], JSON.stringify(item));
    const byKey = new Map(items.map((i) => [i["key"], i]));
    assert.deepEqual(byKey.get("input"), { key: "input", namespace: "beamline.PipelineOptions", type: "STRING", value: "gs://bkt/in.txt" });
    assert.deepEqual(byKey.get("enable_hot_key_logging"), { key: "enable_hot_key_logging", namespace: "beamline.PipelineOptions", type: "BOOLEAN", value: true });
    assert.equal(byKey.get("experiments")!["type"], "STRING");
    assert.match(String(byKey.get("experiments")!["value"]), /^beam_fn_api,use_runner_v2,/);
    assert.ok(![...byKey.keys()].some((k) => String(k).startsWith("beamline_")), "internal options are not shown");
  });

  it("--max_num_workers alone leaves the algorithm to Dataflow; THROUGHPUT_BASED is BASIC; --disk_size_gb 0 is not sent", async () => {
    assert.deepEqual((await submit(["--max_num_workers", "5", "--disk_size_gb", "0"])).request.environment.workerPools[0]!.autoscalingSettings, { maxNumWorkers: 5 });
    assert.equal((await submitAgain([])).environment.workerPools[0]!["diskSizeGb"], undefined);
    assert.deepEqual((await submitAgain(["--autoscaling_algorithm", "THROUGHPUT_BASED"])).environment.workerPools[0]!.autoscalingSettings, { algorithm: "AUTOSCALING_ALGORITHM_BASIC" });
  });

  /** Another submission in the same test, to a stand-in that forgot the first. */
  async function submitAgain(args: string[]): Promise<Request> {
    dataflow.reset();
    return (await submit(args)).request;
  }

  it("public IPs: --use_public_ips is WORKER_IP_PUBLIC, neither flag leaves it unset", async () => {
    assert.equal((await submit(["--use_public_ips"])).request.environment.workerPools[0]!["ipConfiguration"], "WORKER_IP_PUBLIC");
    assert.equal((await submitAgain([])).environment.workerPools[0]!["ipConfiguration"], undefined);
  });

  it("the deprecated --zone becomes the worker zone (with a warning), as Beam's validators do", async () => {
    const { request, log } = await submit(["--zone", "us-central1-f"]);
    assert.equal(request.environment["workerZone"], "us-central1-f");
    assert.equal(request.environment.workerPools[0]!["zone"], undefined);
    assert.ok(log.some((l) => l.includes("--zone is deprecated: use --worker_zone")), log.join("\n"));
    assert.equal((await submitAgain(["--worker_zone", "us-central1-b"])).environment["workerZone"], "us-central1-b");
  });

  it("streaming jobs get a data disk of --disk_type, as Beam Python asks for", async () => {
    const { request } = await submit(["--streaming", "--disk_type", "pd-ssd"]);
    assert.deepEqual(request.environment.workerPools[0]!["dataDisks"], [{ diskType: "pd-ssd" }]);
    assert.deepEqual((await submitAgain(["--streaming"])).environment.workerPools[0]!["dataDisks"], [{}]);
  });

  it("--setup_file and --requirements_file are answered with where Node workers get their code, and the job is still submitted", async () => {
    const { log } = await submit(["--setup_file", "./setup.py", "--requirements_file", "requirements.txt"]);
    const notes = log.filter((l) => l.includes("is not used"));
    assert.equal(notes.length, 2, log.join("\n"));
    assert.match(notes[0]!, /--setup_file \.\/setup\.py is not used: Node workers install no Python packages; they run the code and npm dependencies built into the worker image \(--sdk_container_image\)/);
    assert.match(notes[1]!, /--requirements_file requirements\.txt is not used/);
  });

  it("requires --sdk_container_image, saying how to build and push it", async () => {
    const message = await refused([], false);
    assert.match(message, /--sdk_container_image is required/);
    assert.match(message, /docker build -f setup\/Dockerfile -t us-central1-docker\.pkg\.dev\/proj\/REPO\/beamline-worker:TAG \./);
    assert.match(message, /docker push us-central1-docker\.pkg\.dev\/proj\/REPO\/beamline-worker:TAG/);
  });

  it("warns when the image tag is mutable (latest, or no tag), not for a version tag or a digest", async () => {
    const { log } = await submit(["--sdk_container_image", "us-docker.pkg.dev/proj/repo/beamline-worker:latest"], false);
    assert.ok(log.some((l) => /warning: --sdk_container_image \S+:latest uses the tag :latest.*Pin a version tag/.test(l)), log.join("\n"));
    assert.equal(mutableImageTag("localhost:5000/beamline-worker"), "has no tag, so it means :latest");
    assert.equal(mutableImageTag("localhost:5000/beamline-worker:v3"), undefined);
    assert.equal(mutableImageTag(`gcr.io/p/w@sha256:${"a".repeat(64)}`), undefined);
  });

  it("refuses invalid job names and contradictory or malformed options, all at once, before sending anything", async () => {
    const message = await refused([
      ...["--job_name", "My_Job", "--zone", "us-central1-a", "--worker_zone", "us-central1-b", "--worker_region", "us-east1"],
      ...["--use_public_ips", "--no_use_public_ips", "--num_workers", "5", "--max_num_workers", "2"],
      ...["--autoscaling_algorithm", "BASIC", "--flexrs_goal", "CHEAP", "--disk_size_gb", "-1", "--transform_name_mapping", "[1]"],
    ]);
    for (const expected of [
      "--job_name 'My_Job' is not a valid Dataflow job name: it must start with a lowercase letter, end with a letter or digit, and use only lowercase letters, digits and '-' (at most 1024 characters), e.g. 'my-job'",
      "--zone (deprecated) cannot be used with --worker_region or --worker_zone",
      "--worker_region and --worker_zone are mutually exclusive",
      "--use_public_ips and --no_use_public_ips contradict each other",
      "--num_workers (5) cannot exceed --max_num_workers (2)",
      "--autoscaling_algorithm must be one of NONE, THROUGHPUT_BASED, got 'BASIC'",
      "--flexrs_goal must be one of COST_OPTIMIZED, SPEED_OPTIMIZED, got 'CHEAP'",
      "--disk_size_gb must be a whole number (0 or more), got '-1'",
      "--transform_name_mapping must be a JSON object",
    ]) {
      assert.ok(message.includes(expected), `missing: ${expected}\n${message}`);
    }
  });

  it("refuses --update on a batch job, --transform_name_mapping without --update, and FlexRS on a streaming job", async () => {
    assert.match(await refused(["--update"]), /--update replaces a running streaming job, but this is a batch job/);
    assert.match(await refused(["--streaming", "--transform_name_mapping", '{"A":"B"}']), /--transform_name_mapping only applies with --update/);
    assert.match(await refused(["--streaming", "--flexrs_goal", "SPEED_OPTIMIZED"]), /--flexrs_goal \(Flexible Resource Scheduling\) applies to batch jobs only/);
  });

  it("refuses OrderedListState (Dataflow has none, apache/beam#20666), naming the step, before staging or sending anything", async () => {
    const { options, flags } = parseArgs(argv(["--read_at", "elements"], true, null), userStateProgram.spec.flags, { scriptName: "state", description: "" });
    const runner = new DataflowRunner({ log: () => undefined, authClient: auth(), storage, onInterrupt: "ignore" });
    const staged = async (): Promise<string[]> => (await storage.bucket("bkt").getFiles())[0].map((f) => f.name);
    const before = await staged();
    await assert.rejects(
      runner.run(userStateProgram.create(flags, options)),
      (e: Error) => /OrderedListState 'items'.*Dataflow does not support.*\(at transform 'SetAndOrderedList'\)$/.test(e.message),
    );
    assert.deepEqual(dataflow.requests, [], "nothing was sent to Dataflow");
    assert.deepEqual(await staged(), before, "nothing was staged");
  });

  it("refuses requiresTimeSortedInput (Dataflow sorts only Java pipelines, in batch), naming the step, before staging or sending anything", async () => {
    const { options, flags } = parseArgs(argv([], true, null), timeSortedProgram.spec.flags, { scriptName: "sorted", description: "" });
    const runner = new DataflowRunner({ log: () => undefined, authClient: auth(), storage, onInterrupt: "ignore" });
    const staged = async (): Promise<string[]> => (await storage.bucket("bkt").getFiles())[0].map((f) => f.name);
    const before = await staged();
    await assert.rejects(runner.run(timeSortedProgram.create(flags, options)), (e: Error) => /requiresTimeSortedInput.*Dataflow.*\(at transform 'Sorted'\)$/s.test(e.message));
    assert.deepEqual(dataflow.requests, [], "nothing was sent to Dataflow");
    assert.deepEqual(await staged(), before, "nothing was staged");
  });

  it("wordcount without --input reads the public King Lear on Dataflow, the same file the workers choose when they rebuild the graph", async () => {
    const { request } = await submit([], true, null);
    const options = request.environment.sdkPipelineOptions.options;
    assert.equal((JSON.parse(String(options["beamline_program"])) as { flags: Record<string, unknown> }).flags["input"], undefined, "no local path is sent");
    const worker = await loadWorkerPipeline(workerProgramFrom(request.environment.sdkPipelineOptions));
    const read = worker.transforms().find((n) => n.transform instanceof ReadFromText)!.transform as ReadFromText;
    assert.deepEqual(read.patterns, [PUBLIC_INPUT]);
  });
});

describe("wordcount's default input where the job runs", function () {
  const inputOf = (options: Partial<PipelineOptions>): readonly string[] =>
    (wordcount.create({ input: undefined, output: "o" }, options).transforms().find((n) => n.transform instanceof ReadFromText)!.transform as ReadFromText).patterns;

  it("is the bundled file where workers share this machine's files, the public copy on Dataflow", () => {
    assert.deepEqual(inputOf({ runner: "DirectRunner" }), [DEFAULT_INPUT]);
    assert.deepEqual(inputOf({ runner: "PortableRunner", extra: { environment_type: "LOOPBACK" } }), [DEFAULT_INPUT]);
    assert.deepEqual(inputOf({ runner: "DataflowRunner" }), ["gs://dataflow-samples/shakespeare/kinglear.txt"]);
  });

  it("is refused, before anything is submitted, for a portable runner's DOCKER or EXTERNAL workers (wordcount and wordcount2)", () => {
    assert.throws(
      () => wordcount.create({ input: undefined, output: "o" }, { runner: "PortableRunner", extra: {} }),
      (e: Error) =>
        e.message ===
        `wordcount: --input is required with --runner PortableRunner --environment_type DOCKER: the default input is a file on this machine (${DEFAULT_INPUT}), ` +
          "which the runner's workers cannot read. Pass a file every worker can read, e.g. --input gs://dataflow-samples/shakespeare/kinglear.txt (workers need Google Cloud credentials) or a path on a file system they share.",
    );
    assert.throws(() => wordcount2.create({ input: undefined, output: "o", output2: "o2" }, { runner: "PortableRunner", extra: { environment_type: "EXTERNAL" } }), (e: Error) => /^wordcount2: --input is required with --runner PortableRunner --environment_type EXTERNAL: /.test(e.message));
  });
});

