/**
 * Beamline: a typed, Apache Beam-style dataflow SDK for TypeScript.
 *
 * The public surface, as named exports. Build a pipeline from transforms, run it on the
 * DirectRunner to debug, and on a Beam portable runner or Dataflow in production.
 *
 * The programming guide (docs/guide/) shows how to use these; docs/migration.md maps Beam
 * Python and Beam TypeScript calls to them.
 *
 * @module beamline
 */
export { Pipeline } from "./model/pipeline";
export type { PipelineBuilder } from "./model/pipeline";
export { PCollection, PBegin } from "./model/pcollection";
export { MapElements, FlatMapElements, Filter } from "./model/elementwise";
export type { MapTransform, FlatMapTransform, FilterTransform, ElementwiseWithFailures, ElementwiseOutput, Comparable, ComparableOf } from "./model/elementwise";
export type { MapFn } from "./model/pcollection";
export { PTransform, ptransform } from "./model/transform";
export type { PInput, POutput, ValidationContext, FailureCleanupContext } from "./model/transform";
export { DoFn } from "./model/dofn";
export type { ProcessContext, BundleContext, RuntimeContext, OutputTags, SideInputTypes, ProcessFn, OutputPlacement } from "./model/dofn";
export { ParDo } from "./model/pardo";
export type { ParDoOptions, ParDoInto, TaggedOutputs, MultiOutputParDo, WithFailures, MainOutput } from "./model/pardo";
export { RejectedElementError, REJECTED_COUNTER } from "./model/dead_letter";
export type { DeadLetterSpec, DeadLetterOptions, ErrorClass, ExceptionHandlingOptions, FailedElement } from "./model/dead_letter";
export { ElementTimeoutError } from "./model/dead_letter";
export { GroupByKey, Flatten, Impulse, Window } from "./model/primitives";
export type { WindowIntoOptions } from "./model/primitives";
export { AsSingleton, AsIterable, AsList, AsMap, AsMultimap, SideInput } from "./model/side_inputs";
export type { SideInputKind, SideInputViews } from "./model/side_inputs";
export { GlobalWindows, FixedWindows, GLOBAL_WINDOWING } from "./model/windowing";
export { SlidingWindows, Sessions } from "./model/sliding_sessions";
export type { MergingWindowFn, WindowMerge } from "./model/sliding_sessions";
export { AfterWatermark, AfterProcessingTime, AfterCount, Repeatedly, AfterFirst, AfterAll, AfterEach, OrFinally, Never, DefaultTrigger } from "./model/triggers";
export type { Trigger, AfterWatermarkOptions, AfterProcessingTimeOptions, ProcessingTimeAlignment } from "./model/triggers";
export { StateSpec, TimerSpec, StatefulDoFn } from "./model/state";
export type { ValueState, BagState, CombiningState, MapState, SetState, OrderedListState, Timer, TimerFamilySpec, TimeDomain, StatefulProcessContext, TimerContext } from "./model/state";
export type { SplittableProcessContext, ManualWatermarkEstimator, SplittableProcessResult } from "./model/splittable_dofn";
export type { SplittableParDo, SplittableParDoOptions } from "./model/splittable_pardo";
export type { WatermarkEstimator, TimestampObservingWatermarkEstimator } from "./model/watermark_estimators";
export type { RestrictionTracker, SplitResult, RestrictionProgress } from "./model/splittable";
export type { RangeEndEstimator } from "./model/offset_range";
export { TestStream } from "./testing/test_stream";
export type { TimestampedElement, TestStreamEvent } from "./testing/test_stream";
export { ReadUnbounded } from "./io/read_unbounded";
export type { UnboundedSource, UnboundedSourceContext, SourceOutcome } from "./io/read_unbounded";
export type { WindowFn, WindowingStrategy, AccumulationMode, ClosingBehavior, OnTimeBehavior, TimestampCombiner } from "./model/windowing";
export { GlobalWindow, IntervalWindow, MIN_TIMESTAMP, MAX_TIMESTAMP, GLOBAL_WINDOW_MAX_TIMESTAMP, NO_FIRING } from "./model/window";
import { kv as makeKv } from "./model/window";
import { toFastProperties } from "./model/fast_properties";
/**
 * `{ key, value }`. A plain property of this module, not a re-export: CommonJS re-exports are
 * getters, and `kv` is called once per element in most pipelines (a getter call each time).
 */
export const kv: typeof makeKv = makeKv;
export type { KV, Instant, BoundedWindow, PaneInfo, PaneTiming, WindowedValue } from "./model/window";
export { Metrics, Counter, Distribution, Gauge, StringSet, BoundedTrie } from "./model/metrics";
export { MetricResults } from "./model/metric_results";
export type { MetricResult, MetricFilter, DistributionResult, GaugeResult, StringSetResult, BoundedTrieResult, BoundedTriePath } from "./model/metrics";
export type { PipelineResult, PipelineState, StreamingPipelineResult, StreamingProgress } from "./model/result";
export { isStreamingResult } from "./model/result";
export { parseArgs, defaultOptions } from "./model/options";
export type { PipelineOptions, FlagSpec, FlagValues, ParsedArgs, ParseSettings } from "./model/options";
export { registerRunnerFlags } from "./model/runner_flags";
export type { RunnerFlagSpec, RunnerFlags } from "./model/runner_flags";
export { definePipeline, definedPrograms, isWorkerMode } from "./model/program";
export type { PipelineProgram, PipelineProgramSpec } from "./model/program";
export { registerRunner, loadRunner } from "./model/runner_registry";
export type { PipelineRunner } from "./model/runner_registry";
export {
  PipelineError,
  PipelineConstructionError,
  PipelineReconstructionError,
  UserCodeError,
  ModelCheckError,
  ValidationError,
  TransformError,
  InternalError,
} from "./model/errors";
export type { CombineContext, CombineFn, CombineFnWithContext } from "./model/combine_fn";
export { Combine, Combiners, Count, binaryCombineFn } from "./transforms/combine";
export type { CombinePerKey, CombineGlobally, CombineSideInputOptions } from "./transforms/combine";
export type { CombinePerKeyWithHotKeyFanout, HotKeyFanout } from "./transforms/hot_key_fanout";
export { Create, Reshuffle, Distinct, WithKeys, Keys, Values, KvSwap, Partition } from "./transforms/util";
export { MapKeys, MapValues } from "./transforms/map_kv";
export type { MapKeysTransform, MapValuesTransform } from "./transforms/map_kv";
export type { TimestampedValue, WindowedValueOf, PartitionFn } from "./transforms/util";
export type { LogElementsOptions, LogLevel, TeeConsumer } from "./transforms/log_elements";
export type { CoGbkInputs, CoGbkKey, CoGbkResult, SameKeyInputs } from "./transforms/co_group_by_key";
export type { LatestTransforms } from "./transforms/latest";
export type { ShardedKey } from "./transforms/group_into_batches";
export type { GroupAndAggregate, FieldSpec, FieldValue, KeyRecordOf } from "./transforms/group_by";
export type { TopGlobally, TopPerKey, TopOrder, TopGloballyOptions, TopKey } from "./transforms/top";
export type { RegexPattern, RegexGroup } from "./transforms/regex";
export type { ValueInSingleWindow } from "./coders/value_in_single_window";
export type { Matcher, WindowedMatcher, AssertThatOptions, PaneSelection } from "./testing/passert";
export type { IterableAssert, SingletonAssert } from "./testing/pcollection_assert";
export { ReadFromText, ReadFromTextWithFilename, WriteToText } from "./io/textio";
export type { ReadFromTextOptions, WriteToTextOptions, TextRange } from "./io/textio";
export type { TextFormatOptions } from "./io/text_read";
export { FileSystems } from "./io/filesystems/registry";
export type { FileSystem, FileMetadata, FileOperationFailure, FileSystemsMatchOptions, MoveOptions } from "./io/filesystems/filesystem";
export { FileSystemError } from "./io/filesystems/filesystem";
export type { ReadFromBigQueryOptions, WriteToBigQueryOptions, WriteToBigQueryResult, FailedRow, CreateDisposition, WriteDisposition, WriteMethod } from "./io/bigquery";
export type { ReadFromPubSubOptions, WriteToPubSubOptions, PubSubPayload } from "./io/pubsub";
// The TensorFlow.js handler is exported from "beamline/ml" (lib/ml), so the root's types do not
// pull in @tensorflow/tfjs's declarations for every user.
export type { RunInferenceOptions, RunInferenceOutputs } from "./ml/run_inference";
export type { ModelHandler, BatchingOptions, PredictionResult, FailedInference, ModelMetadata } from "./ml/model_handler";
export { sharedModel } from "./ml/shared_model";
export type { ReadFromTFRecordOptions, ReadAllFromTFRecordOptions, WriteToTFRecordOptions, TFRecordCompression } from "./io/tfrecord";
export type { ReadFromAvroOptions, ReadAllFromAvroOptions, WriteToAvroOptions, AvroCodec, AvroLongs, AvroSchema, AvroValue } from "./io/avro";
export type { ReadFromParquetOptions, ReadAllFromParquetOptions, WriteToParquetOptions, ParquetBatch, ParquetCodec, ParquetDecimalType, ParquetFixedType, ParquetField, ParquetFieldValue, ParquetListField, ParquetStructField, ParquetTypedField, ParquetInt64, ParquetPrimitive, ParquetRow, ParquetSchema } from "./io/parquet";
export type { ReadFromCsvOptions, CsvReadResult, CsvDeadLetter, CsvRowType, WriteToCsvOptions, CsvValue, CsvSchema, CsvColumnType, CsvFieldType, CsvRowOf, CsvRecord } from "./io/csv";
export { watchJobs } from "./model/monitoring";
export { batchRows as parquetBatchRows, rowsToBatch as parquetBatchOf } from "./io/parquet/batch";
export type { JobListener, MonitoredJob, JobGraph, StepNode, PCollectionNode, JobSnapshot, StepProgress, MetricsSnapshot, LogEntry, LogPage } from "./model/monitoring";

// The connectors' module graphs (and csv-parse, csv-stringify) are most of what loading this file
// would cost, so each loads on first use: a program that does not use one starts without it. The
// getters keep the `return namespace.name` form Node's CommonJS export detection recognises, so
// ES modules can still `import { ReadFromCsv } from "beamline"`.
import type * as BigQueryIO from "./io/bigquery";
import type * as PubSubIO from "./io/pubsub";
import type * as CsvIO from "./io/csv";
import type * as TFRecordIO from "./io/tfrecord";
import type * as AvroIO from "./io/avro";
import type * as ParquetIO from "./io/parquet";
import type * as Inference from "./ml/run_inference";
import type * as WatchModels from "./ml/watch_file_pattern";
import type * as EnrichmentT from "./ml/enrichment";
import type * as RequestResponseT from "./ml/request_response";
import type * as BigQueryEnrichmentT from "./io/bigquery/enrichment_handler";
import type * as CoGbk from "./transforms/co_group_by_key";
import type * as Stamps from "./transforms/with_timestamps";
import type * as LatestT from "./transforms/latest";
import type * as SampleT from "./transforms/sample";
import type * as Batches from "./transforms/group_into_batches";
import type * as BatchElementsT from "./transforms/batch_elements";
import type * as CombineValuesT from "./transforms/combine_values";
import type * as TopT from "./transforms/top";
import type * as GroupByT from "./transforms/group_by";
import type * as SelectT from "./transforms/select";
import type * as SchemaFieldsT from "./transforms/schema_fields";
import type * as SchemaJoinT from "./transforms/schema_join";
import type * as SchemaCoGroupT from "./transforms/schema_cogroup";
import type * as JsonRowsT from "./transforms/json_rows";
import type * as SchemaCastT from "./transforms/schema_cast";
import type * as PAssertT from "./testing/passert";
import type * as PCollectionAssertT from "./testing/pcollection_assert";
import type * as RegexT from "./transforms/regex";
import type * as ToStringT from "./transforms/to_string";
import type * as ReifyT from "./transforms/reify";
import type * as FileIOT from "./io/fileio";
import type * as DeduplicateT from "./transforms/deduplicate";
import type * as QuantilesT from "./transforms/approximate_quantiles";
import type * as UniqueT from "./transforms/approximate_unique";
import type * as WaitT from "./transforms/wait";
import type * as SplittableDoFnT from "./model/splittable_dofn";
import type * as SplittableT from "./model/splittable";
import type * as OffsetRangeT from "./model/offset_range";
import type * as WatermarkEstimatorsT from "./model/watermark_estimators";
import type * as ComposedT from "./transforms/composed_combine";
import type * as PeriodicT from "./transforms/periodic_impulse";
import type * as PeriodicSeqT from "./transforms/periodic_sequence";
import type * as RedistributeT from "./transforms/redistribute";
import type * as LogElementsT from "./transforms/log_elements";
import type * as RowT from "./coders/row";
import type * as SchemaT from "./coders/schema";
import type * as WatchT from "./transforms/watch";
import type * as SetsT from "./transforms/sets";
import type * as AggregatesT from "./transforms/aggregates";
import type { BigQueryRow } from "./io/bigquery";
import type { CsvSchema } from "./io/csv";
import type { KV as KVType } from "./model/window";
import type { OutputTags as OutputTagsT, SideInputTypes as SideInputTypesT } from "./model/dofn";

/** A module's exports, the module being required when the first of them is read. */
function onFirstUse<M extends object>(load: () => M): M {
  let loaded: M | undefined;
  return new Proxy({} as M, { get: (_target, name) => (loaded ??= load())[name as keyof M] });
}
/* eslint-disable @typescript-eslint/no-require-imports */
const bigquery = onFirstUse(() => require("./io/bigquery") as typeof BigQueryIO);
const pubsub = onFirstUse(() => require("./io/pubsub") as typeof PubSubIO);
const csv = onFirstUse(() => require("./io/csv") as typeof CsvIO);
const tfrecord = onFirstUse(() => require("./io/tfrecord") as typeof TFRecordIO);
const avroio = onFirstUse(() => require("./io/avro") as typeof AvroIO);
const parquetio = onFirstUse(() => require("./io/parquet") as typeof ParquetIO);
const inference = onFirstUse(() => require("./ml/run_inference") as typeof Inference);
const watchModels = onFirstUse(() => require("./ml/watch_file_pattern") as typeof WatchModels);
const enrichment = onFirstUse(() => require("./ml/enrichment") as typeof EnrichmentT);
const requestResponse = onFirstUse(() => require("./ml/request_response") as typeof RequestResponseT);
const bigqueryEnrichment = onFirstUse(() => require("./io/bigquery/enrichment_handler") as typeof BigQueryEnrichmentT);
const coGbk = onFirstUse(() => require("./transforms/co_group_by_key") as typeof CoGbk);
const stamps = onFirstUse(() => require("./transforms/with_timestamps") as typeof Stamps);
const latest = onFirstUse(() => require("./transforms/latest") as typeof LatestT);
const sample = onFirstUse(() => require("./transforms/sample") as typeof SampleT);
const batches = onFirstUse(() => require("./transforms/group_into_batches") as typeof Batches);
const batchElements = onFirstUse(() => require("./transforms/batch_elements") as typeof BatchElementsT);
const combineValues = onFirstUse(() => require("./transforms/combine_values") as typeof CombineValuesT);
const top = onFirstUse(() => require("./transforms/top") as typeof TopT);
const groupBy = onFirstUse(() => require("./transforms/group_by") as typeof GroupByT);
const select = onFirstUse(() => require("./transforms/select") as typeof SelectT);
const schemaFields = onFirstUse(() => require("./transforms/schema_fields") as typeof SchemaFieldsT);
const schemaJoin = onFirstUse(() => require("./transforms/schema_join") as typeof SchemaJoinT);
const schemaCoGroup = onFirstUse(() => require("./transforms/schema_cogroup") as typeof SchemaCoGroupT);
const jsonRows = onFirstUse(() => require("./transforms/json_rows") as typeof JsonRowsT);
const schemaCast = onFirstUse(() => require("./transforms/schema_cast") as typeof SchemaCastT);
const passert = onFirstUse(() => require("./testing/passert") as typeof PAssertT)
const pcollectionAssert = onFirstUse(() => require("./testing/pcollection_assert") as typeof PCollectionAssertT);;
const regex = onFirstUse(() => require("./transforms/regex") as typeof RegexT);
const strings = onFirstUse(() => require("./transforms/to_string") as typeof ToStringT);
const reify = onFirstUse(() => require("./transforms/reify") as typeof ReifyT);
const fileio = onFirstUse(() => require("./io/fileio") as typeof FileIOT);
const deduplicate = onFirstUse(() => require("./transforms/deduplicate") as typeof DeduplicateT);
const quantiles = onFirstUse(() => require("./transforms/approximate_quantiles") as typeof QuantilesT);
const unique = onFirstUse(() => require("./transforms/approximate_unique") as typeof UniqueT);
const wait = onFirstUse(() => require("./transforms/wait") as typeof WaitT);
const splittableDoFn = onFirstUse(() => require("./model/splittable_dofn") as typeof SplittableDoFnT);
const splittable = onFirstUse(() => require("./model/splittable") as typeof SplittableT);
const offsetRange = onFirstUse(() => require("./model/offset_range") as typeof OffsetRangeT);
const watermarkEstimators = onFirstUse(() => require("./model/watermark_estimators") as typeof WatermarkEstimatorsT);
const composed = onFirstUse(() => require("./transforms/composed_combine") as typeof ComposedT);
const periodic = onFirstUse(() => require("./transforms/periodic_impulse") as typeof PeriodicT);
const periodicSeq = onFirstUse(() => require("./transforms/periodic_sequence") as typeof PeriodicSeqT);
const redistribute = onFirstUse(() => require("./transforms/redistribute") as typeof RedistributeT);
const logElements = onFirstUse(() => require("./transforms/log_elements") as typeof LogElementsT);
const rowCoder = onFirstUse(() => require("./coders/row") as typeof RowT);
const schema = onFirstUse(() => require("./coders/schema") as typeof SchemaT);
const watch = onFirstUse(() => require("./transforms/watch") as typeof WatchT);
const sets = onFirstUse(() => require("./transforms/sets") as typeof SetsT);
const aggregates = onFirstUse(() => require("./transforms/aggregates") as typeof AggregatesT);
/* eslint-enable @typescript-eslint/no-require-imports */

/** Reads a BigQuery table or query result (see lib/io/bigquery); loaded on first use. */
export declare const ReadFromBigQuery: typeof BigQueryIO.ReadFromBigQuery;
/** Reads a BigQuery table or query result (see lib/io/bigquery); loaded on first use. */
export type ReadFromBigQuery<Row extends BigQueryRow = BigQueryRow> = BigQueryIO.ReadFromBigQuery<Row>;
Object.defineProperty(exports, "ReadFromBigQuery", { enumerable: true, get: function () { return bigquery.ReadFromBigQuery; } });
/** Writes rows to a BigQuery table (see lib/io/bigquery); loaded on first use. */
export declare const WriteToBigQuery: typeof BigQueryIO.WriteToBigQuery;
/** Writes rows to a BigQuery table (see lib/io/bigquery); loaded on first use. */
export type WriteToBigQuery<Row extends BigQueryRow = BigQueryRow> = BigQueryIO.WriteToBigQuery<Row>;
Object.defineProperty(exports, "WriteToBigQuery", { enumerable: true, get: function () { return bigquery.WriteToBigQuery; } });
/** Reads a Pub/Sub subscription or topic, unbounded (see lib/io/pubsub); loaded on first use. */
export declare const ReadFromPubSub: typeof PubSubIO.ReadFromPubSub;
/** Reads a Pub/Sub subscription or topic, unbounded (see lib/io/pubsub); loaded on first use. */
export type ReadFromPubSub<WithAttributes extends boolean = false> = PubSubIO.ReadFromPubSub<WithAttributes>;
Object.defineProperty(exports, "ReadFromPubSub", { enumerable: true, get: function () { return pubsub.ReadFromPubSub; } });
/** Publishes elements to a Pub/Sub topic (see lib/io/pubsub); loaded on first use. */
export declare const WriteToPubSub: typeof PubSubIO.WriteToPubSub;
/** Publishes elements to a Pub/Sub topic (see lib/io/pubsub); loaded on first use. */
export type WriteToPubSub = PubSubIO.WriteToPubSub;
Object.defineProperty(exports, "WriteToPubSub", { enumerable: true, get: function () { return pubsub.WriteToPubSub; } });
/** Runs a model over elements in batches (see lib/ml/run_inference); loaded on first use. */
export declare const RunInference: typeof Inference.RunInference;
/** Runs a model over elements in batches (see lib/ml/run_inference); loaded on first use. */
export type RunInference<E, R> = Inference.RunInference<E, R>;
/** Watches a file pattern for new models, RunInference's modelMetadata (see lib/ml/watch_file_pattern); loaded on first use. */
export declare const WatchFilePattern: typeof WatchModels.WatchFilePattern;
Object.defineProperty(exports, "WatchFilePattern", { enumerable: true, get: function () { return watchModels.WatchFilePattern; } });
/** Watches a file pattern for new models (Beam Python's WatchFilePattern). */
export type WatchFilePattern = WatchModels.WatchFilePattern;
export type { WatchFilePatternOptions } from "./ml/watch_file_pattern";
Object.defineProperty(exports, "RunInference", { enumerable: true, get: function () { return inference.RunInference; } });
/** Joins each element with what an external source holds for it (see lib/ml/enrichment); loaded on first use. */
export declare const Enrichment: typeof EnrichmentT.Enrichment;
/** Joins each element with what an external source holds for it (see lib/ml/enrichment); loaded on first use. */
export type Enrichment<Req, Out> = EnrichmentT.Enrichment<Req, Out>;
Object.defineProperty(exports, "Enrichment", { enumerable: true, get: function () { return enrichment.Enrichment; } });
/** Enrichment's default join: the request's fields and the response's others (Beam's cross_join; see lib/ml/enrichment); loaded on first use. */
export declare const crossJoin: typeof EnrichmentT.crossJoin;
Object.defineProperty(exports, "crossJoin", { enumerable: true, get: function () { return enrichment.crossJoin; } });
/** Enrichment's handler for BigQuery lookups (see lib/io/bigquery/enrichment_handler); loaded on first use. */
export declare const BigQueryEnrichmentHandler: typeof BigQueryEnrichmentT.BigQueryEnrichmentHandler;
/** Enrichment's handler for BigQuery lookups (see lib/io/bigquery/enrichment_handler); loaded on first use. */
export type BigQueryEnrichmentHandler<Req extends object = BigQueryRow, Resp extends object = BigQueryRow> = BigQueryEnrichmentT.BigQueryEnrichmentHandler<Req, Resp>;
Object.defineProperty(exports, "BigQueryEnrichmentHandler", { enumerable: true, get: function () { return bigqueryEnrichment.BigQueryEnrichmentHandler; } });
/** Retries an enrichment call's transient failures with exponential backoff (see lib/ml/request_response); loaded on first use. */
export declare const ExponentialBackOffRepeater: typeof RequestResponseT.ExponentialBackOffRepeater;
/** Retries an enrichment call's transient failures with exponential backoff (see lib/ml/request_response); loaded on first use. */
export type ExponentialBackOffRepeater = RequestResponseT.ExponentialBackOffRepeater;
Object.defineProperty(exports, "ExponentialBackOffRepeater", { enumerable: true, get: function () { return requestResponse.ExponentialBackOffRepeater; } });
/** Calls an enrichment source once, without retries (see lib/ml/request_response); loaded on first use. */
export declare const NoOpsRepeater: typeof RequestResponseT.NoOpsRepeater;
/** Calls an enrichment source once, without retries (see lib/ml/request_response); loaded on first use. */
export type NoOpsRepeater = RequestResponseT.NoOpsRepeater;
Object.defineProperty(exports, "NoOpsRepeater", { enumerable: true, get: function () { return requestResponse.NoOpsRepeater; } });
/** Client-side adaptive throttling of enrichment calls (see lib/ml/request_response); loaded on first use. */
export declare const DefaultThrottler: typeof RequestResponseT.DefaultThrottler;
/** Client-side adaptive throttling of enrichment calls (see lib/ml/request_response); loaded on first use. */
export type DefaultThrottler = RequestResponseT.DefaultThrottler;
Object.defineProperty(exports, "DefaultThrottler", { enumerable: true, get: function () { return requestResponse.DefaultThrottler; } });
/** A failed call to an enrichment source (Beam's UserCodeExecutionException; see lib/ml/request_response); loaded on first use. */
export declare const UserCodeExecutionError: typeof RequestResponseT.UserCodeExecutionError;
/** A failed call to an enrichment source (Beam's UserCodeExecutionException; see lib/ml/request_response); loaded on first use. */
export type UserCodeExecutionError = RequestResponseT.UserCodeExecutionError;
Object.defineProperty(exports, "UserCodeExecutionError", { enumerable: true, get: function () { return requestResponse.UserCodeExecutionError; } });
/** An enrichment source's quota or rate limit, retried (Beam's UserCodeQuotaException; see lib/ml/request_response); loaded on first use. */
export declare const UserCodeQuotaError: typeof RequestResponseT.UserCodeQuotaError;
/** An enrichment source's quota or rate limit, retried (Beam's UserCodeQuotaException; see lib/ml/request_response); loaded on first use. */
export type UserCodeQuotaError = RequestResponseT.UserCodeQuotaError;
Object.defineProperty(exports, "UserCodeQuotaError", { enumerable: true, get: function () { return requestResponse.UserCodeQuotaError; } });
/** An enrichment call that timed out, retried (Beam's UserCodeTimeoutException; see lib/ml/request_response); loaded on first use. */
export declare const UserCodeTimeoutError: typeof RequestResponseT.UserCodeTimeoutError;
/** An enrichment call that timed out, retried (Beam's UserCodeTimeoutException; see lib/ml/request_response); loaded on first use. */
export type UserCodeTimeoutError = RequestResponseT.UserCodeTimeoutError;
Object.defineProperty(exports, "UserCodeTimeoutError", { enumerable: true, get: function () { return requestResponse.UserCodeTimeoutError; } });
export type { EnrichmentOptions, EnrichmentOutputs, EnrichmentCacheOptions, CrossJoined } from "./ml/enrichment";
export type { EnrichmentSourceHandler, EnrichmentPair, EnrichmentBatching } from "./ml/enrichment_handler";
export type { Repeater, ExponentialBackOffOptions, DefaultThrottlerOptions } from "./ml/request_response";
export type { BigQueryEnrichmentHandlerOptions, BigQueryEnrichmentQuery } from "./io/bigquery/enrichment_handler";
/** Reads CSV files into typed records, bad rows to dead letters (see lib/io/csv); loaded on first use. */
export declare const ReadFromCsv: typeof CsvIO.ReadFromCsv;
/** Reads CSV files into typed records, bad rows to dead letters (see lib/io/csv); loaded on first use. */
export type ReadFromCsv<S extends CsvSchema | undefined = undefined> = CsvIO.ReadFromCsv<S>;
Object.defineProperty(exports, "ReadFromCsv", { enumerable: true, get: function () { return csv.ReadFromCsv; } });
/** Writes records as CSV files (see lib/io/csv); loaded on first use. */
export declare const WriteToCsv: typeof CsvIO.WriteToCsv;
/** Writes records as CSV files (see lib/io/csv); loaded on first use. */
export type WriteToCsv<Row extends object> = CsvIO.WriteToCsv<Row>;
Object.defineProperty(exports, "WriteToCsv", { enumerable: true, get: function () { return csv.WriteToCsv; } });
/** Formats one CSV line from field values (see lib/io/csv); loaded on first use. */
export declare const formatCsvLine: typeof CsvIO.formatCsvLine;
Object.defineProperty(exports, "formatCsvLine", { enumerable: true, get: function () { return csv.formatCsvLine; } });
/** Reads the records of TFRecord files, CRC-checked (see lib/io/tfrecord); loaded on first use. */
export declare const ReadFromTFRecord: typeof TFRecordIO.ReadFromTFRecord;
/** Reads the records of TFRecord files, CRC-checked (see lib/io/tfrecord); loaded on first use. */
export type ReadFromTFRecord<T = Uint8Array> = TFRecordIO.ReadFromTFRecord<T>;
Object.defineProperty(exports, "ReadFromTFRecord", { enumerable: true, get: function () { return tfrecord.ReadFromTFRecord; } });
/** Reads the records of the TFRecord files each input pattern or file names (see lib/io/tfrecord); loaded on first use. */
export declare const ReadAllFromTFRecord: typeof TFRecordIO.ReadAllFromTFRecord;
/** Reads the records of the TFRecord files each input pattern or file names (see lib/io/tfrecord); loaded on first use. */
export type ReadAllFromTFRecord<Out = Uint8Array> = TFRecordIO.ReadAllFromTFRecord<Out>;
Object.defineProperty(exports, "ReadAllFromTFRecord", { enumerable: true, get: function () { return tfrecord.ReadAllFromTFRecord; } });
/** Writes records as sharded TFRecord files (see lib/io/tfrecord); loaded on first use. */
export declare const WriteToTFRecord: typeof TFRecordIO.WriteToTFRecord;
/** Writes records as sharded TFRecord files (see lib/io/tfrecord); loaded on first use. */
export type WriteToTFRecord<T = Uint8Array> = TFRecordIO.WriteToTFRecord<T>;
Object.defineProperty(exports, "WriteToTFRecord", { enumerable: true, get: function () { return tfrecord.WriteToTFRecord; } });
/** A TFRecord file with a bad checksum or a truncated record (see lib/io/tfrecord); loaded on first use. */
export declare const TFRecordCorruptError: typeof TFRecordIO.TFRecordCorruptError;
/** A TFRecord file with a bad checksum or a truncated record (see lib/io/tfrecord); loaded on first use. */
export type TFRecordCorruptError = TFRecordIO.TFRecordCorruptError;
Object.defineProperty(exports, "TFRecordCorruptError", { enumerable: true, get: function () { return tfrecord.TFRecordCorruptError; } });
/** Reads the records of Avro files as plain objects, split at sync markers (see lib/io/avro); loaded on first use. */
export declare const ReadFromAvro: typeof AvroIO.ReadFromAvro;
/** Reads the records of Avro files as plain objects, split at sync markers (see lib/io/avro); loaded on first use. */
export type ReadFromAvro<T = Record<string, unknown>> = AvroIO.ReadFromAvro<T>;
Object.defineProperty(exports, "ReadFromAvro", { enumerable: true, get: function () { return avroio.ReadFromAvro; } });
/** Reads the records of the Avro files each input pattern or file names (see lib/io/avro); loaded on first use. */
export declare const ReadAllFromAvro: typeof AvroIO.ReadAllFromAvro;
/** Reads the records of the Avro files each input pattern or file names (see lib/io/avro); loaded on first use. */
export type ReadAllFromAvro<Out = Record<string, unknown>> = AvroIO.ReadAllFromAvro<Out>;
Object.defineProperty(exports, "ReadAllFromAvro", { enumerable: true, get: function () { return avroio.ReadAllFromAvro; } });
/** Writes records as sharded Avro files with a schema (null or deflate codec; see lib/io/avro); loaded on first use. */
export declare const WriteToAvro: typeof AvroIO.WriteToAvro;
/** Writes records as sharded Avro files with a schema (null or deflate codec; see lib/io/avro); loaded on first use. */
export type WriteToAvro<T = unknown> = AvroIO.WriteToAvro<T>;
Object.defineProperty(exports, "WriteToAvro", { enumerable: true, get: function () { return avroio.WriteToAvro; } });
/** Reads the rows of Parquet files as plain objects, split by row groups (see lib/io/parquet); loaded on first use. */
export declare const ReadFromParquet: typeof ParquetIO.ReadFromParquet;
/** Reads the rows of Parquet files as plain objects, split by row groups (see lib/io/parquet); loaded on first use. */
export type ReadFromParquet<T = Record<string, unknown>> = ParquetIO.ReadFromParquet<T>;
Object.defineProperty(exports, "ReadFromParquet", { enumerable: true, get: function () { return parquetio.ReadFromParquet; } });
/** Reads the rows of the Parquet files each input pattern or file names (see lib/io/parquet); loaded on first use. */
export declare const ReadAllFromParquet: typeof ParquetIO.ReadAllFromParquet;
/** Reads the rows of the Parquet files each input pattern or file names (see lib/io/parquet); loaded on first use. */
export type ReadAllFromParquet<Out = Record<string, unknown>> = ParquetIO.ReadAllFromParquet<Out>;
Object.defineProperty(exports, "ReadAllFromParquet", { enumerable: true, get: function () { return parquetio.ReadAllFromParquet; } });
/** Writes rows as sharded Parquet files with a schema (none, snappy, gzip, brotli, lz4 or zstd codec; see lib/io/parquet); loaded on first use. */
export declare const WriteToParquet: typeof ParquetIO.WriteToParquet;
/** Writes rows as sharded Parquet files with a schema (none, snappy, gzip, brotli, lz4 or zstd codec; see lib/io/parquet); loaded on first use. */
export type WriteToParquet<T = unknown> = ParquetIO.WriteToParquet<T>;
Object.defineProperty(exports, "WriteToParquet", { enumerable: true, get: function () { return parquetio.WriteToParquet; } });
/** Reads each row group of Parquet files as one ParquetBatch of columns (Beam Python's ReadFromParquetBatched; see lib/io/parquet); loaded on first use. */
export declare const ReadFromParquetBatched: typeof ParquetIO.ReadFromParquetBatched;
/** Reads each row group of Parquet files as one ParquetBatch of columns (Beam Python's ReadFromParquetBatched; see lib/io/parquet); loaded on first use. */
export type ReadFromParquetBatched<T extends object = Record<string, unknown>> = ParquetIO.ReadFromParquetBatched<T>;
Object.defineProperty(exports, "ReadFromParquetBatched", { enumerable: true, get: function () { return parquetio.ReadFromParquetBatched; } });
/** Reads each row group of the Parquet files each input names as one ParquetBatch (Beam Python's ReadAllFromParquetBatched; see lib/io/parquet); loaded on first use. */
export declare const ReadAllFromParquetBatched: typeof ParquetIO.ReadAllFromParquetBatched;
/** Reads each row group of the Parquet files each input names as one ParquetBatch (Beam Python's ReadAllFromParquetBatched; see lib/io/parquet); loaded on first use. */
export type ReadAllFromParquetBatched<Out = ParquetIO.ParquetBatch> = ParquetIO.ReadAllFromParquetBatched<Out>;
Object.defineProperty(exports, "ReadAllFromParquetBatched", { enumerable: true, get: function () { return parquetio.ReadAllFromParquetBatched; } });
/** Writes ParquetBatches as sharded Parquet files, one row group per batch (Beam Python's WriteToParquetBatched; see lib/io/parquet); loaded on first use. */
export declare const WriteToParquetBatched: typeof ParquetIO.WriteToParquetBatched;
/** Writes ParquetBatches as sharded Parquet files, one row group per batch (Beam Python's WriteToParquetBatched; see lib/io/parquet); loaded on first use. */
export type WriteToParquetBatched<T extends object = Record<string, unknown>> = ParquetIO.WriteToParquetBatched<T>;
Object.defineProperty(exports, "WriteToParquetBatched", { enumerable: true, get: function () { return parquetio.WriteToParquetBatched; } });

// Transforms and test helpers most programs do not use load on first use too (a 1-line word
// count loaded 8 more modules once they were added eagerly).
/** Joins keyed inputs by key (see lib/transforms/co_group_by_key); loaded on first use. */
export declare const CoGroupByKey: typeof CoGbk.CoGroupByKey;
/** Joins keyed inputs by key (see lib/transforms/co_group_by_key); loaded on first use. */
export type CoGroupByKey<K, Result> = CoGbk.CoGroupByKey<K, Result>;
Object.defineProperty(exports, "CoGroupByKey", { enumerable: true, get: function () { return coGbk.CoGroupByKey; } });
/** Sets elements' timestamps from a function (see lib/transforms/with_timestamps); loaded on first use. */
export declare const WithTimestamps: typeof Stamps.WithTimestamps;
/** Sets elements' timestamps from a function (see lib/transforms/with_timestamps); loaded on first use. */
export type WithTimestamps<T> = Stamps.WithTimestamps<T>;
Object.defineProperty(exports, "WithTimestamps", { enumerable: true, get: function () { return stamps.WithTimestamps; } });
/** The latest element by timestamp, globally or per key (see lib/transforms/latest); loaded on first use. */
export declare const Latest: typeof LatestT.Latest;
Object.defineProperty(exports, "Latest", { enumerable: true, get: function () { return latest.Latest; } });
/** Random and arbitrary samples (see lib/transforms/sample); loaded on first use. */
export declare const Sample: typeof SampleT.Sample;
Object.defineProperty(exports, "Sample", { enumerable: true, get: function () { return sample.Sample; } });
/** Batches of a key's values (see lib/transforms/group_into_batches); loaded on first use. */
export declare const GroupIntoBatches: typeof Batches.GroupIntoBatches;
/** Batches of a key's values (see lib/transforms/group_into_batches); loaded on first use. */
export type GroupIntoBatches<K, V> = Batches.GroupIntoBatches<K, V>;
Object.defineProperty(exports, "GroupIntoBatches", { enumerable: true, get: function () { return batches.GroupIntoBatches; } });
/** Batches of a key's values under sharded keys (see lib/transforms/group_into_batches); loaded on first use. */
export declare const GroupIntoBatchesWithShardedKey: typeof Batches.GroupIntoBatchesWithShardedKey;
/** Batches of a key's values under sharded keys (see lib/transforms/group_into_batches); loaded on first use. */
export type GroupIntoBatchesWithShardedKey<K, V> = Batches.GroupIntoBatchesWithShardedKey<K, V>;
Object.defineProperty(exports, "GroupIntoBatchesWithShardedKey", { enumerable: true, get: function () { return batches.GroupIntoBatchesWithShardedKey; } });
/** Batches of a collection's elements, sized adaptively, per window, optionally across bundles (see lib/transforms/batch_elements); loaded on first use. */
export declare const BatchElements: typeof BatchElementsT.BatchElements;
/** Batches of a collection's elements, sized adaptively, per window, optionally across bundles (see lib/transforms/batch_elements); loaded on first use. */
export type BatchElements<T> = BatchElementsT.BatchElements<T>;
Object.defineProperty(exports, "BatchElements", { enumerable: true, get: function () { return batchElements.BatchElements; } });
export type { BatchElementsOptions } from "./transforms/batch_elements";
export type { BatchSizeEstimatorOptions } from "./transforms/batch_size_estimator";
/** Combines each element's grouped values, KV<K, Iterable<In>> → KV<K, Out> (see lib/transforms/combine_values); loaded on first use. */
export declare const CombineValues: typeof CombineValuesT.CombineValues;
/** Combines each element's grouped values, KV<K, Iterable<In>> → KV<K, Out> (see lib/transforms/combine_values); loaded on first use. */
export type CombineValues<K, In, Acc, Out> = CombineValuesT.CombineValues<K, In, Acc, Out>;
Object.defineProperty(exports, "CombineValues", { enumerable: true, get: function () { return combineValues.CombineValues; } });
/** The n largest or smallest elements, globally or per key (see lib/transforms/top); loaded on first use. */
export declare const Top: typeof TopT.Top;
Object.defineProperty(exports, "Top", { enumerable: true, get: function () { return top.Top; } });
/** Groups by a key computed from each element, optionally aggregating fields (see lib/transforms/group_by); loaded on first use. */
export declare const GroupBy: typeof GroupByT.GroupBy;
/** Groups by a key computed from each element, optionally aggregating fields (see lib/transforms/group_by); loaded on first use. */
export type GroupBy<T, K, R extends object> = GroupByT.GroupBy<T, K, R>;
Object.defineProperty(exports, "GroupBy", { enumerable: true, get: function () { return groupBy.GroupBy; } });
/** Selects fields of rows, nested paths and named expressions (Beam Java's Select, Python's beam.Select; see lib/transforms/select); loaded on first use. */
export declare const Select: typeof SelectT.Select;
/** Selects fields of rows, nested paths and named expressions (Beam Java's Select, Python's beam.Select; see lib/transforms/select); loaded on first use. */
export type Select<T, O> = SelectT.Select<T, O>;
Object.defineProperty(exports, "Select", { enumerable: true, get: function () { return select.Select; } });
/** Drops fields of rows, the complement of Select (Beam Java's DropFields; see lib/transforms/select); loaded on first use. */
export declare const DropFields: typeof SelectT.DropFields;
/** Drops fields of rows, the complement of Select (Beam Java's DropFields; see lib/transforms/select); loaded on first use. */
export type DropFields<T, O> = SelectT.DropFields<T, O>;
Object.defineProperty(exports, "DropFields", { enumerable: true, get: function () { return select.DropFields; } });
export type { NamedExpressions, ExpressionFields } from "./transforms/select";
export type { FieldPath, Selected, Dropped, Renamed, Added, ValueAt } from "./transforms/schema_paths";
export type { RenamedAll } from "./transforms/schema_fields";
export type { FieldFilter } from "./transforms/field_filter";
/** Renames fields of rows, top-level or nested (Beam Java's RenameFields; see lib/transforms/schema_fields); loaded on first use. */
export declare const RenameFields: typeof SchemaFieldsT.RenameFields;
/** Renames fields of rows, top-level or nested (Beam Java's RenameFields; see lib/transforms/schema_fields); loaded on first use. */
export type RenameFields<T, Rs extends readonly (readonly [string, string])[]> = SchemaFieldsT.RenameFields<T, Rs>;
Object.defineProperty(exports, "RenameFields", { enumerable: true, get: function () { return schemaFields.RenameFields; } });
/** Adds fields to rows, null or a default, top-level or nested (Beam Java's AddFields; see lib/transforms/schema_fields); loaded on first use. */
export declare const AddFields: typeof SchemaFieldsT.AddFields;
/** Adds fields to rows, null or a default, top-level or nested (Beam Java's AddFields; see lib/transforms/schema_fields); loaded on first use. */
export type AddFields<T, O> = SchemaFieldsT.AddFields<T, O>;
Object.defineProperty(exports, "AddFields", { enumerable: true, get: function () { return schemaFields.AddFields; } });
/** Equijoins two collections of rows by fields into `{ lhs, rhs }`: inner, outer and broadcast joins (Beam Java's schema Join; see lib/transforms/schema_join); loaded on first use. */
export declare const Join: typeof SchemaJoinT.Join;
/** Equijoins two collections of rows by fields into `{ lhs, rhs }`: inner, outer and broadcast joins (Beam Java's schema Join; see lib/transforms/schema_join); loaded on first use. */
export type Join = typeof SchemaJoinT.Join;
Object.defineProperty(exports, "Join", { enumerable: true, get: function () { return schemaJoin.Join; } });
export type { JoinKind, JoinedRow, JoinBuilder, JoinTransform, FieldsEqual } from "./transforms/schema_join";
/** Groups rows of several collections by key fields, optionally as a cross product (Beam Java's schema CoGroup; see lib/transforms/schema_cogroup); loaded on first use. */
export declare const CoGroup: typeof SchemaCoGroupT.CoGroup;
/** Groups rows of several collections by key fields, optionally as a cross product (Beam Java's schema CoGroup; see lib/transforms/schema_cogroup); loaded on first use. */
export type CoGroup = typeof SchemaCoGroupT.CoGroup;
Object.defineProperty(exports, "CoGroup", { enumerable: true, get: function () { return schemaCoGroup.CoGroup; } });
/** The key fields of one CoGroup input, `By.fieldNames(...)`, optionally `.withOptionalParticipation()` (Beam Java's CoGroup.By; see lib/transforms/schema_cogroup); loaded on first use. */
export declare const By: typeof SchemaCoGroupT.By;
/** The key fields of one CoGroup input (Beam Java's CoGroup.By; see lib/transforms/schema_cogroup); loaded on first use. */
export type By<F extends readonly string[] = readonly string[], O extends boolean = boolean> = SchemaCoGroupT.By<F, O>;
Object.defineProperty(exports, "By", { enumerable: true, get: function () { return schemaCoGroup.By; } });
export type { CoGroupInputs, CoGrouped, CoGroupCrossed, CoGroupJoin, CoGroupTransform } from "./transforms/schema_cogroup";
/** Parses JSON strings into rows of a schema, failing lines to an output with `withExceptionReporting` (Beam Java's JsonToRow; see lib/transforms/json_rows); loaded on first use. */
export declare const JsonToRow: typeof JsonRowsT.JsonToRow;
/** Parses JSON strings into rows of schema R (Beam Java's JsonToRow; see lib/transforms/json_rows); loaded on first use. */
export type JsonToRow<R extends object> = JsonRowsT.JsonToRow<R>;
Object.defineProperty(exports, "JsonToRow", { enumerable: true, get: function () { return jsonRows.JsonToRow; } });
/** Writes rows as JSON object strings with the input RowCoder's schema, as Java's RowJson writes them (Beam Java's ToJson; see lib/transforms/json_rows); loaded on first use. */
export declare const ToJson: typeof JsonRowsT.ToJson;
/** Writes rows of type T as JSON object strings (Beam Java's ToJson; see lib/transforms/json_rows); loaded on first use. */
export type ToJson<T extends object> = JsonRowsT.ToJson<T>;
Object.defineProperty(exports, "ToJson", { enumerable: true, get: function () { return jsonRows.ToJson; } });
/** The error of a JSON line or row that cannot be converted, with Beam Java's message (see lib/transforms/row_json); loaded on first use. */
export declare const UnsupportedRowJsonError: typeof JsonRowsT.UnsupportedRowJsonError;
/** The error of a JSON line or row that cannot be converted (Beam Java's UnsupportedRowJsonException). */
export type UnsupportedRowJsonError = JsonRowsT.UnsupportedRowJsonError;
Object.defineProperty(exports, "UnsupportedRowJsonError", { enumerable: true, get: function () { return jsonRows.UnsupportedRowJsonError; } });
export type { NullBehavior, JsonToRowResult, JsonToRowWithErrors, FailedLine } from "./transforms/json_rows";
/** Converts rows to another schema by field name, `Cast.widening(schema)` or `Cast.narrowing(schema)` (Beam Java's schema Cast; see lib/transforms/schema_cast); loaded on first use. */
export declare const Cast: typeof SchemaCastT.Cast;
/** Converts rows to the schema of rows R (Beam Java's schema Cast; see lib/transforms/schema_cast); loaded on first use. */
export type Cast<R extends object> = SchemaCastT.Cast<R>;
Object.defineProperty(exports, "Cast", { enumerable: true, get: function () { return schemaCast.Cast; } });
/** The error of a value a Cast cannot convert: out of range, or null for a non-nullable field (see lib/transforms/schema_cast); loaded on first use. */
export declare const CastValueError: typeof SchemaCastT.CastValueError;
/** The error of a value a Cast cannot convert (see lib/transforms/schema_cast). */
export type CastValueError = SchemaCastT.CastValueError;
Object.defineProperty(exports, "CastValueError", { enumerable: true, get: function () { return schemaCast.CastValueError; } });
export type { CompatibilityError, CastValidator } from "./transforms/schema_cast";
/** Regular-expression transforms over strings, as Beam Java's Regex (see lib/transforms/regex); loaded on first use. */
export declare const Regex: typeof RegexT.Regex;
Object.defineProperty(exports, "Regex", { enumerable: true, get: function () { return regex.Regex; } });
/** Elements, KVs and iterables as strings, as Beam's ToString (see lib/transforms/to_string); loaded on first use. */
export declare const ToString: typeof ToStringT.ToString;
Object.defineProperty(exports, "ToString", { enumerable: true, get: function () { return strings.ToString; } });
/** Elements' timestamps, windows and panes as data, as Beam's Reify (see lib/transforms/reify); loaded on first use. */
export declare const Reify: typeof ReifyT.Reify;
Object.defineProperty(exports, "Reify", { enumerable: true, get: function () { return reify.Reify; } });
/** Quantile boundaries in bounded memory, globally or per key (see lib/transforms/approximate_quantiles); loaded on first use. */
export declare const ApproximateQuantiles: typeof QuantilesT.ApproximateQuantiles;
Object.defineProperty(exports, "ApproximateQuantiles", { enumerable: true, get: function () { return quantiles.ApproximateQuantiles; } });
/** The CombineFn of ApproximateQuantiles, for Combine, combining state or CombineValues (see lib/transforms/approximate_quantiles); loaded on first use. */
export declare const approximateQuantilesFn: typeof QuantilesT.approximateQuantilesFn;
Object.defineProperty(exports, "approximateQuantilesFn", { enumerable: true, get: function () { return quantiles.approximateQuantilesFn; } });
export type { ApproximateQuantilesOptions, BatchedOption, QuantileAccumulator, QuantileSortKey, WeightedOption } from "./transforms/approximate_quantiles";
/** Estimates of the number of distinct elements, globally or per key, from a sample of hashes (see lib/transforms/approximate_unique); loaded on first use. */
export declare const ApproximateUnique: typeof UniqueT.ApproximateUnique;
Object.defineProperty(exports, "ApproximateUnique", { enumerable: true, get: function () { return unique.ApproximateUnique; } });
/** The CombineFn of ApproximateUnique, for Combine, combining state or CombineValues (see lib/transforms/approximate_unique); loaded on first use. */
export declare const approximateUniqueFn: typeof UniqueT.approximateUniqueFn;
Object.defineProperty(exports, "approximateUniqueFn", { enumerable: true, get: function () { return unique.approximateUniqueFn; } });
export type { ApproximateUniqueGlobally, ApproximateUniquePerKey, ApproximateUniqueSpec, ApproximateUniqueGloballyOptions, ApproximateUniqueAccumulator } from "./transforms/approximate_unique";
/** Firings every interval from a start to a stop, each at its instant, as Beam's PeriodicImpulse (see lib/transforms/periodic_impulse); loaded on first use. */
export declare const PeriodicImpulse: typeof PeriodicT.PeriodicImpulse;
/** Firings every interval from a start to a stop, each at its instant, as Beam's PeriodicImpulse (see lib/transforms/periodic_impulse); loaded on first use. */
export type PeriodicImpulse = PeriodicT.PeriodicImpulse;
Object.defineProperty(exports, "PeriodicImpulse", { enumerable: true, get: function () { return periodic.PeriodicImpulse; } });
export type { PeriodicImpulseOptions } from "./transforms/periodic_impulse";
/** For each sequence definition { start, stop, intervalMillis }, its firings, each at its instant, as Beam's PeriodicSequence (see lib/transforms/periodic_sequence); loaded on first use. */
export declare const PeriodicSequence: typeof PeriodicSeqT.PeriodicSequence;
/** For each sequence definition { start, stop, intervalMillis }, its firings, each at its instant, as Beam's PeriodicSequence (see lib/transforms/periodic_sequence); loaded on first use. */
export type PeriodicSequence = PeriodicSeqT.PeriodicSequence;
Object.defineProperty(exports, "PeriodicSequence", { enumerable: true, get: function () { return periodicSeq.PeriodicSequence; } });
/** Beam Java's Redistribute: `arbitrarily()` and `byKey()`, a hint to spread elements over workers (see lib/transforms/redistribute); loaded on first use. */
export declare const Redistribute: typeof RedistributeT.Redistribute;
Object.defineProperty(exports, "Redistribute", { enumerable: true, get: function () { return redistribute.Redistribute; } });
export type { RedistributeArbitrarily, RedistributeByKey } from "./transforms/redistribute";
/** Logs each element as it passes (Beam Python's LogElements; see lib/transforms/log_elements); loaded on first use. */
export declare const LogElements: typeof LogElementsT.LogElements;
/** Logs each element as it passes (Beam Python's LogElements; see lib/transforms/log_elements); loaded on first use. */
export type LogElements<T> = LogElementsT.LogElements<T>;
Object.defineProperty(exports, "LogElements", { enumerable: true, get: function () { return logElements.LogElements; } });
/** Applies several consumers to a collection and passes it on (Beam Python's Tee; see lib/transforms/log_elements); loaded on first use. */
export declare const Tee: typeof LogElementsT.Tee;
/** Applies several consumers to a collection and passes it on (Beam Python's Tee; see lib/transforms/log_elements); loaded on first use. */
export type Tee<T> = LogElementsT.Tee<T>;
Object.defineProperty(exports, "Tee", { enumerable: true, get: function () { return logElements.Tee; } });
export type { SequenceDefinition } from "./transforms/periodic_sequence";
/** Drops repeats seen within a duration, per window (see lib/transforms/deduplicate); loaded on first use. */
export declare const Deduplicate: typeof DeduplicateT.Deduplicate;
Object.defineProperty(exports, "Deduplicate", { enumerable: true, get: function () { return deduplicate.Deduplicate; } });
export type { DeduplicateValues, DeduplicateKeyedValues, DeduplicateDurations } from "./transforms/deduplicate";
/** The base class of splittable DoFns, applied with ParDo.splittable (see lib/model/splittable_dofn); loaded on first use. */
export declare const SplittableDoFn: typeof SplittableDoFnT.SplittableDoFn;
Object.defineProperty(exports, "SplittableDoFn", { enumerable: true, get: function () { return splittableDoFn.SplittableDoFn; } });
/** The base class of splittable DoFns (Beam's splittable DoFn), applied with ParDo.splittable. */
export type SplittableDoFn<In, Out, R, P = unknown, Tags extends OutputTagsT = {}, Sides extends SideInputTypesT = {}> = SplittableDoFnT.SplittableDoFn<In, Out, R, P, Tags, Sides>;
/**
 * Beam's watermark estimators for splittable DoFns (Manual, MonotonicallyIncreasing, WallTime), returned
 * from a fn's newWatermarkEstimator (see lib/model/watermark_estimators); loaded on first use.
 */
export declare const WatermarkEstimators: typeof WatermarkEstimatorsT.WatermarkEstimators;
Object.defineProperty(exports, "WatermarkEstimators", { enumerable: true, get: function () { return watermarkEstimators.WatermarkEstimators; } });
/** What a splittable DoFn's process returns: stop, or resume after a delay (see lib/model/splittable); loaded on first use. */
export declare const ProcessContinuation: typeof SplittableT.ProcessContinuation;
Object.defineProperty(exports, "ProcessContinuation", { enumerable: true, get: function () { return splittable.ProcessContinuation; } });
/** What a splittable DoFn's process returns: stop, or resume after a delay. */
export type ProcessContinuation = SplittableT.ProcessContinuation;
/** Offset ranges, their tracker and coder, for splittable DoFns (see lib/model/offset_range); loaded on first use. */
export declare const OffsetRange: typeof OffsetRangeT.OffsetRange;
Object.defineProperty(exports, "OffsetRange", { enumerable: true, get: function () { return offsetRange.OffsetRange; } });
/** A range of offsets [from, to), the restriction of splittable DoFns over offsets (Beam's OffsetRange). */
export type OffsetRange = OffsetRangeT.OffsetRange;
/** Claims offsets of an OffsetRange for a splittable DoFn (Beam's OffsetRangeTracker); loaded on first use. */
export declare const OffsetRangeTracker: typeof OffsetRangeT.OffsetRangeTracker;
Object.defineProperty(exports, "OffsetRangeTracker", { enumerable: true, get: function () { return offsetRange.OffsetRangeTracker; } });
/** Claims offsets of an OffsetRange for a splittable DoFn (Beam's OffsetRangeTracker). */
export type OffsetRangeTracker = OffsetRangeT.OffsetRangeTracker;
/** Encodes OffsetRanges as Beam Java's OffsetRange.Coder does (two varints); loaded on first use. */
export declare const OffsetRangeCoder: typeof OffsetRangeT.OffsetRangeCoder;
Object.defineProperty(exports, "OffsetRangeCoder", { enumerable: true, get: function () { return offsetRange.OffsetRangeCoder; } });
/** Encodes OffsetRanges as Beam Java's OffsetRange.Coder does (two varints). */
export type OffsetRangeCoder = OffsetRangeT.OffsetRangeCoder;
/** Claims offsets of a range read from an offset onwards, its end estimated (Beam's GrowableOffsetRangeTracker); loaded on first use. */
export declare const GrowableOffsetRangeTracker: typeof OffsetRangeT.GrowableOffsetRangeTracker;
Object.defineProperty(exports, "GrowableOffsetRangeTracker", { enumerable: true, get: function () { return offsetRange.GrowableOffsetRangeTracker; } });
/** Claims offsets of a range read from an offset onwards, its end estimated (Beam's GrowableOffsetRangeTracker). */
export type GrowableOffsetRangeTracker = OffsetRangeT.GrowableOffsetRangeTracker;
/** The end of an unbounded offset range (Beam's Long.MAX_VALUE; here Number.MAX_SAFE_INTEGER). */
export declare const MAX_OFFSET: typeof OffsetRangeT.MAX_OFFSET;
Object.defineProperty(exports, "MAX_OFFSET", { enumerable: true, get: function () { return offsetRange.MAX_OFFSET; } });
/** Holds each window of a collection until it is closed in signal collections (see lib/transforms/wait); loaded on first use. */
export declare const Wait: typeof WaitT.Wait;
Object.defineProperty(exports, "Wait", { enumerable: true, get: function () { return wait.Wait; } });
export type { WaitOnSignals } from "./transforms/wait";
/**
 * Beam Java's Sets: `intersectDistinct`, `intersectAll`, `exceptDistinct`, `exceptAll`,
 * `unionDistinct`, `unionAll`, applied to the first collection with the others as arguments
 * (see lib/transforms/sets); loaded on first use.
 */
export declare const Sets: typeof SetsT.Sets;
/** Beam Java's Sets: set operations over collections of one element type (see lib/transforms/sets). */
export type Sets = typeof SetsT.Sets;
Object.defineProperty(exports, "Sets", { enumerable: true, get: function () { return sets.Sets; } });
export type { SetOperation } from "./transforms/sets";
/** The arithmetic mean of numbers: `Mean.globally()`, `Mean.perKey()`, `Mean.of()` (Beam Java's Mean, Python's `beam.combiners.Mean`; see lib/transforms/aggregates); loaded on first use. */
export declare const Mean: typeof AggregatesT.Mean;
/** The arithmetic mean of numbers: `Mean.globally()`, `Mean.perKey()`, `Mean.of()` (Beam Java's Mean, Python's `beam.combiners.Mean`; see lib/transforms/aggregates). */
export type Mean = typeof AggregatesT.Mean;
Object.defineProperty(exports, "Mean", { enumerable: true, get: function () { return aggregates.Mean; } });
/** The sum of numbers: `Sum.globally()`, `Sum.perKey()`, `Sum.of()` (Beam Java's Sum; see lib/transforms/aggregates); loaded on first use. */
export declare const Sum: typeof AggregatesT.Sum;
/** The sum of numbers: `Sum.globally()`, `Sum.perKey()`, `Sum.of()` (Beam Java's Sum; see lib/transforms/aggregates). */
export type Sum = typeof AggregatesT.Sum;
Object.defineProperty(exports, "Sum", { enumerable: true, get: function () { return aggregates.Sum; } });
/** The smallest element, naturally or by a comparator: `Min.globally()`, `Min.perKey()`, `Min.of()` (Beam Java's Min; see lib/transforms/aggregates); loaded on first use. */
export declare const Min: typeof AggregatesT.Min;
/** The smallest element, naturally or by a comparator: `Min.globally()`, `Min.perKey()`, `Min.of()` (Beam Java's Min; see lib/transforms/aggregates). */
export type Min = typeof AggregatesT.Min;
Object.defineProperty(exports, "Min", { enumerable: true, get: function () { return aggregates.Min; } });
/** The largest element, naturally or by a comparator: `Max.globally()`, `Max.perKey()`, `Max.of()` (Beam Java's Max; see lib/transforms/aggregates); loaded on first use. */
export declare const Max: typeof AggregatesT.Max;
/** The largest element, naturally or by a comparator: `Max.globally()`, `Max.perKey()`, `Max.of()` (Beam Java's Max; see lib/transforms/aggregates). */
export type Max = typeof AggregatesT.Max;
Object.defineProperty(exports, "Max", { enumerable: true, get: function () { return aggregates.Max; } });
export type { GloballyOptions, MeanAccumulator, ExtremumAccumulator } from "./transforms/aggregates";
/** Several CombineFns of one input in one pass, results by name (see lib/transforms/composed_combine); loaded on first use. */
export declare const CombineFns: typeof ComposedT.CombineFns;
Object.defineProperty(exports, "CombineFns", { enumerable: true, get: function () { return composed.CombineFns; } });
export type { ComposedCombineFn } from "./transforms/composed_combine";
/** Files as elements: `FileIO.match(pattern)`, `matchAll()`, `readMatches()` (see lib/io/fileio); loaded on first use. */
export declare const FileIO: typeof FileIOT.FileIO;
Object.defineProperty(exports, "FileIO", { enumerable: true, get: function () { return fileio.FileIO; } });
/** The lines of the files each input pattern, FileMetadata or ReadableFile names (see lib/io/fileio); loaded on first use. */
export declare const ReadAllFromText: typeof FileIOT.ReadAllFromText;
/** The lines of the files each input pattern, FileMetadata or ReadableFile names (see lib/io/fileio); loaded on first use. */
export type ReadAllFromText<Out extends string | KVType<string, string> = string> = FileIOT.ReadAllFromText<Out>;
Object.defineProperty(exports, "ReadAllFromText", { enumerable: true, get: function () { return fileio.ReadAllFromText; } });
/** A matched file to read whole (see lib/io/fileio); loaded on first use. */
export declare const ReadableFile: typeof FileIOT.ReadableFile;
/** A matched file to read whole (see lib/io/fileio); loaded on first use. */
export type ReadableFile = FileIOT.ReadableFile;
Object.defineProperty(exports, "ReadableFile", { enumerable: true, get: function () { return fileio.ReadableFile; } });
/** The coder of ReadableFile elements (see lib/io/fileio); loaded on first use. */
export declare const ReadableFileCoder: typeof FileIOT.ReadableFileCoder;
Object.defineProperty(exports, "ReadableFileCoder", { enumerable: true, get: function () { return fileio.ReadableFileCoder; } });
export type { EmptyMatchTreatment, MatchOptions, ReadMatchesOptions, ReadAllFromTextOptions, MatchFiles, MatchAll, ReadMatches } from "./io/fileio";
export type { WriteDynamic, FileNaming, FileNamingContext, NeedsVia } from "./io/fileio_write";
export type { MatchContinuously, MatchContinuouslyOptions, WatchForNewFilesOptions, WatchForNewTextFiles } from "./io/fileio_continuous";
export type { ContinuousMatchAllOptions, MatchAllContinuously } from "./io/fileio_watch";
/** Beam Java's `Watch.Growth` termination conditions of continuous matching: `Watch.Growth.never()`, `afterTotalOf(ms)`, `afterTimeSinceNewOutput(ms)`, `afterIterations(n)`, `eitherOf(a, b)`, `allOf(a, b)` (see lib/transforms/watch); loaded on first use. */
export declare const Watch: typeof WatchT.Watch;
/** Beam Java's `Watch.Growth` termination conditions of continuous matching (see lib/transforms/watch). */
export type Watch = typeof WatchT.Watch;
Object.defineProperty(exports, "Watch", { enumerable: true, get: function () { return watch.Watch; } });
export type { TerminationCondition } from "./transforms/watch";
/** Asserts on a collection's contents when the pipeline runs (see lib/testing/passert); loaded on first use. */
export declare const assertThat: typeof PAssertT.assertThat;
Object.defineProperty(exports, "assertThat", { enumerable: true, get: function () { return passert.assertThat; } });
/** Exactly these elements, in any order, duplicates counted (Beam Python's equal_to; see lib/testing/passert); loaded on first use. */
export declare const equalTo: typeof PAssertT.equalTo;
Object.defineProperty(exports, "equalTo", { enumerable: true, get: function () { return passert.equalTo; } });
/** At least these elements, maybe others (see lib/testing/passert; for exactly them use equalTo); loaded on first use. */
export declare const containsInAnyOrder: typeof PAssertT.containsInAnyOrder;
Object.defineProperty(exports, "containsInAnyOrder", { enumerable: true, get: function () { return passert.containsInAnyOrder; } });
/** Matches an empty collection (see lib/testing/passert); loaded on first use. */
export declare const isEmpty: typeof PAssertT.isEmpty;
Object.defineProperty(exports, "isEmpty", { enumerable: true, get: function () { return passert.isEmpty; } });
/** Matches a collection of n elements (see lib/testing/passert); loaded on first use. */
export declare const hasSize: typeof PAssertT.hasSize;
Object.defineProperty(exports, "hasSize", { enumerable: true, get: function () { return passert.hasSize; } });
/** Matches when a check function does not throw (see lib/testing/passert); loaded on first use. */
export declare const satisfies: typeof PAssertT.satisfies;
Object.defineProperty(exports, "satisfies", { enumerable: true, get: function () { return passert.satisfies; } });
/** Each listed window holds exactly its elements, and no other window holds any (Beam Python's equal_to_per_window; see lib/testing/passert); loaded on first use. */
export declare const equalToPerWindow: typeof PAssertT.equalToPerWindow;
Object.defineProperty(exports, "equalToPerWindow", { enumerable: true, get: function () { return passert.equalToPerWindow; } });
/** An element with its timestamp, window and pane, to compare reified elements with (Beam Python's TestWindowedValue; see lib/testing/passert); loaded on first use. */
export declare const windowedValue: typeof PAssertT.windowedValue;
Object.defineProperty(exports, "windowedValue", { enumerable: true, get: function () { return passert.windowedValue; } });
/** Beam Java's fluent PAssert: `PAssert.that(pc).inOnTimePane(w).containsInAnyOrder(...)` (see lib/testing/pcollection_assert); loaded on first use. */
export declare const PAssert: typeof PCollectionAssertT.PAssert;
Object.defineProperty(exports, "PAssert", { enumerable: true, get: function () { return pcollectionAssert.PAssert; } });
/** The error a failing assertion fails the run with (see lib/testing/passert); loaded on first use. */
export declare const PAssertionError: typeof PAssertT.PAssertionError;
/** The error a failing assertion fails the run with (see lib/testing/passert); loaded on first use. */
export type PAssertionError = PAssertT.PAssertionError;
Object.defineProperty(exports, "PAssertionError", { enumerable: true, get: function () { return passert.PAssertionError; } });
/** Rows of a Beam schema as `beam:coder:row:v1`: `pc.setCoder(RowCoder.of(schema))` (see lib/coders/row); loaded on first use. */
export declare const RowCoder: typeof RowT.RowCoder;
/** Rows of a Beam schema as `beam:coder:row:v1`, plain objects keyed by field name (Beam Java's RowCoder/SchemaCoder, Python's RowCoder). */
export type RowCoder<R extends object = Record<string, unknown>> = RowT.RowCoder<R>;
Object.defineProperty(exports, "RowCoder", { enumerable: true, get: function () { return rowCoder.RowCoder; } });
/** A Beam schema, `Schema.of({ name: FieldType.STRING, ... })`, its row type inferred (see lib/coders/schema); loaded on first use. */
export declare const Schema: typeof SchemaT.Schema;
/** A Beam schema whose rows have type R (Beam Java's Schema, Python's NamedTuple schemas). */
export type Schema<R extends object = Record<string, unknown>> = SchemaT.Schema<R>;
Object.defineProperty(exports, "Schema", { enumerable: true, get: function () { return schema.Schema; } });
/** Builders of schema field types: FieldType.STRING, FieldType.nullable(t), FieldType.array(t), ... (see lib/coders/schema); loaded on first use. */
export declare const FieldType: typeof SchemaT.FieldType;
/** The type of a schema field whose values have TypeScript type T. */
export type FieldType<T> = SchemaT.FieldType<T>;
Object.defineProperty(exports, "FieldType", { enumerable: true, get: function () { return schema.FieldType; } });
export type { SchemaRow, SchemaField, FieldTypeSpec, AtomicTypeName, RowOf, ValueOf } from "./coders/schema";

// Last, once every export is defined: the exports object as a fast-mode object (see
// fast_properties.ts), so that reads such as `kv` from user code per element are not hash lookups.
toFastProperties(exports);
