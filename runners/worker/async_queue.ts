/** A single-consumer async queue: producers push, one consumer awaits items in order. */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private waiter: ((v: IteratorResult<T>) => void) | undefined;
  private failure: unknown;
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w({ value: item, done: false });
    } else this.items.push(item);
  }

  /** Makes the consumer's next wait reject (e.g. the stream broke). */
  fail(error: unknown): void {
    this.failure = error;
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    if (w !== undefined) w({ value: undefined, done: true });
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return { value: this.items.shift()!, done: false };
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) return { value: undefined, done: true };
    const r = await new Promise<IteratorResult<T>>((resolve) => (this.waiter = resolve));
    if (r.done === true && this.failure !== undefined) throw this.failure;
    return r;
  }
}
