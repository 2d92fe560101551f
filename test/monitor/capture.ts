import { Writable } from "node:stream";

/** A stream that keeps what is written to it, posing as a TTY or not. */
export class Capture extends Writable {
  text = "";
  constructor(readonly isTTY: boolean) {
    super();
  }
  _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}
