/**
 * What Ctrl-C does while a runner's CLI follows a job it submitted to a cluster.
 *
 * A job on Dataflow or a portable runner lives on the cluster, not in this process: by default
 * Ctrl-C detaches (the job keeps running; the commands to stop it are printed), as Beam Python's
 * `wait_until_finish` leaves the job running when interrupted. `--cancel_on_interrupt` makes
 * Ctrl-C cancel the job instead; `--async` (Beam Go's flag, alias `--execute_async`) submits and
 * returns at once. A second Ctrl-C exits immediately.
 */
import { OptionReader } from "./option_reader";

/** detach: stop following, leave the job running; cancel: request cancellation, follow it to the end; ignore: install no handler. */
export type InterruptAction = "detach" | "cancel" | "ignore";

/** Runner-construction settings shared by the cluster runners. */
export interface InterruptOptions {
  /** Overrides the flags (tests and embedding code use "ignore"). */
  readonly onInterrupt?: InterruptAction;
  /** @deprecated use onInterrupt: false is "ignore", true is "cancel". */
  readonly cancelOnInterrupt?: boolean;
}

/** The action for this run: the runner setting if given, else `--cancel_on_interrupt` or detach. */
export function interruptAction(settings: InterruptOptions, cancelFlag: boolean): InterruptAction {
  if (settings.onInterrupt !== undefined) return settings.onInterrupt;
  if (settings.cancelOnInterrupt !== undefined) return settings.cancelOnInterrupt ? "cancel" : "ignore";
  return cancelFlag ? "cancel" : "detach";
}

/** The CLI flags of these runners: --async / --execute_async and --cancel_on_interrupt. */
export function followFlags(extra: Readonly<Record<string, string | number | boolean>>): { async: boolean; cancelOnInterrupt: boolean; problems: string[] } {
  const r = new OptionReader(extra);
  const async = (r.bool("async") ?? false) || (r.bool("execute_async") ?? false);
  const cancelOnInterrupt = r.bool("cancel_on_interrupt") ?? false;
  return { async, cancelOnInterrupt, problems: r.problems };
}

/**
 * Calls `handler` on the first SIGINT (later ones get Node's default: exit) and sets the exit code
 * to 130, the shell's code for "interrupted". Returns a function that removes the handler.
 */
export function onFirstInterrupt(action: InterruptAction, handler: () => void): () => void {
  if (action === "ignore") return () => undefined;
  const listener = (): void => {
    process.exitCode = 130;
    handler();
  };
  process.once("SIGINT", listener);
  return () => process.removeListener("SIGINT", listener);
}
