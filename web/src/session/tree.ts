// The message tree, built by parentId (reference §1.4 new_message, §7.3 nesting rule).
//
// Nodes are immutable between snapshots: a node changed after the last snapshot is cloned
// once, then mutated in place until the next snapshot, so React sees new objects only for
// what changed and a burst of stream tokens costs one clone per frame, not one per token.

import type { Step, StepDict } from '../types';

export interface TreeSnapshot {
  readonly nodes: ReadonlyMap<string, Step>;
  readonly roots: readonly string[];
  readonly kids: ReadonlyMap<string, readonly string[]>;
}

export const EMPTY_TREE: TreeSnapshot = { nodes: new Map(), roots: [], kids: new Map() };

export class MessageTree {
  private nodes = new Map<string, Step>();
  private roots: string[] = [];
  private kids = new Map<string, string[]>();
  /** Children that arrived before their parent: shown at the root until it comes. */
  private orphans = new Map<string, string[]>();
  private freshNodes = new Set<string>();
  private freshKids = new Set<string>();
  private freshRoots = false;
  private last: TreeSnapshot = EMPTY_TREE;
  private dirty = false;

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  get(id: string): Step | undefined {
    return this.nodes.get(id);
  }

  get size(): number {
    return this.nodes.size;
  }

  /**
   * Insert a step, or merge it into the known one with the same id. A step without an
   * id (the schema allows one) has no place in the tree: false, and nothing changes.
   */
  upsert(step: StepDict): boolean {
    const id = step.id;
    if (!id) return false;
    const known = this.nodes.get(id);
    this.dirty = true;
    if (known) {
      this.nodes.set(id, { ...known, ...step, id, output: step.output ?? known.output });
      this.freshNodes.add(id);
      return true;
    }
    this.nodes.set(id, { ...step, id, output: step.output ?? '' });
    this.freshNodes.add(id);
    const parent = step.parentId;
    if (parent && this.nodes.has(parent)) {
      this.mutableKids(parent).push(id);
    } else {
      this.mutableRoots().push(id);
      if (parent) {
        const waiting = this.orphans.get(parent) ?? [];
        waiting.push(id);
        this.orphans.set(parent, waiting);
      }
    }
    const waiting = this.orphans.get(id);
    if (waiting) {
      this.orphans.delete(id);
      const moving = new Set(waiting.filter((kid) => this.nodes.has(kid)));
      this.roots = this.roots.filter((root) => !moving.has(root));
      this.freshRoots = true;
      this.mutableKids(id).push(...moving);
    }
    return true;
  }

  /** Apply a stream token to a step's output (or input). */
  token(id: string, token: string, isSequence: boolean, isInput: boolean): boolean {
    const node = this.mutableNode(id);
    if (!node) return false;
    if (isInput) node.input = isSequence ? token : (node.input ?? '') + token;
    else node.output = isSequence ? token : (node.output ?? '') + token;
    node.streaming = true;
    return true;
  }

  /**
   * End every stream still open: its run is over (task_end) or the user stopped it, so
   * no final message will come to close it. True when something changed.
   */
  endStreaming(): boolean {
    let changed = false;
    for (const [id, node] of this.nodes) {
      if (!node.streaming) continue;
      const mutable = this.mutableNode(id);
      if (mutable) mutable.streaming = false;
      changed = true;
    }
    return changed;
  }

  patch(id: string, fields: Partial<Step>): void {
    const node = this.mutableNode(id);
    if (node) Object.assign(node, fields);
  }

  remove(id: string): void {
    if (!this.nodes.has(id)) return;
    this.dirty = true;
    const drop = (nodeId: string) => {
      for (const child of this.kids.get(nodeId) ?? []) drop(child);
      this.kids.delete(nodeId);
      this.nodes.delete(nodeId);
    };
    const parent = this.nodes.get(id)?.parentId;
    drop(id);
    if (parent && this.kids.has(parent)) {
      this.kids.set(
        parent,
        (this.kids.get(parent) ?? []).filter((k) => k !== id),
      );
      this.freshKids.add(parent);
    }
    if (this.roots.includes(id)) {
      this.roots = this.roots.filter((r) => r !== id);
      this.freshRoots = true;
    }
  }

  clear(): void {
    this.nodes = new Map();
    this.roots = [];
    this.kids = new Map();
    this.orphans = new Map();
    this.dirty = true;
  }

  /** Steps in order of their ids' insertion, for "everything after X" walks. */
  orderedIds(): string[] {
    return Array.from(this.nodes.keys());
  }

  /** Rebuild from a persisted thread's flat step list. */
  load(steps: StepDict[]): void {
    this.clear();
    const sorted = [...steps].sort((a, b) => time(a) - time(b));
    for (const step of sorted) this.upsert({ ...step, streaming: false });
  }

  /** Add the steps of a persisted thread that are not known yet, leaving the others. */
  addMissing(steps: StepDict[]): void {
    const sorted = [...steps].sort((a, b) => time(a) - time(b));
    for (const step of sorted) if (step.id && !this.nodes.has(step.id)) this.upsert({ ...step, streaming: false });
  }

  snapshot(): TreeSnapshot {
    if (!this.dirty) return this.last;
    this.last = { nodes: new Map(this.nodes), roots: this.roots, kids: new Map(this.kids) };
    this.freshNodes.clear();
    this.freshKids.clear();
    this.freshRoots = false;
    this.dirty = false;
    return this.last;
  }

  private mutableNode(id: string): Step | undefined {
    const node = this.nodes.get(id);
    if (!node) return undefined;
    this.dirty = true;
    if (this.freshNodes.has(id)) return node;
    const copy = { ...node };
    this.nodes.set(id, copy);
    this.freshNodes.add(id);
    return copy;
  }

  private mutableKids(id: string): string[] {
    const list = this.kids.get(id);
    if (list && this.freshKids.has(id)) return list;
    const copy = list ? [...list] : [];
    this.kids.set(id, copy);
    this.freshKids.add(id);
    return copy;
  }

  private mutableRoots(): string[] {
    if (!this.freshRoots) {
      this.roots = [...this.roots];
      this.freshRoots = true;
    }
    return this.roots;
  }
}

function time(step: StepDict): number {
  const value = step.createdAt ?? step.start;
  const parsed = value ? Date.parse(value) : NaN;
  return Number.isNaN(parsed) ? 0 : parsed;
}
