import { createHash } from 'node:crypto';
import type { OrderRecord } from './formats/types.js';

/**
 * The fingerprint of an order's content (everything but the file line it came from): a re-import
 * of an unchanged order is recognised by it and writes nothing. The import's read thread computes
 * it beside the mapping (OrderRecord.contentHash), off the thread that writes to the database.
 */
export function orderHash(o: OrderRecord): string {
  const { line: _line, contentHash: _hash, ...content } = o;
  return createHash('sha1').update(JSON.stringify(content)).digest('base64url');
}
