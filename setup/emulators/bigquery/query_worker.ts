/**
 * Worker thread that runs BigQuery emulator queries (see ./query_pool), so a slow query never
 * blocks the emulators' event loop and can be stopped by terminating the thread.
 *
 * Protocol (one query at a time): the worker posts `{type: "ready"}` once SQLite is loaded; then it
 * gets `begin` (the prepared query), any number of `rows` chunks, and `run`, and answers `done`
 * (the output) or `error` (an HTTP status, reason and message).
 */
import { parentPort } from "node:worker_threads";
import initSqlJs from "sql.js";
import { HttpError } from "../common/http";
import { QueryExecution, type PreparedQuery } from "./query_engine";
import type { StoredRow } from "./values";

export type WorkerRequest =
  | { type: "begin"; prepared: PreparedQuery }
  | { type: "rows"; placeholder: string; rows: StoredRow[] }
  | { type: "run"; maxResultBytes: number };

export type WorkerResponse =
  | { type: "ready" }
  | { type: "done"; output: import("./query_engine").QueryOutput }
  | { type: "error"; status: number; reason: string; message: string };

const port = parentPort;
if (port === null) throw new Error("query_worker must run in a worker thread");

initSqlJs().then(
  (sql) => {
    let current: QueryExecution | undefined;
    const fail = (e: unknown): void => {
      current?.close();
      current = undefined;
      if (e instanceof HttpError) port.postMessage({ type: "error", status: e.status, reason: e.reason, message: e.message } satisfies WorkerResponse);
      else port.postMessage({ type: "error", status: 500, reason: "internalError", message: e instanceof Error ? e.message : String(e) } satisfies WorkerResponse);
    };
    port.on("message", (msg: WorkerRequest) => {
      try {
        if (msg.type === "begin") current = new QueryExecution(sql, msg.prepared);
        else if (msg.type === "rows") current?.addRows(msg.placeholder, msg.rows);
        else if (msg.type === "run" && current !== undefined) {
          const execution = current;
          current = undefined;
          port.postMessage({ type: "done", output: execution.run(msg.maxResultBytes) } satisfies WorkerResponse);
        }
      } catch (e) {
        fail(e);
      }
    });
    port.postMessage({ type: "ready" } satisfies WorkerResponse);
  },
  (e: unknown) => {
    throw e;
  },
);
