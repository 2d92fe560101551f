/**
 * What the command line shows while its jobs run: the terminal progress (unless --quiet), the
 * --dashboard, the --dashboard_out report, and the job's output lines captured as log lines
 * attributed to the step that wrote them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { watchJobs } from "../../lib/model/monitoring";
import type { LogEntry, MonitoredJob } from "../../lib/model/monitoring";
import type { Dashboard } from "./dashboard_server";
import { LiveJob } from "./live_job";
import { TerminalProgress } from "./terminal_progress";

export interface CliMonitorOptions {
  /** No terminal progress. */
  readonly quiet: boolean;
  /** Serve the dashboard (on `dashboardPort`, or a free port). */
  readonly dashboard: boolean;
  readonly dashboardPort?: number;
  /** Write a static report of the finished job here. */
  readonly dashboardOut?: string;
  /** Where progress goes (stderr by default). */
  readonly stream?: NodeJS.WriteStream;
  /** Period of plain progress blocks when not on a TTY. */
  readonly plainIntervalMs?: number;
}

type Write = typeof process.stdout.write;

/** The dashboard's server and page (node:http and more), loaded only by runs that ask for them. */
function dashboardServer(): typeof import("./dashboard_server") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("./dashboard_server") as typeof import("./dashboard_server");
}

/** Watches the jobs this process starts until `close()`. */
export class CliMonitor {
  private readonly unwatch: () => void;
  private readonly pending: Promise<void>[] = [];
  private followed = false;
  private summaries = 0;
  private terminal: TerminalProgress | undefined;
  private job: MonitoredJob | undefined;
  private consoleLevel: LogEntry["level"] | undefined;
  private readonly restore: (() => void)[] = [];
  /** Dashboards of jobs that finished, kept open until close() so their pages can load the end. */
  private readonly dashboards: Dashboard[] = [];

  constructor(private readonly options: CliMonitorOptions) {
    this.unwatch = watchJobs((job) => this.pending.push(this.follow(job)));
    this.interceptOutput();
  }

  private async follow(job: MonitoredJob): Promise<void> {
    this.job = job;
    this.followed = true;
    const stream = this.options.stream ?? process.stderr;
    let dashboard: Dashboard | undefined;
    if (this.options.dashboard) {
      dashboard = await dashboardServer().Dashboard.start(job, { port: this.options.dashboardPort });
      this.dashboards.push(dashboard);
      stream.write(`Dashboard: ${dashboard.url}\n`);
    }
    if (!this.options.quiet) {
      this.terminal = new TerminalProgress(job, { stream, plainIntervalMs: this.options.plainIntervalMs });
      this.terminal.start();
    }
    await job.finished;
    const final = job.snapshot();
    if (this.terminal !== undefined) {
      this.terminal.finish(final);
      this.summaries++;
    }
    this.terminal = undefined;
    if (this.options.dashboardOut !== undefined) {
      const out = path.resolve(this.options.dashboardOut);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, dashboardServer().staticReport(job));
      stream.write(`Dashboard report written to ${out}\n`);
    }
  }

  /**
   * Keeps the live block intact when anything else writes to the terminal (erase, write,
   * redraw), and records every line written as a log line of the current job.
   */
  private interceptOutput(): void {
    for (const s of [process.stdout, process.stderr]) {
      const original = s.write.bind(s) as Write;
      // Runner messages on stderr that announce a problem count as warnings.
      const level = (text: string): LogEntry["level"] => (s === process.stderr && /^(warning|error)\b|failed/i.test(text) ? "WARN" : "INFO");
      s.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
        if (this.job !== undefined && this.terminal?.isDrawing() !== true) this.record(String(chunk), this.consoleLevel ?? level(String(chunk)));
        this.terminal?.suspend(s);
        const ok = (original as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
        this.terminal?.resume(s);
        return ok;
      }) as Write;
      this.restore.push(() => (s.write = original));
    }
    const levels: [keyof Console, LogEntry["level"]][] = [["debug", "DEBUG"], ["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"]];
    for (const [method, level] of levels) {
      const original = console[method] as (...args: unknown[]) => void;
      (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]): void => {
        const previous = this.consoleLevel;
        this.consoleLevel = level;
        try {
          original.apply(console, args);
        } finally {
          this.consoleLevel = previous;
        }
      };
      this.restore.push(() => ((console as unknown as Record<string, unknown>)[method] = original));
    }
  }

  private record(text: string, level: LogEntry["level"]): void {
    const job = this.job;
    if (!(job instanceof LiveJob) || !job.capturesConsole) return;
    const step = job.currentStep();
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      job.logBuffer.add({ time: Date.now(), level, ...(step === undefined ? {} : { step }), message: line });
    }
  }

  /** Whether a job announced itself to this monitor. */
  followedJob(): boolean {
    return this.followed;
  }

  /** Whether a job's summary table (with its metrics) was printed. */
  printedSummary(): boolean {
    return this.summaries > 0;
  }

  /** Waits for the jobs being followed, then stops watching and closes the dashboards. */
  async close(): Promise<void> {
    await Promise.all(this.pending);
    this.unwatch();
    for (const r of this.restore.reverse()) r();
    // Interactively, the finished job's dashboard stays up until Ctrl-C, so it can still be read.
    if (this.dashboards.length > 0 && process.stdin.isTTY === true && process.stderr.isTTY === true) {
      (this.options.stream ?? process.stderr).write(`The job has ended; its dashboard stays readable at the URL above. Press Ctrl-C to exit.\n`);
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    }
    await Promise.all(this.dashboards.map((d) => d.close()));
  }
}
