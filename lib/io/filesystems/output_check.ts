/**
 * The up-front check of a file sink's output prefix, run before anything executes (the README's
 * promise: an unwritable output location is reported before the pipeline runs, not at the end).
 */
import { FileSystemError } from "./filesystem";
import { FileSystems } from "./registry";

/** How long the writability probe may take before the output is reported as not answering. */
export const OUTPUT_PROBE_TIMEOUT_MS = 15_000;

/** Why a prefix makes no sensible file names, or undefined. */
function prefixProblem(prefix: string): string | undefined {
  if (prefix.trim() === "") return "the output prefix is empty: give a path and file name prefix such as out/counts (files out/counts-00000-of-00001, ...)";
  if (/[/\\]$/.test(prefix) || /^gs:\/\/[^/]+$/.test(prefix)) {
    const base = /^gs:\/\/[^/]+$/.test(prefix) ? `${prefix}/` : prefix;
    return `'${prefix}' names a directory, so the files would be called '${base}-00000-of-00001': add a file name prefix, e.g. '${base}part'`;
  }
  return undefined;
}

/**
 * Checks that files named `<prefix>...` can be written: the prefix names files (not a directory),
 * and its file system accepts new files there (for local paths a probe directory is created and
 * removed; for gs:// the bucket is checked). A probe that has not answered within `timeoutMs`
 * fails too, rather than the run hanging on an unresponsive location.
 */
export async function checkOutputPrefix(prefix: string, timeoutMs: number = OUTPUT_PROBE_TIMEOUT_MS): Promise<void> {
  const problem = prefixProblem(prefix);
  if (problem !== undefined) throw new FileSystemError(problem, prefix, { code: "INVALID_ARGUMENT" });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new FileSystemError(
            `checking that ${prefix} can be written did not finish within ${timeoutMs / 1000} s (an unresponsive network or virtual file system?). Choose another output location.`,
            prefix,
            { code: "DEADLINE_EXCEEDED" },
          ),
        ),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    await Promise.race([FileSystems.forPath(prefix).checkWritable(prefix), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
