import { reason } from '../reasons.js';
import { Invalid } from '../errors.js';
import { douyinOrders, jdOrders } from './douyin-jd.js';
import type { FormatSpec } from './engine.js';
import { genericSpec } from './generic.js';
import { shopifyOrders } from './shopify.js';
import { taobaoItems, taobaoOrders } from './taobao.js';
import type { ImportFormat } from './types.js';

export { ExportReader, type FormatSpec } from './engine.js';
export * from './types.js';

const BUILT_IN: Record<Exclude<ImportFormat, 'generic'>, FormatSpec> = {
  taobao: taobaoOrders,
  'taobao-items': taobaoItems,
  shopify: shopifyOrders,
  douyin: douyinOrders,
  jd: jdOrders,
};

/** The spec of a format; `generic` needs a column mapping. */
export function specFor(format: ImportFormat, mapping?: unknown): FormatSpec {
  if (format === 'generic') {
    if (mapping === undefined)
      throw new Invalid(
        'The generic format needs a column mapping (--mapping FILE.json)',
        reason('import.mappingRequired'),
      );
    return genericSpec(mapping);
  }
  return BUILT_IN[format];
}
