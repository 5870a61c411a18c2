import { expect, it } from 'vitest';
import { auditDetailsText } from '../../web/src/pages/audit-details.js';

it('reads what was sent field by field in the reader’s words, without the status and the route parameters', () => {
  const details = {
    status: 201,
    params: { id: '01M8ABC' },
    body: { points: 100, reason: '客服补偿', add: ['VIP', '高复购'], enabled: true },
  };
  expect(auditDetailsText(details, 'zh-CN', { yes: '是', no: '否' })).toBe(
    '积分：100；原因：客服补偿；要添加的：VIP、高复购；启用：是',
  );
  expect(auditDetailsText(details, 'en', { yes: 'yes', no: 'no' })).toBe(
    'points: 100; reason: 客服补偿; to add: VIP, 高复购; enabled: yes',
  );
});

it('a nested value is compact JSON, cut when long; nothing sent is nothing shown', () => {
  const rule = { all: Array.from({ length: 20 }, (_, i) => ({ field: 'paid_orders', op: 'gte', value: i })) };
  const yesNo = { yes: '是', no: '否' };
  const text = auditDetailsText({ status: 200, body: { rule } }, 'zh-CN', yesNo);
  expect(text.startsWith('规则：{"all":[')).toBe(true);
  expect(text.endsWith('…')).toBe(true);
  expect(auditDetailsText({ status: 200 }, 'zh-CN', yesNo)).toBe('');
  expect(auditDetailsText(null, 'en', yesNo)).toBe('');
});
