/** The deadline of a `process` call under `withExceptionHandling({ timeoutMillis })`. */
import { ElementTimeoutError } from "../../lib/model/dead_letter";

/**
 * `p`, or an ElementTimeoutError if it has not settled within `remainingMillis` (then `abandon`
 * runs first). A later settling of `p` is ignored, its rejection included.
 */
export function withDeadline(p: Promise<unknown>, remainingMillis: number, abandon: () => void, timeoutMillis: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        abandon();
        reject(new ElementTimeoutError(timeoutMillis));
      },
      Math.max(0, remainingMillis),
    );
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
