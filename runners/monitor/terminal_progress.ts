/**
 * Live progress of a job in the terminal: one line per top-level step (elements in and out,
 * throughput, time spent; for streaming the watermark, its lag and rejected elements), then a
 * summary table with the metrics when the job ends.
 *
 * On a TTY the block is redrawn in place (Node's readline cursor controls); elsewhere (CI logs,
 * files) a plain block is printed every `plainIntervalMs`, so logs stay readable.
 */
import * as readline from "node:readline";
import type { JobSnapshot, MonitoredJob, StepNode } from "../../lib/model/monitoring";
import { formatCount, formatDuration, formatRate, formatWatermark, watermarkLag } from "./format";
import { topLevelSteps } from "./job_graph";
import { textTable } from "./text_table";

/** Where and how often progress is drawn. */
export interface TerminalProgressOptions {
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraw in place (default: whether `stream` is a TTY). */
  readonly tty?: boolean;
  /** Redraw period on a TTY. */
  readonly ttyIntervalMs?: number;
  /** Period of the plain blocks elsewhere. */
  readonly plainIntervalMs?: number;
}

/** Throughput per step from the difference between two snapshots. */
class Rates {
  private previous: JobSnapshot | undefined;
  private readonly last = new Map<string, number>();
  update(s: JobSnapshot): void {
    const p = this.previous;
    if (p !== undefined && s.at > p.at) {
      for (const [name, progress] of Object.entries(s.steps)) {
        const before = p.steps[name];
        const delta = Math.max(progress.elementsOut, progress.elementsIn) - (before === undefined ? 0 : Math.max(before.elementsOut, before.elementsIn));
        this.last.set(name, (delta * 1000) / (s.at - p.at));
      }
    }
    this.previous = s;
  }
  of(step: string): number | undefined {
    return this.last.get(step);
  }
}

export class TerminalProgress {
  private readonly tty: boolean;
  private readonly rates = new Rates();
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  /** Set while this writes its own block (so output interception leaves it alone). */
  private drawing = false;
  private redrawScheduled = false;
  private readonly steps: StepNode[];

  constructor(
    private readonly job: MonitoredJob,
    private readonly options: TerminalProgressOptions,
  ) {
    this.tty = options.tty ?? options.stream.isTTY === true;
    this.steps = topLevelSteps(job.graph);
  }

  start(): void {
    const period = this.tty ? (this.options.ttyIntervalMs ?? 250) : (this.options.plainIntervalMs ?? 10_000);
    this.rates.update(this.job.snapshot());
    this.timer = setInterval(() => this.draw(this.job.snapshot()), period);
    this.timer.unref();
  }

  /** Stops redrawing and prints the final summary of `final` (the job's last snapshot). */
  finish(final: JobSnapshot = this.job.snapshot()): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.own(() => {
      this.erase();
      this.options.stream.write(summary(final, this.steps));
    });
  }

  /** Draws the current progress now (the timer does this every period). */
  refresh(): void {
    this.draw(this.job.snapshot());
  }

  /** Whether this is writing its own output right now. */
  isDrawing(): boolean {
    return this.drawing;
  }

  /** Something else is about to write to `stream`: take the live block off a shared terminal. */
  suspend(stream: NodeJS.WritableStream): void {
    if (this.drawing || !this.tty || !sharesTerminal(stream, this.options.stream)) return;
    this.own(() => this.erase());
  }

  /** After another writer: draw the block again soon (once for a burst of writes). */
  resume(stream: NodeJS.WritableStream): void {
    if (this.drawing || !this.tty || this.redrawScheduled || this.timer === undefined || !sharesTerminal(stream, this.options.stream)) return;
    this.redrawScheduled = true;
    setImmediate(() => {
      this.redrawScheduled = false;
      if (this.timer !== undefined && this.drawnLines === 0) this.draw(this.job.snapshot());
    }).unref();
  }

  private own(f: () => void): void {
    this.drawing = true;
    try {
      f();
    } finally {
      this.drawing = false;
    }
  }

  private draw(s: JobSnapshot): void {
    this.rates.update(s);
    const text = this.tty ? this.liveTable(s) : this.plainBlock(s);
    this.own(() => {
      this.erase();
      this.options.stream.write(text);
    });
    if (this.tty) this.drawnLines = text.split("\n").length - 1;
  }

  /** Moves the cursor back over the last live block and clears it. */
  private erase(): void {
    if (!this.tty || this.drawnLines === 0) return;
    readline.moveCursor(this.options.stream, 0, -this.drawnLines);
    readline.cursorTo(this.options.stream, 0);
    readline.clearScreenDown(this.options.stream);
    this.drawnLines = 0;
  }

  private liveTable(s: JobSnapshot): string {
    const head = ["step", "in", "out", "rate", "time"];
    if (s.streaming) head.push("watermark", "lag", "rejected");
    const rows = this.steps.map((step) => this.cells(s, step));
    return `${header(s)}\n${textTable(head, rows)}\n`;
  }

  private plainBlock(s: JobSnapshot): string {
    const lines = [header(s)];
    for (const step of this.steps) {
      const c = this.cells(s, step);
      let line = `  ${c[0]}: in ${c[1]}, out ${c[2]}, ${c[3]}, ${c[4]}`;
      if (s.streaming) line += `, watermark ${c[5]}, lag ${c[6]}, rejected ${c[7]}`;
      lines.push(line);
    }
    return `${lines.join("\n")}\n`;
  }

  private cells(s: JobSnapshot, step: StepNode): string[] {
    const p = s.steps[step.name];
    const rate = this.rates.of(step.name);
    const row = [
      step.label,
      formatCount(p?.elementsIn ?? 0),
      formatCount(p?.elementsOut ?? 0),
      rate === undefined ? "-" : formatRate(rate),
      p?.msSpent === undefined ? "-" : formatDuration(p.msSpent),
    ];
    if (s.streaming) {
      const lag = p?.watermark === undefined ? undefined : watermarkLag(p.watermark, s.at);
      row.push(p?.watermark === undefined ? "-" : formatWatermark(p.watermark), lag === undefined ? "-" : formatDuration(lag), formatCount(p?.rejected ?? 0));
    }
    return row;
  }
}

/** Two streams draw on one terminal (the same stream, or both TTYs). */
function sharesTerminal(a: NodeJS.WritableStream, b: NodeJS.WritableStream): boolean {
  return a === b || ((a as { isTTY?: boolean }).isTTY === true && (b as { isTTY?: boolean }).isTTY === true);
}

/** A string set (or a bounded trie's paths) as a summary cell: its strings, the first few of a long one with how many more. */
function formatStringSet(values: readonly string[]): string {
  const shown = values.slice(0, 10).join(", ");
  return values.length > 10 ? `{${shown}, ... ${values.length - 10} more}` : `{${shown}}`;
}

/** The block's first line (without the job's name: the program printed it when the run started). */
function header(s: JobSnapshot): string {
  return `${s.runner}: ${s.state}, ${formatDuration(s.at - s.startedAt)}`;
}

/** The table printed when a job ends: every top-level step, then the metrics. */
export function summary(s: JobSnapshot, steps: readonly StepNode[]): string {
  const total = steps.reduce((t, st) => t + (s.steps[st.name]?.msSpent ?? 0), 0);
  const rows = steps.map((st) => {
    const p = s.steps[st.name];
    const ms = p?.msSpent;
    return [st.label, formatCount(p?.elementsIn ?? 0), formatCount(p?.elementsOut ?? 0), ms === undefined ? "-" : formatDuration(ms), ms === undefined || total === 0 ? "-" : `${Math.round((100 * ms) / total)} %`];
  });
  let text = `${header(s)}\n${textTable(["step", "in", "out", "time", "share"], rows)}\n`;
  const metrics: string[][] = [];
  for (const c of s.metrics.counters) metrics.push([c.step, `${c.namespace}/${c.name}`, formatCount(c.value)]);
  for (const d of s.metrics.distributions) {
    const v = d.value;
    metrics.push([d.step, `${d.namespace}/${d.name}`, `count ${formatCount(v.count)}, mean ${v.count === 0 ? 0 : +(v.sum / v.count).toFixed(3)}, min ${v.min}, max ${v.max}`]);
  }
  for (const g of s.metrics.gauges) metrics.push([g.step, `${g.namespace}/${g.name}`, String(g.value.value)]);
  for (const t of s.metrics.stringSets) metrics.push([t.step, `${t.namespace}/${t.name}`, formatStringSet(t.value)]);
  for (const t of s.metrics.boundedTries) metrics.push([t.step, `${t.namespace}/${t.name}`, formatStringSet(t.value.map((p) => `[${p.segments.join(", ")}${p.truncated ? ", ..." : ""}]`))]);
  if (metrics.length > 0) text += `Metrics:\n${textTable(["step", "metric", "value"], metrics)}\n`;
  if (s.error !== undefined) text += `Error: ${s.error}\n`;
  return text;
}
