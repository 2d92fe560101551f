/** Number, duration and time formats shared by the terminal progress and the dashboard report. */
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../lib/model/window";

/**
 * `1234567` as `1,234,567` (what `toLocaleString("en-US")` gives), grouped by hand: the first
 * locale-aware call loads ICU's number formats, 25-40 ms of every run's start-up.
 */
export function formatCount(n: number): string {
  const r = Math.round(n);
  if (!Number.isSafeInteger(r) || Object.is(r, -0)) return r.toLocaleString("en-US");
  const digits = String(Math.abs(r));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return r < 0 ? `-${out}` : out;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 10_000) return `${formatCount(perSecond)}/s`;
  if (perSecond >= 10) return `${Math.round(perSecond)}/s`;
  return `${perSecond.toFixed(1)}/s`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A watermark as an ISO time, or -inf / +inf at the ends of time. */
export function formatWatermark(w: number): string {
  if (w <= MIN_TIMESTAMP) return "-inf";
  if (w >= GLOBAL_WINDOW_MAX_TIMESTAMP) return "+inf";
  return new Date(w).toISOString();
}

/** How far a watermark trails the clock, or undefined at the ends of time. */
export function watermarkLag(w: number, now: number): number | undefined {
  if (w <= MIN_TIMESTAMP || w >= GLOBAL_WINDOW_MAX_TIMESTAMP) return undefined;
  return Math.max(0, now - w);
}
