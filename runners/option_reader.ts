/**
 * Reads runner flags from `PipelineOptions.extra` (Beam Python's flag names, snake_case), collecting
 * every problem so a runner can report them all at once before submitting anything.
 */

type Extra = Readonly<Record<string, string | number | boolean>>;

export class OptionReader {
  readonly problems: string[] = [];
  constructor(private readonly extra: Extra) {}

  /** The flag's text, or undefined when absent or empty. */
  str(key: string): string | undefined {
    const v = this.extra[key];
    return v === undefined || v === "" ? undefined : String(v);
  }

  /** A presence flag (`--update`), also accepting `=true` / `=false`. */
  bool(key: string): boolean | undefined {
    const v = this.extra[key];
    if (v === undefined) return undefined;
    if (v === true || v === "true" || v === "") return true;
    if (v === false || v === "false") return false;
    this.problems.push(`--${key} takes no value (or =true / =false), got '${String(v)}'`);
    return undefined;
  }

  /** An integer flag of at least `min`. */
  int(key: string, min: number): number | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      this.problems.push(`--${key} must be ${min === 0 ? "a whole number (0 or more)" : `an integer of at least ${min}`}, got '${v}'`);
      return undefined;
    }
    return n;
  }

  /**
   * A list flag given under any of several names (`--experiment` / `--experiments`), in command
   * line order (options keep the order flags first appeared in), each split as `splitList` does.
   */
  list(...keys: string[]): string[] {
    return Object.keys(this.extra)
      .filter((k) => keys.includes(k))
      .flatMap((k) => splitList(this.str(k)));
  }

  /** One of a fixed set of values. */
  choice<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if ((values as readonly string[]).includes(v)) return v as T;
    this.problems.push(`--${key} must be one of ${values.join(", ")}, got '${v}'`);
    return undefined;
  }
}

/**
 * A comma-separated list flag (`--experiments a,b`, also repeated: `--experiment a --experiment b`
 * arrives joined with commas). As in Beam, once an item holds a second '=' (`key=k1=v1,k2=v2`) the
 * rest of it is one value, commas included.
 */
export function splitList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const items: string[] = [];
  let current = "";
  let equals = 0;
  for (const ch of raw) {
    if (ch === "," && equals <= 1) {
      items.push(current);
      current = "";
      equals = 0;
      continue;
    }
    if (ch === "=") equals++;
    current += ch;
  }
  items.push(current);
  return items.map((s) => s.trim()).filter((s) => s !== "");
}
