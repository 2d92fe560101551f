/**
 * Whether a streaming pipeline can run as parallel instances (`--direct_num_workers N > 1`), and
 * if not, why. The parallel mode runs N copies of the whole graph, one per worker thread, each
 * with its own split of the input; keyed steps (GroupByKey, Combine.perKey, stateful ParDos) sit
 * behind the keyed exchange (exchange.ts), which gives each key to one instance and each keyed
 * step the lowest of the instances' watermarks. That is the same computation as one thread when
 * the sources split without overlap and no step reads what another instance holds (side inputs).
 * Anything else runs on the one-thread driver, with the reason logged, never a silently different
 * result.
 */
import { PUBSUB_READ_URN } from "../../../lib/io/pubsub/unbounded";
import type { Pipeline, TransformNode } from "../../../lib/model/pipeline";
import { PipelineGraph } from "../../executor/pipeline_graph";

/** Why `pipeline` cannot run on parallel streaming instances, or undefined if it can. */
export function parallelBlocker(pipeline: Pipeline): string | undefined {
  if (pipeline.program === undefined) {
    return "worker threads rebuild the pipeline from its program, and this one was not built by definePipeline";
  }
  if (pipeline.options.checkpointDir !== undefined) {
    return "--checkpoint_dir: checkpoints coordinated across worker threads are not implemented yet";
  }
  if (pipeline.options.directBundleRetries > 0) {
    return "--direct_bundle_retries: restarting every instance from one snapshot is not implemented yet";
  }
  let sources = 0;
  for (const u of new PipelineGraph(pipeline).units) {
    const name = u.node.fullName;
    switch (u.kind) {
      case "testStream":
        return `TestStream '${name}' replays one script in virtual time, which one thread runs`;
      case "impulse":
        return `'${name}' is a bounded branch (Create, Impulse), which every instance would repeat`;
      case "readUnbounded": {
        const reason = unsplittable(u.node);
        if (reason !== undefined) return `source '${name}' ${reason}`;
        sources++;
        break;
      }
      case "gbk":
      case "combine":
        break;
      case "pardo":
        if (u.spec.sideInputs.length > 0) return `'${name}' reads side inputs, which the parallel mode does not share between worker threads yet`;
        break;
      case "primitive":
      case "reshuffle":
      case "flatten":
        break;
    }
  }
  if (sources === 0) return "the pipeline reads no real-time source to split";
  return undefined;
}

/**
 * Why a real-time read cannot be split among instances, or undefined if each instance can read
 * its own share: a Pub/Sub subscription can (the service gives each pull different messages, as
 * it balances a subscription's subscribers); a topic cannot (each instance would create its own
 * subscription and see every message), nor can a source whose splits are unknown.
 */
function unsplittable(read: TransformNode): string | undefined {
  for (let n: TransformNode | undefined = read.parent; n !== undefined; n = n.parent) {
    const spec = n.composite;
    if (spec?.urn !== PUBSUB_READ_URN) continue;
    if (spec.subscription === "") return "reads a Pub/Sub topic (every instance would subscribe and see every message); read a subscription instead";
    if (spec.idAttribute !== "") return "deduplicates on an id attribute, which only one reader seeing every message can do";
    return undefined;
  }
  return "cannot be split among worker threads (only ReadFromPubSub of a subscription can)";
}
