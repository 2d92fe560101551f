import { strict as assert } from "node:assert";
import type * as tfjs from "@tensorflow/tfjs";
import { tfjsRuntime } from "../../lib/ml";
import { registerWasmConvGradients } from "../../setup/mnist/wasm_conv_grads";

describe("setup/mnist: convolution gradients registered on the TensorFlow.js wasm backend", function () {
  this.timeout(30_000);

  it("match the cpu backend's kernels for valid and same padding, odd and even kernels", async function () {
    const { tf, backend } = await tfjsRuntime();
    if (backend !== "wasm") this.skip();
    registerWasmConvGradients(tf);
    const x = Array.from({ length: 3 * 9 * 9 * 2 }, (_, i) => Math.sin(i));
    const cases = [
      { pad: "valid" as const, k: 3 },
      { pad: "same" as const, k: 5 },
      { pad: "same" as const, k: 4 },
      { pad: "valid" as const, k: 2 },
    ];
    const gradsOn = async (be: string, pad: "valid" | "same", k: number): Promise<[Float32Array, Float32Array]> => {
      await tf.setBackend(be);
      const w = Array.from({ length: k * k * 2 * 3 }, (_, i) => Math.cos(i * 0.7));
      const [dx, dw] = tf.grads((a, b) => tf.conv2d(a as tfjs.Tensor4D, b as tfjs.Tensor4D, 1, pad).square().sum())([
        tf.tensor4d(x, [3, 9, 9, 2]),
        tf.tensor4d(w, [k, k, 2, 3]),
      ]);
      return [(await dx!.data()) as Float32Array, (await dw!.data()) as Float32Array];
    };
    try {
      for (const { pad, k } of cases) {
        const cpu = await gradsOn("cpu", pad, k);
        const wasm = await gradsOn("wasm", pad, k);
        for (const [i, name] of [[0, "input"], [1, "filter"]] as const) {
          assert.equal(wasm[i].length, cpu[i].length);
          const worst = cpu[i].reduce((m, v, j) => Math.max(m, Math.abs(v - wasm[i][j]!) / (1 + Math.abs(v))), 0);
          assert.ok(worst < 1e-4, `${name} gradient, ${pad} padding, ${k}x${k} kernel: relative error ${worst}`);
        }
      }
      await tf.setBackend("wasm");
      assert.throws(
        () => tf.grads((a, b) => tf.conv2d(a as tfjs.Tensor4D, b as tfjs.Tensor4D, 2, "valid").sum())([tf.ones([1, 6, 6, 1]), tf.ones([2, 2, 1, 1])]),
        /supports NHWC convolutions with stride 1 and dilation 1 only/,
      );
    } finally {
      await tf.setBackend(backend);
    }
  });
});
