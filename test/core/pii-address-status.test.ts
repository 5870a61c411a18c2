import { describe, expect, it } from 'vitest';
import { normalizeProvince, splitAddress } from '../../src/core/address.js';
import {
  isOlderState,
  mapChineseStatus,
  mapShopifyStatus,
  mayAdvance,
  refineClosed,
} from '../../src/core/order-status.js';
import { identifierOrNull, isMasked, maskPhone, normalizeCnMobile, normalizeEmail } from '../../src/core/pii.js';
import { cleanCell, cleanHeader, looksLikeExcelNumber } from '../../src/core/formats/cells.js';

describe('personal data', () => {
  it('a masked value is never an identifier', () => {
    expect(isMasked('138****1234')).toBe(true);
    expect(isMasked('张*')).toBe(true);
    expect(normalizeCnMobile('138****1234')).toBeNull();
    expect(identifierOrNull('t**9')).toBeNull();
    expect(normalizeEmail('a***@x.com')).toBeNull();
  });
  it('normalises mainland mobiles', () => {
    expect(normalizeCnMobile('+86 138 1234 5678')).toBe('13812345678');
    expect(normalizeCnMobile('0086-13812345678')).toBe('13812345678');
    expect(normalizeCnMobile('8613812345678')).toBe('13812345678');
    expect(normalizeCnMobile('12812345678')).toBeNull();
    expect(normalizeCnMobile('0571-88888888')).toBeNull();
  });
  it('takes Excel\'s text guards off phones (\'13800138000, ="…")', () => {
    expect(normalizeCnMobile("'13800138000")).toBe('13800138000');
    expect(normalizeCnMobile("'+86 138-0013-8000")).toBe('13800138000');
    expect(normalizeCnMobile('="13800138000"')).toBe('13800138000');
    expect(normalizeCnMobile("'0086 13800138000")).toBe('13800138000');
  });
  it('masks phones for display', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone(null)).toBeNull();
  });
  it('normalises emails', () => {
    expect(normalizeEmail(' Amy@Example.COM ')).toBe('amy@example.com');
    expect(normalizeEmail('not an email')).toBeNull();
  });
});

describe('addresses', () => {
  it('splits Taobao addresses with spaces and postcode', () => {
    expect(splitAddress('浙江省 杭州市 西湖区 文三路 138 号(310012)')).toEqual({
      province: '浙江省',
      city: '杭州市',
      district: '西湖区',
      address: '文三路 138 号',
    });
  });
  it('splits addresses without spaces and with short names', () => {
    expect(splitAddress('河南郑州市金水区花园路 1 号')).toEqual({
      province: '河南省',
      city: '郑州市',
      district: '金水区',
      address: '花园路 1 号',
    });
    expect(splitAddress('广东 深圳 南山区 科技园')).toEqual({
      province: '广东省',
      city: '深圳市',
      district: '南山区',
      address: '科技园',
    });
  });
  it('handles municipalities, autonomous regions and masked tails', () => {
    expect(splitAddress('北京 北京市 朝阳区 建国路 88 号')).toMatchObject({
      province: '北京市',
      city: '北京市',
      district: '朝阳区',
    });
    expect(splitAddress('上海市浦东新区****')).toMatchObject({
      province: '上海市',
      city: '上海市',
      district: '浦东新区',
      address: '****',
    });
    expect(splitAddress('新疆维吾尔自治区 乌鲁木齐市 天山区 解放北路 1 号')).toMatchObject({
      province: '新疆维吾尔自治区',
      city: '乌鲁木齐市',
      district: '天山区',
    });
    expect(splitAddress('内蒙古 呼和浩特市 新城区 x')).toMatchObject({ province: '内蒙古自治区', city: '呼和浩特市' });
  });
  it('keeps what it cannot place as the address', () => {
    expect(splitAddress('88 Nanjing Rd')).toEqual({
      province: null,
      city: null,
      district: null,
      address: '88 Nanjing Rd',
    });
    expect(splitAddress('')).toEqual({ province: null, city: null, district: null, address: null });
  });
  it('normalises province names (广东 ↔ 广东省)', () => {
    expect(normalizeProvince('广东')).toBe('广东省');
    expect(normalizeProvince('广西')).toBe('广西壮族自治区');
    expect(normalizeProvince('SH')).toBeNull();
  });
});

describe('order statuses', () => {
  it('maps the Chinese status words of several export versions', () => {
    expect(mapChineseStatus('等待买家付款')).toBe('created');
    expect(mapChineseStatus('买家已付款，等待卖家发货')).toBe('paid');
    expect(mapChineseStatus('买家已付款,等待卖家发货')).toBe('paid');
    expect(mapChineseStatus('卖家已发货，等待买家确认')).toBe('shipped');
    expect(mapChineseStatus('交易成功')).toBe('completed');
    expect(mapChineseStatus('交易关闭')).toBe('closed');
    expect(mapChineseStatus('神秘状态')).toBeNull();
  });
  it('a paid order closed with a full refund is a refund; an unpaid one stays closed', () => {
    expect(refineClosed('closed', '2026-01-01T00:00:00.000Z', 100, 100)).toBe('refunded');
    expect(refineClosed('closed', null, 0, 0)).toBe('closed');
    expect(refineClosed('closed', '2026-01-01T00:00:00.000Z', 100, 30)).toBe('closed');
  });
  it('never moves an order backwards', () => {
    expect(mayAdvance('paid', 'shipped')).toBe(true);
    expect(mayAdvance('completed', 'paid')).toBe(false);
    expect(mayAdvance('completed', 'refunded')).toBe(true);
    expect(mayAdvance('shipped', 'shipped')).toBe(true);
  });
  it('reads Shopify financial and fulfillment statuses', () => {
    expect(mapShopifyStatus('paid', 'fulfilled', false)).toBe('shipped');
    expect(mapShopifyStatus('paid', '', false)).toBe('paid');
    expect(mapShopifyStatus('pending', 'unfulfilled', false)).toBe('created');
    expect(mapShopifyStatus('paid', '', true)).toBe('closed');
    expect(mapShopifyStatus('refunded', 'fulfilled', false)).toBe('refunded');
    expect(mapShopifyStatus('weird', '', false)).toBeNull();
  });
});

describe('export cells', () => {
  it('cleans Excel guards, tabs and trailing spaces', () => {
    expect(cleanCell('="4012345678901234567"')).toBe('4012345678901234567');
    expect(cleanCell('13812345678\t')).toBe('13812345678');
    expect(cleanCell('  交易成功 ')).toBe('交易成功');
    expect(cleanCell(null)).toBe('');
    expect(cleanCell("'13800138000")).toBe('13800138000');
    expect(cleanCell("'021-5555 1234\t")).toBe('021-5555 1234');
    expect(cleanCell("'小明")).toBe("'小明");
    expect(cleanHeader('收货地址 ')).toBe('收货地址');
  });
  it('spots ids Excel turned into numbers', () => {
    expect(looksLikeExcelNumber('5.11861E+18')).toBe(true);
    expect(looksLikeExcelNumber('4012345678901234567')).toBe(false);
  });
});

describe('which export of an order is newer', () => {
  const p = (over: Partial<Parameters<typeof isOlderState>[0]>) => ({
    status: 'shipped' as const,
    paidAt: '2026-06-01T02:00:00.000Z',
    shippedAt: '2026-06-02T02:00:00.000Z',
    signedAt: null,
    closedAt: null,
    refundedFen: 0,
    ...over,
  });
  it('by status rank, then latest event time, then refunds; the same state is not older', () => {
    expect(isOlderState(p({ status: 'signed' }), p({}))).toBe(true);
    expect(isOlderState(p({}), p({ status: 'signed' }))).toBe(false);
    expect(isOlderState(p({ shippedAt: '2026-06-05T02:00:00.000Z' }), p({}))).toBe(true);
    expect(isOlderState(p({ refundedFen: 500 }), p({}))).toBe(true);
    expect(isOlderState(p({}), p({}))).toBe(false);
    expect(isOlderState(p({ status: 'created', paidAt: null, shippedAt: null }), p({}))).toBe(false);
  });
});
