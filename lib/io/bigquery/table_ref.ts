/** BigQuery table names: `project.dataset.table`, `project:dataset.table` or `dataset.table`. */
import { ValidationError } from "../../model/errors";

/** A table's full reference; `projectId` is undefined when the spec named none (the client's project is used). */
export interface TableReference {
  readonly projectId?: string;
  readonly datasetId: string;
  readonly tableId: string;
}

/**
 * Parses a table spec. Accepts `project.dataset.table`, `project:dataset.table`,
 * `dataset.table` and backquoted forms. Domain-scoped projects (`example.com:proj`) work with `:`.
 */
export function parseTableSpec(spec: string): TableReference {
  const s = spec.trim().replace(/^`|`$/g, "");
  const colon = s.indexOf(":");
  if (colon >= 0) {
    // project:dataset.table (the project may itself be `domain:project`).
    const lastColon = s.lastIndexOf(":");
    const projectId = s.slice(0, lastColon);
    const rest = s.slice(lastColon + 1).split(".");
    if (projectId !== "" && rest.length === 2 && rest[0] && rest[1]) return { projectId, datasetId: rest[0], tableId: rest[1] };
  } else {
    const parts = s.split(".");
    if (parts.length === 3 && parts.every((p) => p !== "")) return { projectId: parts[0]!, datasetId: parts[1]!, tableId: parts[2]! };
    if (parts.length === 2 && parts.every((p) => p !== "")) return { datasetId: parts[0]!, tableId: parts[1]! };
  }
  throw new ValidationError(
    `'${spec}' is not a BigQuery table name; write it as PROJECT.DATASET.TABLE (or PROJECT:DATASET.TABLE, or DATASET.TABLE for the default project).`,
  );
}

/** `project.dataset.table` (or `dataset.table`). */
export function formatTable(ref: TableReference): string {
  return ref.projectId !== undefined ? `${ref.projectId}.${ref.datasetId}.${ref.tableId}` : `${ref.datasetId}.${ref.tableId}`;
}
