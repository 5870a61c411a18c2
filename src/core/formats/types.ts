import type { Reason } from '../reasons.js';
import type { OrderStatus } from '../order-status.js';

/** What an import format produces from rows: orders (with their lines when the file has them). */
export interface ItemRecord {
  lineKey: string;
  title: string | null;
  sku: string | null;
  externalItemId: string | null;
  category: string | null;
  quantity: number;
  priceFen: number;
  paidFen: number | null;
  refundStatus: string | null;
}

export interface BuyerRef {
  nick: string | null;
  externalId: string | null;
  email: string | null;
  phone: string | null;
  name: string | null;
}

export interface OrderRecord {
  line: number;
  externalId: string;
  status: OrderStatus;
  platformStatus: string | null;
  createdAt: string;
  paidAt: string | null;
  shippedAt: string | null;
  signedAt: string | null;
  closedAt: string | null;
  goodsFen: number;
  shippingFen: number;
  discountFen: number;
  totalFen: number;
  paidFen: number;
  refundedFen: number;
  buyer: BuyerRef;
  receiverName: string | null;
  receiverPhone: string | null;
  province: string | null;
  city: string | null;
  district: string | null;
  address: string | null;
  buyerMessage: string | null;
  sellerNote: string | null;
  source: string | null;
  activity: string | null;
  /** 'credit': a credit note / cancellation document, a refund of its own (default 'order'). */
  kind?: 'order' | 'credit';
  /** The export id of the order a credit note cancels, when the file names one. */
  creditOf?: string | null;
  /** A coupon or discount code the buyer used, when the export carries one. */
  couponCode?: string | null;
  title: string | null;
  itemCount: number | null;
  acceptsMarketing: boolean | null;
  /** null: the file says nothing about lines (keep what is stored). */
  items: ItemRecord[] | null;
  raw: Record<string, string>;
  /** orderHash(this), when the import's read thread computed it already (core/order-hash.ts). */
  contentHash?: string;
  /** buyerPinyin(this) (core/buyer-names.ts), when the import's read thread computed it already. */
  namePinyin?: string | null;
}

/** Lines of an order already imported (Taobao 宝贝报表). */
export interface ItemsRecord {
  line: number;
  orderExternalId: string;
  items: ItemRecord[];
  /** File rows the record was read from. */
  rows?: number;
}

export interface RowError {
  line: number;
  column: string | null;
  /** In English, for the API and logs. */
  reason: string;
  value: string | null;
  /** The reason as a key of core/reasons.ts and its parameters, for the console and exports in the reader's
   * language. */
  why?: Reason;
}

export type AdapterOutput =
  | { kind: 'order'; order: OrderRecord }
  | { kind: 'items'; items: ItemsRecord }
  /** rows: how many file rows the rejected order spans (an order of three lines is three rows). */
  | { kind: 'error'; error: RowError; rows?: number };

export const IMPORT_FORMATS = ['taobao', 'taobao-items', 'shopify', 'douyin', 'jd', 'generic'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
