import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { orderHash } from '../../src/core/order-hash.js';
import { orderRecord } from '../support/records.js';

const record = orderRecord({
  externalId: 'T1',
  createdAt: '2026-03-01T02:00:00.000Z',
  paidFen: 12800,
  buyer: { nick: '阿狸', externalId: null, email: null, phone: '13800001234', name: null },
  raw: { 备注: 'x' },
});

describe('order content hash', () => {
  it('is the fingerprint databases already store (sha1 of the record without its line)', () => {
    const { line: _line, ...content } = record;
    const stored = createHash('sha1').update(JSON.stringify(content)).digest('base64url');
    expect(orderHash(record)).toBe(stored);
  });

  it('is the same when the read thread computed it and sent the record as JSON, whatever the line', () => {
    const sent = JSON.parse(JSON.stringify({ ...record, line: 99, contentHash: orderHash(record) }));
    expect(sent.contentHash).toBe(orderHash(record));
    expect(orderHash(sent)).toBe(orderHash(record));
  });

  it('changes with the content', () => {
    expect(orderHash({ ...record, status: 'refunded' })).not.toBe(orderHash(record));
  });
});
