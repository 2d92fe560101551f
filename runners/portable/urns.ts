/** The URNs Beamline writes into and reads from Beam pipeline protos (BEAM_PORTABILITY.md §1). */
export const URNS = {
  impulse: "beam:transform:impulse:v1",
  pardo: "beam:transform:pardo:v1",
  gbk: "beam:transform:group_by_key:v1",
  flatten: "beam:transform:flatten:v1",
  /** Runner-requested window primitives the SDK executes (side-input window mapping, session merging). */
  mapWindows: "beam:transform:map_windows:v1",
  mergeWindows: "beam:transform:merge_windows:v1",
  windowInto: "beam:transform:window_into:v1",
  combinePerKey: "beam:transform:combine_per_key:v1",
  combineGlobally: "beam:transform:combine_globally:v1",
  reshuffle: "beam:transform:reshuffle:v1",
  redistributeByKey: "beam:transform:redistribute_by_key:v1",
  redistributeArbitrarily: "beam:transform:redistribute_arbitrarily:v1",
  /** Beam's TestStream primitive (runner-executed); Beam spells it without the underscore. */
  testStream: "beam:transform:teststream:v1",
  pubsubRead: "beam:transform:pubsub_read:v1",
  /** Runner-native on Dataflow streaming (input: serialized PubsubMessage protos); a plain composite elsewhere. */
  pubsubWrite: "beam:transform:pubsub_write:v1",
  userStateBag: "beam:user_state:bag:v1",
  userStateMultimap: "beam:user_state:multimap:v1",
  userStateOrderedList: "beam:user_state:ordered_list:v1",
  requirementStateful: "beam:requirement:pardo:stateful:v1",
  requirementSplittable: "beam:requirement:pardo:splittable_dofn:v1",
  requirementFinalization: "beam:requirement:pardo:finalization:v1",
  requirementStableInput: "beam:requirement:pardo:stable_input:v1",
  requirementTimeSortedInput: "beam:requirement:pardo:time_sorted_input:v1",
  /** Beam's SplittableParDoComponents: the phases a runner expands an SDF ParDo into (payload: the ParDo's). */
  sdfPairWithRestriction: "beam:transform:sdf_pair_with_restriction:v1",
  sdfSplitAndSize: "beam:transform:sdf_split_and_size_restrictions:v1",
  sdfProcessSized: "beam:transform:sdf_process_sized_element_and_restrictions:v1",
  sdfTruncateSized: "beam:transform:sdf_truncate_sized_restrictions:v1",
  precombine: "beam:transform:combine_per_key_precombine:v1",
  mergeAccumulators: "beam:transform:combine_per_key_merge_accumulators:v1",
  extractOutputs: "beam:transform:combine_per_key_extract_outputs:v1",
  combineGroupedValues: "beam:transform:combine_grouped_values:v1",
  convertToAccumulators: "beam:transform:combine_per_key_convert_to_accumulators:v1",
  /** Reshuffle's expansion (reshuffle_expansion.ts): value → windowed value and back, SDK-executed. */
  reifyMetadata: "beamline:transform:reify_metadata:v1",
  restoreMetadata: "beamline:transform:restore_metadata:v1",
  dataSource: "beam:runner:source:v1",
  dataSink: "beam:runner:sink:v1",
  flattenIdentity: "beam:dofn:identity:0.1",
  /**
   * The DoFn of a transcoding step before a Flatten input (flatten_transcode.ts): elements pass
   * through unchanged, decoded with the input's coder and encoded with the Flatten's. Payload:
   * JSON {flatten, input, fingerprint}.
   */
  transcodeDoFn: "beamline:dofn:flatten_transcode:v1",
  /** Beamline's DoFn reference: JSON {transform, fingerprint}; the worker finds the DoFn by name. */
  dofnByName: "beam:dofn:beamline:by_name:v1",
  /** Beamline's CombineFn reference, same payload. */
  combineFnByName: "beam:combinefn:beamline:by_name:v1",
  sideInputIterable: "beam:side_input:iterable:v1",
  sideInputMultimap: "beam:side_input:multimap:v1",
  /** View fn payload names the view kind (singleton, iterable, map, multimap); the SDK interprets it. */
  viewFn: "beamline:view_fn:v1",
  /** Payload: the FunctionSpec of the side input's window fn, whose side-input window mapping applies. */
  windowMappingFn: "beamline:window_mapping_fn:v1",
  envDocker: "beam:env:docker:v1",
  envExternal: "beam:env:external:v1",
  envDefault: "beam:env:default:v1",
  globalWindows: "beam:window_fn:global_windows:v1",
  fixedWindows: "beam:window_fn:fixed_windows:v1",
  slidingWindows: "beam:window_fn:sliding_windows:v1",
  sessionWindows: "beam:window_fn:session_windows:v1",
  artifactFile: "beam:artifact:type:file:v1",
  artifactUrl: "beam:artifact:type:url:v1",
  roleStagingTo: "beam:artifact:role:staging_to:v1",
} as const;

/** The id of the SDK environment in every pipeline Beamline translates. */
export const SDK_ENV_ID = "beamline";

/** The default worker image (built from setup/Dockerfile). */
export const DEFAULT_CONTAINER_IMAGE = "beamline/worker:latest";

/** Protocols the harness implements (Environment.capabilities). */
export const SDK_PROTOCOLS = ["beam:protocol:progress_reporting:v1", "beam:protocol:harness_monitoring_infos:v1"] as const;

/** Option keys as the Job API expects them: `beam:option:<snake_case>:v1`. */
export function optionKey(name: string): string {
  return `beam:option:${name}:v1`;
}
