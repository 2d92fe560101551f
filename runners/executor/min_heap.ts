/**
 * A binary min-heap of (time, item) pairs. The streaming steps use it to visit only the
 * windows a watermark advance concerns and to find their earliest watermark hold, instead of
 * scanning every key and window per bundle; entries that went stale are skipped by the caller.
 */
export class MinHeap<T> {
  private readonly times: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.times.length;
  }

  push(time: number, item: T): void {
    this.times.push(time);
    this.items.push(item);
    this.up(this.times.length - 1);
  }

  /** The smallest time, or Infinity when empty. */
  peekTime(): number {
    return this.times.length > 0 ? this.times[0]! : Infinity;
  }

  peekItem(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const n = this.times.length;
    if (n === 0) return undefined;
    const top = this.items[0]!;
    const lastTime = this.times.pop()!;
    const lastItem = this.items.pop()!;
    if (n > 1) {
      this.times[0] = lastTime;
      this.items[0] = lastItem;
      this.down(0);
    }
    return top;
  }

  clear(): void {
    this.times.length = 0;
    this.items.length = 0;
  }

  private up(i: number): void {
    const t = this.times[i]!;
    const item = this.items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent]! <= t) break;
      this.times[i] = this.times[parent]!;
      this.items[i] = this.items[parent]!;
      i = parent;
    }
    this.times[i] = t;
    this.items[i] = item;
  }

  private down(i: number): void {
    const n = this.times.length;
    const t = this.times[i]!;
    const item = this.items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.times[right]! < this.times[left]! ? right : left;
      if (this.times[child]! >= t) break;
      this.times[i] = this.times[child]!;
      this.items[i] = this.items[child]!;
      i = child;
    }
    this.times[i] = t;
    this.items[i] = item;
  }
}
