/**
 * The inbound data streams of a bundle (BEAM_PORTABILITY.md §3.4-3.5): each `beam:runner:source:v1`
 * transform of a ProcessBundleDescriptor is a DataSource that decodes the windowed values the
 * runner sends for it and hands them to the stage, counting them (the read index runners watch).
 */
import type { Coder } from "../../lib/coders/coder";
import type { WindowedValue } from "../../lib/model/window";
import type { Receiver } from "../executor/receiver";
import { fnApi, fnapi } from "../portable/protos";
import { DataChannel, forEachDecoded } from "./data_channel";

/** One source transform of a descriptor: where its elements come from and where they go. */
export class DataSource {
  /** Index of the element being processed (-1 before the first). */
  readIndex = -1;

  constructor(
    readonly transformId: string,
    readonly coder: Coder<unknown>,
    readonly url: string,
    readonly next: Receiver,
  ) {}

  /** The source of a `beam:runner:source:v1` transform, its output wired to `next`. */
  static fromTransform(transformId: string, t: fnapi.ProcessBundleDescriptor["transforms"][string], coder: (id: string) => Coder<unknown>, next: Receiver): DataSource {
    const port = fnApi.RemoteGrpcPort.fromBinary(t.spec!.payload);
    return new DataSource(transformId, coder(port.coderId), port.apiServiceDescriptor?.url ?? "", next);
  }

  reset(): void {
    this.readIndex = -1;
  }

  /** Reads this source's stream of bundle `instructionId` to its end. */
  read(channel: DataChannel, instructionId: string): Promise<void> {
    const queue = channel.receive(instructionId, this.transformId);
    return forEachDecoded(queue, (r) => this.coder.decode(r, "nested") as WindowedValue<unknown>, `input stream of ${this.transformId}`, (wv) => {
      this.readIndex++;
      return this.next.receive(wv.value, wv);
    });
  }
}
