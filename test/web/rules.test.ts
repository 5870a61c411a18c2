import { describe, expect, it } from 'vitest';
import { parseRule } from '../../src/core/segments/rule.js';
import {
  conditionCount,
  fromRule,
  newCondition,
  newGroup,
  replaceNode,
  toRule,
  type FieldInfo,
} from '../../web/src/rules.js';

const money: FieldInfo = { name: 'total_spent', type: 'money', operators: ['gte', 'between', 'is_empty'] };

describe('segment builder tree ↔ rule JSON', () => {
  it('a saved rule with nesting and a negation comes back unchanged after editing nothing', () => {
    const rule = {
      all: [
        { field: 'total_spent', op: 'gte', value: 50000 },
        {
          any: [
            { field: 'province', op: 'in', value: ['浙江省', '江苏省'] },
            { field: 'tags', op: 'has_any', value: ['VIP'] },
          ],
        },
        { not: { all: [{ field: 'is_blacklisted', op: 'is_true' }] } },
        { field: 'orders', op: 'count_gte', value: 2, where: { activity: ['双11 2026'] } },
      ],
    };
    const tree = fromRule(rule);
    expect(conditionCount(tree)).toBe(5);
    expect(toRule(tree)).toEqual(rule);
    // And what the builder writes is a rule the server accepts.
    expect(() => parseRule(toRule(tree))).not.toThrow();
  });

  it('a negated single condition becomes a negated group the editor can show', () => {
    const tree = fromRule({ not: { field: 'is_blacklisted', op: 'is_true' } });
    expect(tree).toMatchObject({ kind: 'group', negate: true, children: [{ kind: 'cond', field: 'is_blacklisted' }] });
    expect(toRule(tree)).toEqual({ not: { all: [{ field: 'is_blacklisted', op: 'is_true' }] } });
  });

  it('empty groups and value-less operators leave nothing invalid behind', () => {
    const cond = { ...newCondition(money), op: 'is_empty', value: 5 };
    const tree = newGroup('all', [cond, newGroup('any', [])]);
    expect(toRule(tree)).toEqual({ all: [{ field: 'total_spent', op: 'is_empty' }] });
    expect(toRule(newGroup('all', []))).toBeNull();
  });

  it('replacing and removing a node changes only that node', () => {
    const a = newCondition(money);
    const b = newCondition(money);
    const tree = newGroup('all', [a, newGroup('any', [b])]);
    const changed = replaceNode(tree, b.id, { ...b, value: 100 });
    expect(toRule(changed)).toEqual({
      all: [{ field: 'total_spent', op: 'gte', value: 0 }, { any: [{ field: 'total_spent', op: 'gte', value: 100 }] }],
    });
    expect(toRule(replaceNode(tree, a.id, null))).toEqual({
      all: [{ any: [{ field: 'total_spent', op: 'gte', value: 0 }] }],
    });
    expect(toRule(tree)).toEqual({
      all: [{ field: 'total_spent', op: 'gte', value: 0 }, { any: [{ field: 'total_spent', op: 'gte', value: 0 }] }],
    });
  });
});
