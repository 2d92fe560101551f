/**
 * INT96 timestamps (Beam Python's `use_deprecated_int96_timestamps`, which pyarrow writes for
 * readers such as old Impala and Hive). hyparquet-writer encodes no INT96, but an INT96 value is
 * 12 plain bytes, exactly as a FIXED_LEN_BYTE_ARRAY(12) encodes them (plain or dictionary). So
 * such columns are written as 12-byte fixed binaries (primitives.ts: `int96Bytes`, marked with
 * INT96_COLUMN), and just before the footer is written their schema elements and column chunks
 * are typed INT96, without the type length and without statistics (INT96 has no defined sort
 * order; pyarrow writes none for it either).
 */
import type { SchemaElement } from "hyparquet" with { "resolution-mode": "import" };
import type { ParquetWriter } from "hyparquet-writer" with { "resolution-mode": "import" };
import { INT96_COLUMN } from "./primitives";

/** The path (names below the root) of each leaf element marked INT96, joined by ".". */
function int96Paths(schema: readonly SchemaElement[]): Set<string> {
  const out = new Set<string>();
  let i = 1;
  const walk = (prefix: string[], count: number): void => {
    for (let k = 0; k < count; k++) {
      const e = schema[i++]!;
      const path = [...prefix, e.name];
      if ((e.num_children ?? 0) > 0) walk(path, e.num_children!);
      else if ((e as unknown as Record<string, unknown>)[INT96_COLUMN] === true) out.add(path.join("."));
    }
  };
  walk([], schema[0]?.num_children ?? 0);
  return out;
}

/** Types the writer's INT96-marked columns INT96, in its schema and every row group written (call before `finish`). */
export function typeInt96Columns(writer: ParquetWriter): void {
  const paths = int96Paths(writer.schema);
  if (paths.size === 0) return;
  for (const e of writer.schema) {
    if ((e as unknown as Record<string, unknown>)[INT96_COLUMN] === true) Object.assign(e, { type: "INT96", type_length: undefined });
  }
  for (const group of writer.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (meta !== undefined && paths.has(meta.path_in_schema.join("."))) Object.assign(meta, { type: "INT96", statistics: undefined });
    }
  }
}
