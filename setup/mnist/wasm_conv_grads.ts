/**
 * Convolution gradients for the TensorFlow.js wasm backend, so convnets train on it.
 *
 * The wasm backend registers no `Conv2DBackpropFilter` kernel (training a Conv2D layer fails with
 * "kernel not registered"), and its `Conv2DBackpropInput` is a plain loop, while its forward
 * `Conv2D` runs on XNNPACK. Both gradients of a stride-1 convolution are themselves forward
 * convolutions, so they are registered here in terms of `conv2d`:
 *
 * - filter gradient: dW[i,j,c,o] = Σ_{b,y,x} X[b, y+i, x+j, c] · dY[b, y, x, o] is a "valid"
 *   convolution of X with the channels and batch swapped (C images of B channels) by dY used as a
 *   filter (OH×OW, B in, O out); the result [C, KH, KW, O] is transposed to [KH, KW, C, O].
 * - input gradient: dX is the "full" convolution of dY by the filter rotated 180° with its in and
 *   out channels swapped (dY padded by the kernel size minus one minus the forward padding).
 *
 * Checked against the cpu backend's kernels in test/ml/wasm_conv_grads.test.ts. Only what training
 * the MNIST convnet needs: NHWC, stride 1, dilation 1, any padding; other cases are a clear error.
 */
import type { Tfjs } from "../../lib/ml/tfjs_backend";
import type * as tfjs from "@tensorflow/tfjs";

interface ConvAttrs {
  readonly strides: number | [number, number];
  readonly pad: "valid" | "same" | number | tfjs.backend_util.ExplicitPadding;
  readonly dataFormat: "NHWC" | "NCHW";
  readonly dimRoundingMode?: "floor" | "round" | "ceil";
  readonly dilations?: number | [number, number];
}

function checkSupported(tf: Tfjs, kernel: string, attrs: ConvAttrs): void {
  const ones = (v: number | [number, number] | undefined) => v === undefined || (typeof v === "number" ? v === 1 : v.every((x) => x === 1));
  if (!ones(attrs.strides) || !ones(attrs.dilations) || attrs.dataFormat !== "NHWC") {
    throw new Error(`${kernel} on the wasm backend (registered by setup/mnist) supports NHWC convolutions with stride 1 and dilation 1 only; use the cpu backend for this model`);
  }
  void tf;
}

/** Registers the two kernels on the wasm backend of `tf` (call after the wasm backend is loaded). */
export function registerWasmConvGradients(tf: Tfjs): void {
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tfjs.Tensor4D; dy: tfjs.Tensor4D };
      const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
      checkSupported(tf, "Conv2DBackpropFilter", a);
      const info = tf.backend_util.computeConv2DInfo(x.shape, a.filterShape, 1, 1, a.pad, a.dimRoundingMode, false, "channelsLast");
      const { top, bottom, left, right } = info.padInfo;
      return tf.tidy(() => {
        const padded = top + bottom + left + right > 0 ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
        const images = tf.transpose(padded, [3, 1, 2, 0]); // [C, H, W, B]
        const filter = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, B, O]
        return tf.transpose(tf.conv2d(images, filter, 1, "valid"), [1, 2, 0, 3]); // [KH, KW, C, O]
      });
    },
  });
  tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  tf.registerKernel({
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs }) => {
      const { dy, filter } = inputs as { dy: tfjs.Tensor4D; filter: tfjs.Tensor4D };
      const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
      checkSupported(tf, "Conv2DBackpropInput", a);
      const [kh, kw] = filter.shape;
      const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape, 1, 1, a.pad, a.dimRoundingMode, false, "channelsLast");
      const { top, bottom, left, right } = info.padInfo;
      return tf.tidy(() => {
        const padded = tf.pad(dy, [[0, 0], [kh - 1 - top, kh - 1 - bottom], [kw - 1 - left, kw - 1 - right], [0, 0]]);
        const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [KH, KW, O, C]
        return tf.conv2d(padded, rotated, 1, "valid");
      });
    },
  });
}
