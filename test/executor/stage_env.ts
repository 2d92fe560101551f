/**
 * A batch stage's environment for tests that build and run one stage of a plan directly (as the
 * DirectRunner does): strict checks on every element unless told otherwise, and no shuffle,
 * buffer or materialized PCollection unless the test supplies them.
 */
import { strict as assert } from "node:assert";
import { defaultOptions } from "../../lib/model/options";
import { MetricsContainer } from "../../lib/model/metrics";
import { StepContexts } from "../../runners/executor/step_contexts";
import type { Plan } from "../../runners/direct/plan";
import type { StageEnvironment } from "../../runners/direct/stage_builder";

export function testStageEnvironment(plan: Plan, extra: Partial<StageEnvironment> = {}): StageEnvironment {
  const contexts = new StepContexts(new Map<string, MetricsContainer>(), defaultOptions(), "t", [], []);
  return {
    plan,
    strictChecks: true,
    checkEveryElement: true,
    metricsFor: (n) => contexts.metricsFor(n),
    runtimeFor: (n) => contexts.runtimeFor(n),
    shuffleFor: () => assert.fail("no shuffle in this stage"),
    bufferFor: () => assert.fail("no buffer in this stage"),
    materializedFor: () => assert.fail("nothing materialized in this stage"),
    sideInputFor: () => assert.fail("no side input in this stage"),
    ...extra,
  };
}
