/** Pipeline programs for the PortableRunner end-to-end tests. */
import { Create, definePipeline } from "../../lib";

/** A program whose DoFn throws on one element. */
export const failingProgram = definePipeline({
  name: "portable-test-failing",
  description: "fails in a Map",
  flags: {},
  build(root) {
    root.apply("Numbers", new Create([1, 2, 3])).map("Explode", (n: number) => {
      if (n === 2) throw new Error("boom on two");
      return n;
    });
  },
});
