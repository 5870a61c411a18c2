import type { FormatSpec } from './engine.js';

/**
 * Taobao / Tmall 订单报表 and 宝贝报表 as sellers download them from 千牛 / 卖家中心. Column names
 * drift between export versions; every known spelling is listed.
 */
export const taobaoOrders: FormatSpec = {
  format: 'taobao',
  label: '淘宝/天猫订单报表 (Taobao orders export)',
  rows: 'one',
  output: 'orders',
  digitIds: true,
  required: ['externalId', 'status', 'createdAt'],
  aliases: {
    externalId: ['订单编号', '订单号', '主订单编号', '订单ID'],
    buyerNick: ['买家会员名', '买家昵称', '买家账号', '买家旺旺', '旺旺名'],
    buyerId: ['买家ID', '买家会员ID', '买家openuid', '买家OpenUid', 'OAID'],
    buyerEmail: ['买家邮箱'],
    goods: ['买家应付货款', '商品金额', '货款', '宝贝总金额'],
    shipping: ['买家应付邮费', '邮费', '运费'],
    total: ['总金额', '订单金额', '应付金额', '买家应付金额'],
    paid: ['买家实际支付金额', '买家实付金额', '实付金额', '实收款', '买家实际支付'],
    discount: ['优惠金额', '店铺优惠', '折扣金额'],
    refund: ['退款金额', '退款总金额'],
    status: ['订单状态', '交易状态'],
    buyerMessage: ['买家留言', '买家备注'],
    receiverName: ['收货人姓名', '收货人', '收件人'],
    address: ['收货地址', '收货人地址', '详细地址', '收货地址 '],
    receiverPhone: ['联系手机', '手机', '收货人手机', '收货人手机号', '手机号'],
    receiverLandline: ['联系电话', '固定电话'],
    createdAt: ['订单创建时间', '创建时间', '下单时间', '拍下时间'],
    paidAt: ['订单付款时间', '付款时间', '支付时间', '订单付款时间 '],
    shippedAt: ['发货时间', '卖家发货时间'],
    signedAt: ['确认收货时间', '签收时间', '交易成功时间'],
    closedAt: ['订单关闭时间', '交易关闭时间'],
    title: ['宝贝标题', '商品标题', '宝贝标题 '],
    itemCount: ['宝贝总数量', '商品数量', '宝贝数量'],
    sellerNote: ['订单备注', '商家备注', '卖家备注'],
    source: ['订单来源', '来源渠道', '渠道'],
    activity: ['活动', '营销活动', '活动标签'],
  },
};

export const taobaoItems: FormatSpec = {
  format: 'taobao-items',
  label: '淘宝/天猫宝贝报表 (Taobao order items export)',
  rows: 'group',
  output: 'items',
  digitIds: true,
  required: ['externalId', 'itemTitle'],
  aliases: {
    externalId: ['订单编号', '主订单编号', '订单号'],
    itemLineId: ['子订单编号', '子订单号'],
    itemTitle: ['标题', '宝贝标题', '商品标题', '商品名称'],
    itemPrice: ['价格', '单价', '商品价格'],
    itemQuantity: ['购买数量', '数量', '宝贝数量'],
    itemSku: ['商家编码', '商品编码', '外部系统编号', 'SKU编码'],
    itemId: ['商品ID', '宝贝ID', '商品id'],
    itemAttrs: ['商品属性', '销售属性', 'SKU属性', '套餐信息'],
    itemCategory: ['类目', '商品类目', '宝贝类目'],
    itemPaid: ['实付金额', '买家实付金额', '子订单实付金额'],
    itemRefundStatus: ['退款状态', '售后状态'],
    status: ['订单状态'],
  },
};
