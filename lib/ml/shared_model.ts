/**
 * One loaded model per process and model key, shared by every RunInference DoFn instance,
 * bundle and concurrent bundle in the process (Beam Python's `Shared` handle; the original
 * MNIST job used a singleton). Worker threads are separate JavaScript heaps, so each loads its own.
 */

const models = new Map<string, Promise<unknown>>();
const loads = new Map<string, number>();

/** The model for `key`, loading it with `load` the first time; a failed load is retried by the next caller. */
export function sharedModel<M>(key: string, load: () => Promise<M>): Promise<M> {
  let model = models.get(key) as Promise<M> | undefined;
  if (model === undefined) {
    loads.set(key, (loads.get(key) ?? 0) + 1);
    model = load();
    models.set(key, model);
    model.catch(() => {
      if (models.get(key) === model) models.delete(key);
    });
  }
  return model;
}

/** How many times this process started loading the model for `key` (for tests and diagnostics). */
export function sharedModelLoadCount(key: string): number {
  return loads.get(key) ?? 0;
}

/** Forgets every shared model (the next use loads again); for tests. */
export function clearSharedModels(): void {
  models.clear();
  loads.clear();
}
