import { CITY_TIERS, monthWindowLabel } from '../../core/analytics-views.js';
import type { AppContext } from '../context.js';
import type { Kind, Table } from '../tables.js';
import {
  cohorts,
  daily,
  distribution,
  effects,
  overview,
  products,
  provincesInRange,
  repurchase,
  timing,
} from './reads.js';
import type { EXPORT_VIEWS } from './schema.js';
import type { Scope } from './views.js';

/**
 * Every table of the 数据分析 page as CSV (one block per table) or XLSX (one sheet per table).
 * Cells go through the formula neutraliser (core/csv.ts): a product called "=HYPERLINK(…)" stays text.
 */

const col = (name: string, kind: Kind = 'int') => ({ name, kind });
const yuan = (fen: number | null) => (fen === null ? null : fen / 100);

const BAND_NAMES: Record<string, string> = {
  female: '女',
  male: '男',
  unknown: '未知',
  tier1: '一线',
  newTier1: '新一线',
  tier2: '二线',
  'tier3+': '三线及以下',
};

export async function viewTables(
  ctx: AppContext,
  ws: string,
  view: (typeof EXPORT_VIEWS)[number],
  s: Scope,
): Promise<Table[]> {
  if (view === 'overview') {
    const v = await overview(ctx, ws, s);
    const k = v.kpis;
    return [
      {
        title: `会员概况 ${v.from}~${v.to}`,
        columns: [col('指标', 'text'), col('本期', 'num'), col('上期', 'num'), col('去年同期', 'num')],
        rows: (
          [
            ['成交会员人数', 'buyers', 1],
            ['成交金额(元)', 'revenueFen', 100],
            ['订单数', 'orders', 1],
            ['客单价(元)', 'aovFen', 100],
            ['老会员成交人数', 'returningBuyers', 1],
            ['老会员成交人数占比', 'returningBuyerShare', 1],
            ['老会员成交金额占比', 'returningRevenueShare', 1],
            ['新会员成交人数', 'newBuyers', 1],
          ] as const
        ).map(([name, key, div]) => [name, k[key] / div, v.previous.kpis[key] / div, v.yearAgo.kpis[key] / div]),
      },
      {
        title: '付款',
        columns: [
          col('下单数'),
          col('付款数'),
          col('付款率', 'pct'),
          col('催付挽回订单'),
          col('挽回金额(元)', 'money'),
        ],
        rows: [
          [
            v.payment.createdOrders,
            v.payment.paidOrders,
            v.payment.paymentRate,
            v.payment.recoveredOrders,
            yuan(v.payment.recoveredFen),
          ],
        ],
      },
    ];
  }
  if (view === 'repurchase') {
    const v = await repurchase(ctx, ws, s);
    return [
      {
        title: '月度复购率',
        columns: [
          col('月份', 'text'),
          col('成交会员'),
          col('复购会员'),
          col('复购率', 'pct'),
          col('与行业参考差距', 'pct'),
        ],
        rows: v.months.map((m) => [m.month, m.buyers, m.repeatBuyers, m.rate, m.gap]),
      },
    ];
  }
  if (view === 'cohorts') {
    const v = await cohorts(ctx, ws, s);
    const width = Math.max(1, ...v.cohorts.map((c) => c.retention.length));
    return [
      {
        title: '首购月留存',
        columns: [
          col('首购月份', 'text'),
          col('人数'),
          ...Array.from({ length: width }, (_, i) => col(`第${i}月`, 'pct')),
        ],
        rows: v.cohorts.map((c) => [
          c.cohort,
          c.buyers,
          ...Array.from({ length: width }, (_, i) => c.retention[i] ?? null),
        ]),
      },
    ];
  }
  if (view === 'distribution') {
    const v = await distribution(ctx, ws, s);
    const t = (title: string, rows: { key: string; buyers: number; share: number }[], band: (k: string) => string) => ({
      title,
      columns: [col('分组', 'text'), col('人数'), col('占比', 'pct')],
      rows: rows.map((r) => [band(r.key), r.buyers, r.share]),
    });
    const name = (k: string) => BAND_NAMES[k] ?? k;
    return [
      t('购买次数', v.frequency, (k) => `${k}次`),
      t('客单价(元)', v.aov, (k) => k),
      t('距上次购买(天)', v.churn, (k) => k),
      t('年龄', v.age, name),
      t('性别', v.gender, name),
      t('城市等级', v.cityTier, (k) => name(k as (typeof CITY_TIERS)[number])),
    ];
  }
  if (view === 'provinces') {
    const v = await provincesInRange(ctx, ws, s);
    return [
      {
        title: `省份分布 ${v.from}~${v.to}`,
        columns: [
          col('省份', 'text'),
          col('成交会员'),
          col('订单'),
          col('成交金额(元)', 'money'),
          col('金额占比', 'pct'),
        ],
        rows: v.items.map((p) => [p.province ?? '未知', p.buyers, p.orders, yuan(p.spentFen), p.spentShare]),
      },
    ];
  }
  if (view === 'daily') {
    const v = await daily(ctx, ws, s);
    return [
      {
        title: `每日成交会员 ${v.from}~${v.to}`,
        columns: [
          col('日期', 'text'),
          col('成交会员'),
          col('新会员'),
          col('老会员'),
          col('订单'),
          col('成交金额(元)', 'money'),
        ],
        rows: v.days.map((d) => [d.day, d.buyers, d.newBuyers, d.buyers - d.newBuyers, d.orders, yuan(d.revenueFen)]),
      },
    ];
  }
  if (view === 'products') {
    const v = await products(ctx, ws, s);
    const t = (title: string, rows: typeof v.bestByUnits) => ({
      title,
      columns: [
        col('商品', 'text'),
        col('件数'),
        col('订单'),
        col('金额(元)', 'money'),
        col('购买人数'),
        col('复购人数'),
        col('复购率', 'pct'),
      ],
      rows: rows.map((p) => [
        p.product,
        p.units,
        p.orders,
        yuan(p.revenueFen),
        p.buyers,
        p.repeatBuyers,
        p.repurchaseRate,
      ]),
    });
    return [
      t('畅销(件数)', v.bestByUnits),
      t('滞销(件数)', v.slowByUnits),
      t('复购最高', v.bestByRepurchase),
      t('复购最低', v.slowByRepurchase),
    ];
  }
  if (view === 'timing') {
    const v = await timing(ctx, ws, s);
    const WEEK = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];
    return [
      {
        title: '按小时',
        columns: [col('小时'), col('订单'), col('金额(元)', 'money')],
        rows: v.hours.map((h) => [h.hour, h.orders, yuan(h.revenueFen)]),
      },
      {
        title: '按星期',
        columns: [col('星期', 'text'), col('订单'), col('金额(元)', 'money')],
        rows: v.weekdays.map((w) => [WEEK[w.weekday]!, w.orders, yuan(w.revenueFen)]),
      },
      {
        title: '按月',
        columns: [
          col('月份', 'text'),
          col('订单'),
          col('金额(元)', 'money'),
          col('金额环比', 'pct'),
          col('金额同比', 'pct'),
          col('订单环比', 'pct'),
          col('订单同比', 'pct'),
        ],
        rows: v.months.map((m) => [
          monthWindowLabel(m),
          m.orders,
          yuan(m.revenueFen),
          m.revenueMom,
          m.revenueYoy,
          m.ordersMom,
          m.ordersYoy,
        ]),
      },
    ];
  }
  const v = await effects(ctx, ws, s);
  return [
    {
      title: '活动效果',
      columns: [
        col('活动', 'text'),
        col('发送日期', 'text'),
        col('触达人数'),
        col('对照组人数'),
        col('触达组转化率', 'pct'),
        col('对照组转化率', 'pct'),
        col('转化率提升', 'pct'),
        col('增量金额(元)', 'money'),
        col('成本(元)', 'money'),
        col('ROI', 'num'),
      ],
      rows: v.campaigns.map((c) => [
        c.name,
        c.launchedAt.slice(0, 10),
        c.treated,
        c.control,
        c.treatedConversion,
        c.controlConversion,
        c.conversionLift,
        yuan(c.incrementalRevenueFen),
        yuan(c.costFen),
        c.roi,
      ]),
    },
    {
      title: '优惠券效果',
      columns: [
        col('优惠券', 'text'),
        col('发放'),
        col('使用'),
        col('使用率', 'pct'),
        col('带动金额(元)', 'money'),
        col('优惠金额(元)', 'money'),
        col('ROI', 'num'),
      ],
      rows: v.coupons.map((c) => [c.name, c.issued, c.used, c.useRate, yuan(c.revenueFen), yuan(c.discountFen), c.roi]),
    },
  ];
}
