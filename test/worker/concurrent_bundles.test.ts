/**
 * Beam runs a DoFn instance on one bundle at a time. A runner may send a worker two bundles of one
 * stage at once (Prism does when it splits a slow bundle: the residual runs beside the primary),
 * and then each needs DoFn objects of its own: a DoFn that keeps per-bundle fields (buffers reset
 * in startBundle, as flipkart's image transfers) lost the first bundle's elements when the
 * second bundle's startBundle reset the fields of a shared object.
 */
import { strict as assert } from "node:assert";
import { Create, definePipeline, DoFn, ParDo, type BundleContext, type ProcessContext } from "../../lib";
import { inGlobalWindow, GlobalWindow, type WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { plan } from "../portable/fuser";
import { FnApiServer } from "./fn_server";
import { coder, decodeAll, encodeAll, stageWith } from "./wire";

/** Opens when both bundles have started, so that their elements are processed while both run. */
let started = 0;
let open: () => void = () => undefined;
let gate = new Promise<void>((resolve) => (open = resolve));

/** Buffers a bundle's elements and outputs them in finishBundle (per-bundle fields, as Beam allows). */
class BufferPerBundle extends DoFn<string, string> {
  private buffer: string[] = [];
  startBundle(): void {
    this.buffer = [];
    if (++started === 2) open();
  }
  async process(x: string, _ctx: ProcessContext<string>): Promise<void> {
    await gate;
    this.buffer.push(x);
  }
  finishBundle(ctx: BundleContext<string>): void {
    for (const x of this.buffer) ctx.output(x, { window: GlobalWindow.INSTANCE });
  }
}

const concurrentProgram = definePipeline({
  name: "worker-test-concurrent-bundles",
  description: "A DoFn with per-bundle fields",
  flags: {},
  build(root) {
    root.apply("Words", Create.of("x")).apply("Buffer", ParDo.of(new BufferPerBundle())).map("Upper", (s: string) => s.toUpperCase());
  },
});

describe("Fn API harness: bundles of one stage at once", function () {
  let server: FnApiServer;
  let harness: FnHarness | undefined;
  beforeEach(async () => {
    server = await FnApiServer.start();
    started = 0;
    gate = new Promise<void>((resolve) => (open = resolve));
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    await server.stop();
  });

  it("give each bundle DoFn objects of its own (its elements out once, none lost)", async () => {
    const { proto } = translatePipeline(concurrentProgram.create({}), dockerEnvironment());
    const planned = plan(proto, server.url, { breakAt: new Set(["Buffer"]) });
    harness = new FnHarness({ workerId: "w-concurrent", controlUrl: server.url, loadPipeline: () => concurrentProgram.create({}), runId: "concurrent" }).start();
    const stage = stageWith(planned, "Buffer");
    assert.equal((await server.instruct({ oneofKind: "register", register: { processBundleDescriptor: [stage.descriptor!] } })).error, "");
    const inCoder = coder(planned.components, planned.wireCoder(stage.input));
    const [outPc, sink] = [...stage.outputs][0]!;
    const outCoder = coder(planned.components, planned.wireCoder(outPc));
    const bundle = (words: string[]) => server.processBundle(stage.id, new Map([[stage.sourceId, [encodeAll(inCoder, words.map((w) => inGlobalWindow(w)))]]]), [sink]);
    const [a, b] = await Promise.all([bundle(["a1", "a2", "a3"]), bundle(["b1", "b2"])]);
    const values = (r: Awaited<ReturnType<typeof bundle>>) => (decodeAll(outCoder, r.outputs.get(sink)!) as WindowedValue<string>[]).map((wv) => wv.value).sort();
    assert.deepEqual(values(a), ["A1", "A2", "A3"]);
    assert.deepEqual(values(b), ["B1", "B2"]);
  });
});
