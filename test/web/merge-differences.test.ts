import { expect, it } from 'vitest';
import { mergeDifferences } from '../../web/src/pages/customers/merge-differences.js';

const contact = (realName: string | null, phone: string | null, email: string | null) => ({ realName, phone, email });

it('names each contact detail the two customers both give and give differently', () => {
  expect(mergeDifferences(contact('张三', '13800001234', 'a@x.cn'), contact('李四', '13900005678', 'a@x.cn'))).toEqual([
    { field: 'realName', into: '张三', from: '李四' },
    { field: 'phone', into: '13800001234', from: '13900005678' },
  ]);
});

it('a detail only one of them gives, or the same one spaced or cased otherwise, is no difference', () => {
  expect(mergeDifferences(contact('张三', null, 'A@X.cn'), contact(null, '13800001234', ' a@x.cn'))).toEqual([]);
  expect(mergeDifferences(contact('张 三', '138 0000 1234', null), contact('张三', '13800001234', null))).toEqual([]);
});

it('masked phones that differ are still told apart', () => {
  expect(mergeDifferences(contact(null, '138****1234', null), contact(null, '139****1234', null))).toEqual([
    { field: 'phone', into: '138****1234', from: '139****1234' },
  ]);
});
