/**
 * The segment builder's editable tree and the API's rule JSON, both ways. Pure: no React, so it is
 * unit-tested directly (test/web/rules.test.ts).
 */
import type { paths } from './api/schema.js';

type Fields = paths['/api/v1/segments/fields']['get']['responses'][200]['content']['application/json'];
/** A field a rule can test, as GET /segments/fields describes it. */
export type FieldInfo = Fields['fields'][number];
export type FieldType = FieldInfo['type'];

export type Value = null | number | string | (number | string)[];

export interface OrderWhere {
  category?: string[];
  activity?: string[];
  from?: string;
  to?: string;
}

export interface CondNode {
  id: string;
  kind: 'cond';
  field: string;
  op: string;
  value: Value;
  where?: OrderWhere;
}

export interface GroupNode {
  id: string;
  kind: 'group';
  mode: 'all' | 'any';
  negate: boolean;
  children: Node[];
}

export type Node = CondNode | GroupNode;

let seq = 0;
export const nodeId = () => `n${++seq}`;

/** Operators that take no value. */
export const NO_VALUE = new Set(['is_empty', 'is_not_empty', 'is_true', 'is_false', 'exists', 'not_exists']);

/** A sensible first value for a field and operator (money in fen). */
export function defaultValue(type: FieldType, op: string, values?: string[]): Value {
  if (NO_VALUE.has(op)) return null;
  if (op === 'in' || op === 'not_in' || type === 'set') return [];
  if (op === 'between') return type === 'date' ? [] : [0, 0];
  if (type === 'date') return op === 'within_last_days' || op === 'not_within_last_days' ? 30 : '';
  if (type === 'enum') return values?.[0] ?? '';
  if (type === 'text') return '';
  if (type === 'month') return 1;
  if (type === 'orders') return 1;
  return 0;
}

export function newCondition(field?: FieldInfo): CondNode {
  if (!field) return { id: nodeId(), kind: 'cond', field: '', op: '', value: null };
  const op = field.operators[0]!;
  return { id: nodeId(), kind: 'cond', field: field.name, op, value: defaultValue(field.type, op, field.values) };
}

/** What a condition still lacks before it counts: a field, or a value; null when it is complete. */
export function missingPart(node: CondNode): 'field' | 'value' | null {
  if (!node.field || !node.op) return 'field';
  if (NO_VALUE.has(node.op)) return null;
  const v = node.value;
  if (v === null || v === '' || (Array.isArray(v) && (v.length === 0 || v.some((x) => x === '' || x === null))))
    return 'value';
  return null;
}

/** The incomplete conditions of a tree, numbered in reading order from 1. */
export function incompleteConditions(node: Node): { index: number; missing: 'field' | 'value' }[] {
  const out: { index: number; missing: 'field' | 'value' }[] = [];
  let i = 0;
  const walk = (n: Node) => {
    if (n.kind === 'group') return n.children.forEach(walk);
    i += 1;
    const missing = missingPart(n);
    if (missing) out.push({ index: i, missing });
  };
  walk(node);
  return out;
}

export function newGroup(mode: 'all' | 'any' = 'all', children: Node[] = []): GroupNode {
  return { id: nodeId(), kind: 'group', mode, negate: false, children };
}

/** The API's JSON for a tree; null when the tree has no complete condition yet (incomplete ones wait). */
export function toRule(node: Node): unknown {
  if (node.kind === 'cond') {
    if (missingPart(node)) return null;
    const out: Record<string, unknown> = { field: node.field, op: node.op };
    if (!NO_VALUE.has(node.op)) out.value = node.value;
    if (node.where) {
      const w = Object.fromEntries(
        Object.entries(node.where).filter(
          ([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0),
        ),
      );
      if (Object.keys(w).length) out.where = w;
    }
    return out;
  }
  const children = node.children.map(toRule).filter((r) => r !== null);
  if (children.length === 0) return null;
  const inner = { [node.mode]: children };
  return node.negate ? { not: inner } : inner;
}

/** A tree from the API's JSON (a saved segment), so it can be edited. */
export function fromRule(rule: unknown): GroupNode {
  const node = parse(rule);
  return node.kind === 'group' ? node : newGroup('all', [node]);
}

function parse(r: unknown): Node {
  if (typeof r !== 'object' || r === null) throw new Error('not a rule');
  const o = r as Record<string, unknown>;
  if (Array.isArray(o.all)) return newGroup('all', o.all.map(parse));
  if (Array.isArray(o.any)) return newGroup('any', o.any.map(parse));
  if ('not' in o) {
    const inner = parse(o.not);
    const g = inner.kind === 'group' ? inner : newGroup('all', [inner]);
    return { ...g, negate: !g.negate };
  }
  return {
    id: nodeId(),
    kind: 'cond',
    field: String(o.field),
    op: String(o.op),
    value: (o.value ?? null) as Value,
    where: o.where as OrderWhere | undefined,
  };
}

/** Number of conditions in a tree. */
export function conditionCount(node: Node): number {
  return node.kind === 'cond' ? 1 : node.children.reduce((a, c) => a + conditionCount(c), 0);
}

/** A copy of the tree with one node replaced (or removed, when `next` is null). */
export function replaceNode(root: GroupNode, id: string, next: Node | null): GroupNode {
  const walk = (n: Node): Node | null => {
    if (n.id === id) return next;
    if (n.kind === 'cond') return n;
    return { ...n, children: n.children.map(walk).filter((c): c is Node => c !== null) };
  };
  return walk(root) as GroupNode;
}
