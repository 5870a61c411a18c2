import { describe, expect, it } from 'vitest';
import { campaignInput } from '../../src/modules/campaigns/schema.js';

const base = {
  name: '双12 老客',
  segmentId: 'sys:returning',
  variants: [{ key: 'A', content: { text: '#客户昵称#，双12 见 #链接#' } }],
  linkUrl: 'https://shop.example.com/12',
};
const refused = (over: Record<string, unknown>) => {
  const r = campaignInput.safeParse({ ...base, ...over });
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('a campaign as saved: what it names is of a sane size', () => {
  it('a segment id, a link and a budget within bounds (a 1,000-character segment id, a 200 kB link were taken)', () => {
    expect(refused({})).toEqual([]);
    expect(refused({ segmentId: `sys:source:${'x'.repeat(1000)}` })).toEqual(['segmentId']);
    expect(refused({ linkUrl: `https://shop.example.com/${'a'.repeat(2000)}` })).toEqual(['linkUrl']);
    expect(refused({ budgetFen: 2 ** 53 - 1 })).toEqual(['budgetFen']);
    expect(refused({ budgetFen: 100_000_00 })).toEqual([]);
  });
});
