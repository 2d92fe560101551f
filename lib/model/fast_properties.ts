/**
 * Puts a module's exports object back into V8's fast (shaped) property mode.
 *
 * tsc compiles each named re-export (`export { X } from "./x"`) to `exports.X = void 0` at the top
 * of the module and an accessor `Object.defineProperty(exports, "X", { get })` later; redefining
 * a data property as an accessor turns the object into a dictionary. Reads of it are then generic
 * hash lookups (tens of instructions) that optimized code cannot inline, and user code reads the
 * package's index per element (`(0, beamline_1.kv)(word, 1)` in a `map`): ~3% of the word
 * count's instructions per word.
 *
 * V8 makes a dictionary-mode object fast again when it becomes the prototype of instances that
 * property lookups go through (JSObject::MakePrototypesFast, on a load IC's miss once the loading
 * function has feedback). Nothing observable changes: the object keeps its identity, properties,
 * getters and order; it only also serves as the prototype of one private, unused object.
 * test/executor/hot_module_shapes.test.ts checks that it still works on the Node in use.
 */
export function toFastProperties(o: object): void {
  function Holder(this: object): void {}
  Holder.prototype = o;
  const instance = new (Holder as unknown as new () => object)();
  // The load's IC runs once the function has a feedback vector, which V8 allocates lazily after
  // a few calls (--lazy-feedback-allocation); a few dozen calls are enough on Node 18-22.
  const load = (): unknown => (instance as { toString?: unknown }).toString;
  for (let i = 0; i < 50; i++) load();
}
