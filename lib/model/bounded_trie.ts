/**
 * The data of a BoundedTrie metric, as Beam defines it (Java's BoundedTrieData and Python's
 * cells.BoundedTrieData): paths of string segments kept in a trie of at most `bound` (100) leaves.
 * When an add or a merge takes it past the bound, the child with the most leaves is trimmed: down
 * the largest subtree until a node whose children are all leaves, which becomes one truncated leaf
 * (standing for every path under it). One path is kept as a singleton until a second arrives.
 *
 * Ties between children of equal size are broken by the first in insertion order (Python's
 * max(); Java's HashMap order is unspecified), so which prefix is truncated is deterministic.
 */
import type { BinaryReader, BinaryWriter, WireType } from "@protobuf-ts/runtime";

/**
 * @protobuf-ts/runtime, loaded when a trie is encoded or decoded (the Fn API, checkpoints, worker
 * threads): metrics.ts imports this module, and a local batch run must not load protobuf.
 */
function protobuf(): typeof import("@protobuf-ts/runtime") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@protobuf-ts/runtime") as typeof import("@protobuf-ts/runtime");
}

/** Protocol Buffers' wire types (fixed by the encoding's spec). */
const VARINT = 0 as WireType;
const LENGTH_DELIMITED = 2 as WireType;

/** Beam's BoundedTrieData.DEFAULT_BOUND. */
export const BOUNDED_TRIE_DEFAULT_BOUND = 100;

/** One path of a bounded trie's result: its segments, and whether it was truncated (stands for longer paths). */
export interface BoundedTriePath {
  /** The path's segments (a truncated path: the prefix it keeps). */
  readonly segments: readonly string[];
  /** Beam's trailing "true": this prefix replaced the paths under it when the trie outgrew its bound. */
  readonly truncated: boolean;
}

/** A bounded trie's value: its paths, sorted by segments. */
export type BoundedTrieResult = readonly BoundedTriePath[];

/** A trie node; `size` is its number of leaves (1 for a leaf). */
export class BoundedTrieNode {
  children = new Map<string, BoundedTrieNode>();
  truncated = false;
  size = 1;

  copy(): BoundedTrieNode {
    const n = new BoundedTrieNode();
    n.truncated = this.truncated;
    n.size = this.size;
    for (const [k, c] of this.children) n.children.set(k, c.copy());
    return n;
  }

  /** Adds a path (from `from` on); returns the change in leaves. */
  add(segments: readonly string[], from = 0): number {
    if (this.truncated || from >= segments.length) return 0;
    const head = segments[from]!;
    const wasEmpty = this.children.size === 0;
    let child = this.children.get(head);
    let delta = 0;
    if (child === undefined) {
      this.children.set(head, (child = new BoundedTrieNode()));
      delta = wasEmpty ? 0 : 1;
    }
    if (from + 1 < segments.length) delta += child.add(segments, from + 1);
    this.size += delta;
    return delta;
  }

  /** Truncates one subtree (under the largest child); returns the change in leaves (negative). */
  trim(): number {
    if (this.children.size === 0) return 0;
    let max: BoundedTrieNode | undefined;
    for (const c of this.children.values()) if (max === undefined || c.size > max.size) max = c;
    let delta: number;
    if (max!.size === 1) {
      delta = 1 - this.size;
      this.truncated = true;
      this.children = new Map();
    } else {
      delta = max!.trim();
    }
    this.size += delta;
    return delta;
  }

  /** Merges a copy of `other` into this node; returns the change in leaves. */
  merge(other: BoundedTrieNode): number {
    if (this.truncated) return 0;
    let delta = 0;
    if (other.truncated) {
      delta = 1 - this.size;
      this.truncated = true;
      this.children = new Map();
    } else if (other.children.size === 0) {
      delta = 0;
    } else if (this.children.size === 0) {
      for (const [k, c] of other.children) this.children.set(k, c.copy());
      delta = other.size - this.size;
    } else {
      for (const [k, c] of other.children) {
        const mine = this.children.get(k);
        if (mine === undefined) {
          this.children.set(k, c.copy());
          delta += c.size;
        } else {
          delta += mine.merge(c);
        }
      }
    }
    this.size += delta;
    return delta;
  }

  flattened(prefix: string[] = [], out: BoundedTriePath[] = []): BoundedTriePath[] {
    if (this.truncated) out.push({ segments: prefix, truncated: true });
    else if (this.children.size === 0) out.push({ segments: prefix, truncated: false });
    else for (const k of [...this.children.keys()].sort()) this.children.get(k)!.flattened([...prefix, k], out);
    return out;
  }
}

/** A bounded trie metric's cell: empty, one path (`singleton`), or a trie (`root`). */
export class BoundedTrieData {
  constructor(
    public singleton: readonly string[] | undefined = undefined,
    public root: BoundedTrieNode | undefined = undefined,
    public bound = BOUNDED_TRIE_DEFAULT_BOUND,
  ) {}

  private asTrie(): BoundedTrieNode {
    if (this.root !== undefined) return this.root;
    const n = new BoundedTrieNode();
    if (this.singleton !== undefined) n.add(this.singleton);
    return n;
  }

  /** Adds a path; an empty one adds nothing (as in Beam Java). */
  add(segments: readonly string[]): void {
    if (segments.length === 0) return;
    if (this.singleton === undefined && this.root === undefined) this.singleton = [...segments];
    else if (this.singleton !== undefined && sameSegments(this.singleton, segments)) return;
    else {
      if (this.root === undefined) {
        this.root = this.asTrie();
        this.singleton = undefined;
      }
      this.root.add(segments);
      if (this.root.size > this.bound) this.root.trim();
    }
  }

  /** Merges `other` into this one (Beam's combine): the union, trimmed to the smaller bound. */
  merge(other: BoundedTrieData): void {
    if (other.root === undefined && other.singleton === undefined) return;
    if (this.root === undefined && this.singleton === undefined) {
      this.singleton = other.singleton === undefined ? undefined : [...other.singleton];
      this.root = other.root?.copy();
      this.bound = other.bound;
      return;
    }
    const root = this.asTrie();
    root.merge(other.asTrie());
    this.root = root;
    this.singleton = undefined;
    this.bound = Math.min(this.bound, other.bound);
    while (root.size > this.bound) root.trim();
  }

  result(): BoundedTrieResult {
    if (this.root !== undefined) return this.root.flattened();
    return this.singleton === undefined ? [] : [{ segments: [...this.singleton], truncated: false }];
  }

  /** metrics.proto's BoundedTrie (bound = 1, root = 2, singleton = 3), Beam's payload of beam:metrics:bounded_trie:v1. */
  toProto(): Uint8Array {
    const w = new (protobuf().BinaryWriter)();
    w.tag(1, VARINT).int32(this.bound);
    if (this.root !== undefined) {
      w.tag(2, LENGTH_DELIMITED).fork();
      writeNode(w, this.root);
      w.join();
    }
    if (this.singleton !== undefined) for (const s of this.singleton) w.tag(3, LENGTH_DELIMITED).string(s);
    return w.finish();
  }

  static fromProto(bytes: Uint8Array): BoundedTrieData {
    const r = new (protobuf().BinaryReader)(bytes);
    let bound = 0;
    let root: BoundedTrieNode | undefined;
    const singleton: string[] = [];
    while (r.pos < r.len) {
      const [field, wire] = r.tag();
      if (field === 1 && wire === VARINT) bound = r.int32();
      else if (field === 2 && wire === LENGTH_DELIMITED) root = readNode(new (protobuf().BinaryReader)(r.bytes()));
      else if (field === 3 && wire === LENGTH_DELIMITED) singleton.push(r.string());
      else r.skip(wire);
    }
    // As Beam Java's fromProto: a root wins; else the singleton (a proto with neither is empty).
    return new BoundedTrieData(root === undefined && singleton.length > 0 ? singleton : undefined, root, bound);
  }
}

/**
 * A BoundedTrie in its JSON form (Dataflow's MetricUpdate `trie`: bound, root with truncated and
 * children, singleton), or undefined if `v` is not one.
 */
export function boundedTrieFromJson(v: unknown): BoundedTrieData | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as { bound?: unknown; root?: unknown; singleton?: unknown };
  const bound = typeof o.bound === "number" ? o.bound : Number(o.bound ?? BOUNDED_TRIE_DEFAULT_BOUND);
  if (!Number.isInteger(bound)) return undefined;
  if (o.root !== undefined && o.root !== null) {
    const root = nodeFromJson(o.root);
    return root === undefined ? undefined : new BoundedTrieData(undefined, root, bound);
  }
  if (Array.isArray(o.singleton) && o.singleton.every((s) => typeof s === "string")) return new BoundedTrieData(o.singleton.length > 0 ? (o.singleton as string[]) : undefined, undefined, bound);
  return undefined;
}

function nodeFromJson(v: unknown): BoundedTrieNode | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as { truncated?: unknown; children?: unknown };
  const n = new BoundedTrieNode();
  if (o.truncated === true) {
    n.truncated = true;
    return n;
  }
  if (typeof o.children === "object" && o.children !== null) {
    for (const [k, c] of Object.entries(o.children)) {
      const child = nodeFromJson(c);
      if (child === undefined) return undefined;
      n.children.set(k, child);
    }
  }
  n.size = Math.max(1, [...n.children.values()].reduce((s, c) => s + c.size, 0));
  return n;
}

function sameSegments(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** BoundedTrieNode: truncated = 1, children = 2 (map<string, BoundedTrieNode>: key 1, value 2). */
function writeNode(w: BinaryWriter, n: BoundedTrieNode): void {
  if (n.truncated) w.tag(1, VARINT).bool(true);
  for (const [k, c] of n.children) {
    w.tag(2, LENGTH_DELIMITED).fork();
    w.tag(1, LENGTH_DELIMITED).string(k);
    w.tag(2, LENGTH_DELIMITED).fork();
    writeNode(w, c);
    w.join();
    w.join();
  }
}

function readNode(r: BinaryReader): BoundedTrieNode {
  const n = new BoundedTrieNode();
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === VARINT) n.truncated = r.bool();
    else if (field === 2 && wire === LENGTH_DELIMITED) {
      const entry = new (protobuf().BinaryReader)(r.bytes());
      let key = "";
      let child = new BoundedTrieNode();
      while (entry.pos < entry.len) {
        const [f, wt] = entry.tag();
        if (f === 1 && wt === LENGTH_DELIMITED) key = entry.string();
        else if (f === 2 && wt === LENGTH_DELIMITED) child = readNode(new (protobuf().BinaryReader)(entry.bytes()));
        else entry.skip(wt);
      }
      n.children.set(key, child);
    } else r.skip(wire);
  }
  // Beam's fromProto: a truncated node has no children; otherwise its size is its leaves'.
  if (n.truncated) n.children = new Map();
  else n.size = Math.max(1, [...n.children.values()].reduce((s, c) => s + c.size, 0));
  return n;
}
