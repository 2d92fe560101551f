/**
 * Says so when a streaming step drops data. Dropping late data is Beam's model, but a run that
 * silently drops most of its input and ends with status 0 looks like success: each step that
 * dropped elements gets one warning on stderr, with the count and how to fix it.
 */
import { type MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import { DROPPED_CLOSED, DROPPED_LATE } from "./grouping";

const REASONS: readonly { readonly counter: string; readonly why: string; readonly fix: string }[] = [
  {
    counter: DROPPED_LATE,
    why:
      "as late data: their windows had expired (the input watermark was past the window's end plus the allowed lateness), " +
      "or, where the step's DoFn has requiresTimeSortedInput, the watermark was past their own timestamp plus the allowed lateness",
    fix:
      "If the source emits past event times, its watermark must not run ahead of them: a ReadUnbounded source without " +
      "advanceWatermark() follows the clock (now) — give it an initialWatermark and advance it with the data. " +
      "To accept late elements, raise allowedLatenessMillis in Window.into(...).",
  },
  {
    counter: DROPPED_CLOSED,
    why: "because their window's trigger had already finished (closed the window)",
    fix: "Use a trigger that keeps firing (e.g. Repeatedly(...) or AfterWatermark with late firings) if later elements matter.",
  },
];

export class DroppedDataWarnings {
  private readonly warned = new Set<string>();
  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {}

  /** Warns (once per step and reason) about every step whose drop counters are above zero. */
  check(containers: ReadonlyMap<string, MetricsContainer>, runEnded: boolean): void {
    for (const [step, container] of containers) {
      for (const r of REASONS) {
        const n = container.counters.get(systemCounterKey(r.counter)) ?? 0;
        const key = `${step}\u0000${r.counter}`;
        if (n === 0 || this.warned.has(key)) continue;
        this.warned.add(key);
        this.write(
          `WARNING: ${step} dropped ${n} element${n === 1 ? "" : "s"}${runEnded ? "" : " so far"} ${r.why}. ${r.fix} ` +
            `(counter beamline/${r.counter} of step ${step})`,
        );
      }
    }
  }
}
