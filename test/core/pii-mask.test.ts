import { describe, expect, it } from 'vitest';
import {
  looksLikeStreetAddress,
  maskAddress,
  maskAs,
  maskEmail,
  maskName,
  maskRawColumns,
  maskText,
  piiColumnKind,
} from '../../src/core/pii-mask.js';

describe('masking personal data', () => {
  it('masks names, e-mails and addresses keeping only what identifies nobody', () => {
    expect(maskName('李丽')).toBe('李*');
    expect(maskName('Amy Zhang')).toBe('A** Z****');
    expect(maskName('张*')).toBe('张*');
    expect(maskEmail('amy@example.com')).toBe('a***@example.com');
    expect(maskAddress('浙江省 杭州市 西湖区 文三路 138 号(310012)')).toBe('浙江省 杭州市 西湖区 ****');
    expect(maskAddress('河南郑州市金水区花园路 1 号')).toBe('河南郑州市金水区 ****');
    expect(maskAddress('阳光小区 5 栋 301 室')).toBe('****');
    expect(maskAddress('88 Nanjing Rd')).toBe('****');
  });

  it('knows the personal columns of each export format by their headers', () => {
    // Taobao / Tmall (fixtures/taobao-orders-gbk.csv and newer exports)
    expect(piiColumnKind('买家支付宝账号')).toBe('account');
    expect(piiColumnKind('收货人姓名')).toBe('name');
    expect(piiColumnKind('联系手机')).toBe('phone');
    expect(piiColumnKind('联系电话 ')).toBe('phone');
    expect(piiColumnKind('收货地址 ')).toBe('address');
    expect(piiColumnKind('修改后的收货地址')).toBe('address');
    // Shopify
    for (const h of ['Billing Name', 'Shipping Name']) expect(piiColumnKind(h)).toBe('name');
    for (const h of ['Billing Phone', 'Shipping Phone', 'Phone']) expect(piiColumnKind(h)).toBe('phone');
    for (const h of ['Billing Street', 'Billing Address1', 'Billing Address2', 'Shipping Address1', 'Shipping Street'])
      expect(piiColumnKind(h)).toBe('address');
    for (const h of ['Billing Zip', 'Shipping Zip']) expect(piiColumnKind(h)).toBe('postcode');
    expect(piiColumnKind('Email')).toBe('email');
    // JD and 抖店
    expect(piiColumnKind('客户姓名')).toBe('name');
    expect(piiColumnKind('客户地址')).toBe('address');
    expect(piiColumnKind('下单帐号')).toBe('account');
    expect(piiColumnKind('收件人手机号')).toBe('phone');
    expect(piiColumnKind('街道')).toBe('address');
    // Not personal: order, goods and shop columns
    for (const h of [
      'Lineitem name',
      'Name',
      'Shipping Method',
      'Shipping City',
      'Accepts Marketing',
      '店铺名称',
      '商品名称',
      '物流单号 ',
      '宝贝标题 ',
      '订单编号',
    ])
      expect(piiColumnKind(h), h).toBeNull();
  });

  it('masks phones and e-mails inside free text, and a text that reads as an address', () => {
    expect(maskText('请联系 13812345678 或 amy@example.com')).toBe('请联系 138****5678 或 a***@example.com');
    expect(maskText('+86 139 1234 5678')).toBe('139****5678');
    expect(maskText('="13800138000"')).toBe('="138****8000"');
    expect(maskText('0571-88888888')).toBe('057****8888');
    expect(maskText('+44 20 7946 0958')).toBe('442****0958');
    expect(maskText('改送 上海市浦东新区张江路 88 号')).toBe('改送 上海市浦东新区 ****');
    expect(looksLikeStreetAddress('88 Nanjing Rd')).toBe(true);
    // Ids, amounts and times are not phones
    for (const v of [
      '4012345678901242488',
      'YT8901242488',
      'SF13812345678',
      '299.00',
      '2025-11-11 00:01:23',
      '圆通速递',
    ])
      expect(maskText(v), v).toBe(v);
  });

  it('masks the raw columns of a Taobao order: known ones by kind, unknown ones by their look', () => {
    const raw = {
      买家支付宝账号: 'lili@163.com',
      '联系电话 ': '0571-88886666',
      修改后的收货地址: '浙江省 杭州市 西湖区 文三路 200 号',
      '物流单号 ': '="YT8901242488"',
      物流公司: '圆通速递',
      店铺名称: '回客旗舰店',
      备用联系方式2: '13912345678',
      自定义列: '送到 88 Nanjing Rd',
      订单备注: '买家说电话 15800001111 打不通',
    };
    expect(maskRawColumns(raw)).toEqual({
      买家支付宝账号: 'l***@163.com',
      '联系电话 ': '057****6666',
      修改后的收货地址: '浙江省 杭州市 西湖区 ****',
      '物流单号 ': '="YT8901242488"',
      物流公司: '圆通速递',
      店铺名称: '回客旗舰店',
      备用联系方式2: '139****5678',
      自定义列: '****',
      订单备注: '买家说电话 158****1111 打不通',
    });
  });

  it('masks the raw columns of a Shopify order', () => {
    const raw = {
      'Billing Name': 'Amy Zhang',
      'Billing Street': '88 Nanjing Rd',
      'Billing Address1': '88 Nanjing Rd',
      'Billing Address2': 'Apt 5',
      'Billing Zip': '200000',
      'Billing Phone': '+86 139 1234 5678',
      'Billing City': 'Shanghai',
      'Shipping Method': 'SF',
      'Lineitem name': 'Silk scarf',
      'Accepts Marketing': 'yes',
    };
    expect(maskRawColumns(raw)).toEqual({
      'Billing Name': 'A** Z****',
      'Billing Street': '****',
      'Billing Address1': '****',
      'Billing Address2': '****',
      'Billing Zip': '20****',
      'Billing Phone': '139****5678',
      'Billing City': 'Shanghai',
      'Shipping Method': 'SF',
      'Lineitem name': 'Silk scarf',
      'Accepts Marketing': 'yes',
    });
  });

  it('leaves values the marketplace already masked as they are, and masks numbers that are phones', () => {
    expect(maskAs('phone', '159****0001')).toBe('159****0001');
    expect(maskAs('address', '湖北省武汉市****')).toBe('湖北省武汉市****');
    expect(maskRawColumns({ 手机号码: 13812345678, 件数: 3, 其他: 13812345678 })).toEqual({
      手机号码: '138****5678',
      件数: 3,
      其他: '138****5678',
    });
  });
});
