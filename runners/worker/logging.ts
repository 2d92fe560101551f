/** Sends the harness's log messages to the runner's logging service (BeamFnLogging). */
import type * as grpc from "@grpc/grpc-js";
import { RpcClient } from "../portable/grpc";
import { fnApi, fnapi } from "../portable/protos";

export type Severity = "INFO" | "WARN" | "ERROR";

export class LogForwarder {
  private readonly client: RpcClient;
  private readonly stream: grpc.ClientDuplexStream<fnapi.LogEntry_List, fnapi.LogControl>;
  private closed = false;

  constructor(url: string, workerId: string) {
    this.client = new RpcClient(url, fnApi.BeamFnLogging, { worker_id: workerId });
    this.stream = this.client.bidi("Logging", fnApi.LogEntry_List, fnApi.LogControl);
    this.stream.on("error", () => (this.closed = true));
    this.stream.on("data", () => undefined);
  }

  log(severity: Severity, message: string, instructionId = "", transformId = ""): void {
    if (this.closed) return;
    const now = Date.now();
    const level = severity === "ERROR" ? fnApi.LogEntry_Severity_Enum.ERROR : severity === "WARN" ? fnApi.LogEntry_Severity_Enum.WARN : fnApi.LogEntry_Severity_Enum.INFO;
    this.stream.write(
      fnApi.LogEntry_List.create({
        logEntries: [
          {
            severity: level,
            timestamp: { seconds: BigInt(Math.floor(now / 1000)), nanos: (now % 1000) * 1_000_000 },
            message,
            instructionId,
            transformId,
            logLocation: "beamline/harness",
            thread: String(process.pid),
          },
        ],
      }),
    );
  }

  close(): void {
    this.closed = true;
    this.stream.end();
    this.client.close();
  }
}
