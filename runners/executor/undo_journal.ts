/**
 * How to undo the state and timer changes of one element processed under exception handling
 * (`withExceptionHandling()`): as in Beam, an element whose processing failed has no effect, so
 * the state backends record an undo step for each change while it runs and play them back,
 * newest first, if it fails.
 */
export class UndoJournal {
  private steps: (() => void)[] | undefined;

  /** Whether changes are being recorded (an element that may fail is running). */
  get recording(): boolean {
    return this.steps !== undefined;
  }

  /** Starts recording (StateBackend.beginElement). */
  begin(): void {
    this.steps = [];
  }

  /** Records how to undo a change about to be made; nothing while not recording. */
  record(undo: () => void): void {
    this.steps?.push(undo);
  }

  /** Stops recording; if the element failed, undoes its changes, newest first (StateBackend.endElement). */
  end(succeeded: boolean): void {
    const steps = this.steps;
    this.steps = undefined;
    if (!succeeded && steps !== undefined) for (let i = steps.length - 1; i >= 0; i--) steps[i]!();
  }
}
