import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../src/core/automations/builtins.js';
import { definitionSchema } from '../../src/core/automations/definition.js';
import { type Facts, factsRead, nextMove, tooLate, waitUntil } from '../../src/core/automations/engine.js';
import { holidayDate, holidaysOn, upcomingHolidays } from '../../src/core/automations/holidays.js';
import { eventsOf } from '../../src/core/automations/order-events.js';
import { refillIntervals, refillsByDay } from '../../src/core/automations/refill.js';

const anniversaryTrigger = (anniversary: string) => ({
  name: '店庆',
  trigger: { type: 'date', date: 'holiday', holidays: ['店庆'], anniversary },
  steps: [{ id: 't', type: 'tag', add: ['店庆'] }],
});

const ZONE = 'Asia/Shanghai';

describe('festival dates', () => {
  it('春节 and 中秋 2026–2030 come from the lunar calendar', () => {
    const years = [2026, 2027, 2028, 2029, 2030];
    expect(years.map((y) => holidayDate('春节', y))).toEqual([
      '2026-02-17',
      '2027-02-06',
      '2028-01-26',
      '2029-02-13',
      '2030-02-03',
    ]);
    expect(years.map((y) => holidayDate('中秋', y))).toEqual([
      '2026-09-25',
      '2027-09-15',
      '2028-10-03',
      '2029-09-22',
      '2030-09-12',
    ]);
  });
  it('solar festivals by rule, the shop anniversary by its date', () => {
    expect(holidayDate('母亲节', 2026)).toBe('2026-05-10');
    expect(holidayDate('父亲节', 2026)).toBe('2026-06-21');
    expect(holidayDate('双11', 2027)).toBe('2027-11-11');
    expect(holidayDate('店庆', 2026, '06-18')).toBe('2026-06-18');
    expect(holidayDate('店庆', 2028, '02-29')).toBe('2028-02-29');
    expect(holidayDate('店庆', 2026, '02-29')).toBe('2026-02-28');
    expect(holidayDate('店庆', 2100, '02-29')).toBe('2100-02-28');
    // A day the calendar does not have is refused where the anniversary is set.
    expect(definitionSchema.safeParse(anniversaryTrigger('02-30')).success).toBe(false);
    expect(definitionSchema.safeParse(anniversaryTrigger('04-31')).success).toBe(false);
    expect(definitionSchema.safeParse(anniversaryTrigger('02-29')).success).toBe(true);
    expect(holidayDate('端午', 2026)).toBe('2026-06-19');
    expect(holidaysOn('2026-09-25', ['春节', '中秋', '双11'])).toEqual(['中秋']);
    // From a date on, that date included: a festival already past starts with next year's, the soonest first.
    expect(upcomingHolidays('2026-11-11', 2, ['春节', '双11', '元旦'])).toEqual([
      { name: '双11', year: 2026, date: '2026-11-11' },
      { name: '双11', year: 2027, date: '2027-11-11' },
      { name: '元旦', year: 2027, date: '2027-01-01' },
      { name: '元旦', year: 2028, date: '2028-01-01' },
      { name: '春节', year: 2027, date: '2027-02-06' },
      { name: '春节', year: 2028, date: '2028-01-26' },
    ]);
    expect(upcomingHolidays('2026-11-11', 1, ['店庆'], null)).toEqual([]);
    // A name that is a property of every object is no festival (its "date" threw, a 500 in the dry run).
    for (const name of ['constructor', '__proto__', 'toString']) expect(holidayDate(name, 2026)).toBeNull();
  });
});

describe('what a definition may say (checked when it is saved)', () => {
  const keyOf = (def: unknown) => {
    const r = definitionSchema.safeParse(def);
    return r.success ? null : r.error.issues.map((i) => (i as { params?: { key?: string } }).params?.key ?? i.message);
  };
  const withTrigger = (trigger: unknown, steps: unknown[] = [{ id: 't', type: 'tag', add: ['x'] }]) => ({
    name: 'x',
    trigger,
    steps,
  });
  const withCondition = (condition: unknown) => ({
    ...withTrigger({ type: 'order_event', event: 'created' }),
    conditions: [condition],
  });
  it('holidays: known names, at least one, each once; 店庆 with its date', () => {
    const holiday = (holidays: unknown, more = {}) => withTrigger({ type: 'date', date: 'holiday', holidays, ...more });
    expect(keyOf(holiday(['春节', '中秋']))).toBeNull();
    expect(keyOf(holiday(['constructor']))).toEqual(['automation.holidayName']);
    expect(keyOf(holiday(['春节', '__proto__']))).toEqual(['automation.holidayName']);
    expect(keyOf(holiday([]))).not.toBeNull();
    expect(keyOf(withTrigger({ type: 'date', date: 'holiday' }))).toEqual(['automation.holidaysNone']);
    expect(keyOf(holiday(['春节', '春节']))).not.toBeNull();
    expect(keyOf(holiday(['店庆']))).toEqual(['automation.anniversaryNone']);
    expect(keyOf(holiday(['店庆'], { anniversary: '06-18' }))).toBeNull();
    expect(keyOf(withTrigger({ type: 'date', date: 'dormant', stages: [90, 90] }))).not.toBeNull();
    expect(keyOf(withTrigger({ type: 'date', date: 'dormant', stages: [90, 180] }))).toBeNull();
  });
  it('a condition compares a fact the way it can hold: a count with a number, yes/no with true or false', () => {
    expect(keyOf(withCondition({ fact: 'customer.paidOrders', op: 'gte', value: 2 }))).toBeNull();
    expect(keyOf(withCondition({ fact: 'customer.paidOrders', op: 'gte', value: 'lots' }))).toEqual([
      'automation.conditionValue',
    ]);
    expect(keyOf(withCondition({ fact: 'customer.paidOrders', op: 'has', value: 'x' }))).toEqual([
      'automation.conditionOp',
    ]);
    expect(keyOf(withCondition({ fact: 'customer.tags', op: 'gte', value: true }))).toEqual(['automation.conditionOp']);
    expect(keyOf(withCondition({ fact: 'customer.tags', op: 'has', value: ['VIP'] }))).toBeNull();
    expect(keyOf(withCondition({ fact: 'customer.tags', op: 'in', value: [] }))).toEqual(['automation.conditionValue']);
    expect(keyOf(withCondition({ fact: 'order.presale', op: 'eq', value: 'yes' }))).toEqual([
      'automation.conditionValue',
    ]);
    expect(keyOf(withCondition({ fact: 'order.presale', op: 'lte', value: false }))).toEqual([
      'automation.conditionOp',
    ]);
    expect(keyOf(withCondition({ fact: 'order.status', op: 'in', value: ['paid', 'shipped'] }))).toBeNull();
    expect(keyOf(withCondition({ fact: 'order.status', op: 'eq', value: ['paid'] }))).toEqual([
      'automation.conditionValue',
    ]);
  });
  it('a wait says how long; provinces are China’s; a coupon step’s value ≤ ¥1,000,000', () => {
    const trigger = { type: 'order_event', event: 'created' };
    expect(
      keyOf(
        withTrigger(trigger, [
          { id: 'w', type: 'wait' },
          { id: 't', type: 'tag', add: ['x'] },
        ]),
      ),
    ).toEqual(['automation.waitEmpty']);
    expect(keyOf(withTrigger(trigger, [{ id: 'w', type: 'wait', untilLocal: '10:00' }]))).toBeNull();
    const byProvince = (provinces: string[]) =>
      withTrigger(trigger, [{ id: 'w', type: 'wait', days: 5, byProvince: [{ provinces, days: 8 }] }]);
    expect(keyOf(byProvince(['新疆', '西藏自治区']))).toBeNull();
    expect(keyOf(byProvince(['Atlantis']))).toEqual(['automation.province']);
    const coupon = (valueFen: number) => withTrigger(trigger, [{ id: 'c', type: 'coupon', templateId: 'T', valueFen }]);
    expect(keyOf(coupon(100_000_000))).toBeNull();
    expect(keyOf(coupon(2 ** 53 - 1))).not.toBeNull();
  });
});

describe('refill interval', () => {
  const p = (customerId: string, category: string, at: string, orderId = `${customerId}-${at}`) => ({
    customerId,
    category,
    at: `${at}T02:00:00.000Z`,
    orderId,
  });
  const history = [
    // 猫粮: gaps 30, 32 (A), 28 (B), 40 (C) → median 31
    p('A', '猫粮', '2026-01-01'),
    p('A', '猫粮', '2026-01-31'),
    p('A', '猫粮', '2026-03-04'),
    p('B', '猫粮', '2026-02-01'),
    p('B', '猫粮', '2026-03-01'),
    p('C', '猫粮', '2026-01-10'),
    p('C', '猫粮', '2026-02-19'),
    // 洗发水: only one gap, not enough to learn from
    p('A', '洗发水', '2026-01-01'),
    p('A', '洗发水', '2026-03-01'),
  ];
  it('is the median days between a customer’s orders of the category, learned from the shop', () => {
    const intervals = refillIntervals(history);
    expect([...intervals]).toEqual([['猫粮', 31]]);
  });
  it('is due when the last purchase is that old, on the first day it is', () => {
    const intervals = refillIntervals(history);
    const day = (date: string) => ({ since: -Infinity, until: Date.parse(date) });
    const [due, later] = refillsByDay(history, intervals, [day('2026-03-31T03:00:00Z'), day('2026-04-01T03:00:00Z')]);
    // A bought on 03-04 (27 days): not due; B on 03-01 (30 days): not yet; C on 02-19 (40 days): due.
    expect(due!.map((d) => [d.customerId, d.category])).toEqual([['C', '猫粮']]);
    // The next day B is due; C was due the day before (each refill once, on its first day).
    expect(later!.map((d) => d.customerId)).toEqual(['B']);
    // Due long before the day's `since`: not reminded (switching it on does not remind old refills).
    const late = { since: Date.parse('2026-03-25T00:00:00Z'), until: Date.parse('2026-04-01T03:00:00Z') };
    expect(refillsByDay(history, intervals, [late])[0]!.map((d) => d.customerId)).toEqual(['B']);
  });
});

describe('the engine', () => {
  const cart = definitionSchema.parse(BUILTINS.find((b) => b.key === 'cart_reminder')!.build(BUILTINS[0]!.defaults));
  const facts = (status: 'created' | 'paid', paidOtherSince = false): Facts => ({
    order: { status, totalFen: 100, categories: [], presale: false },
    customer: { paidOrders: 0, tags: [], paidOtherSince, orderedSince: false, daysSinceLastOrder: 0 },
  });
  const place = { cursor: 0, triggerAt: '2026-11-23T04:00:00.000Z', stepAt: '2026-11-23T04:00:00.000Z' };

  it('催付 waits 30 minutes from the order, then sends', () => {
    const early = nextMove(cart, place, facts('created'), new Date('2026-11-23T04:10:00Z'), ZONE);
    expect(early).toMatchObject({ type: 'wait' });
    expect(early.type === 'wait' && early.until.toISOString()).toBe('2026-11-23T04:30:00.000Z');
    const over = nextMove(cart, place, facts('created'), new Date('2026-11-23T04:31:00Z'), ZONE);
    expect(over).toMatchObject({ type: 'pass', to: 1 });
    expect(nextMove(cart, { ...place, cursor: 1 }, facts('created'), new Date(), ZONE)).toMatchObject({
      type: 'act',
      step: { id: 'remind' },
    });
  });
  it('leaves when the order is paid or the buyer paid another order', () => {
    expect(nextMove(cart, place, facts('paid'), new Date('2026-11-23T04:31:00Z'), ZONE)).toEqual({
      type: 'exit',
      reason: '订单已付款',
      why: { key: 'automation.orderMoved', params: { status: '已付款', statusEn: 'paid' } },
    });
    expect(nextMove(cart, { ...place, cursor: 1 }, facts('created', true), new Date(), ZONE)).toEqual({
      type: 'exit',
      reason: '客户此后已付款其他订单',
      why: { key: 'automation.paidOther', params: {} },
    });
  });
  it('an event seen too long after it happened is too late, judged by event time', () => {
    const t = cart.trigger;
    expect(tooLate(t, '2026-11-23T04:00:00Z', new Date('2026-11-23T05:59:00Z'))).toBeNull();
    expect(tooLate(t, '2026-11-23T04:00:00Z', new Date('2026-11-23T09:00:00Z'))).toMatch(/为时已晚.*5 小时/);
  });
  it('a wait until a local time goes to the next time the store’s clock shows it', () => {
    const step = { id: 'w', type: 'wait' as const, days: 1, from: 'previous' as const, untilLocal: '10:00' };
    // 2026-11-23 23:30 Shanghai + 1 day = 11-24 23:30 → 11-25 10:00 Shanghai
    expect(waitUntil(step, { ...place, stepAt: '2026-11-23T15:30:00Z' }, ZONE).toISOString()).toBe(
      '2026-11-25T02:00:00.000Z',
    );
  });
  it('every built-in builds a valid definition from its defaults', () => {
    for (const b of BUILTINS) expect(() => definitionSchema.parse(b.build(b.defaults)), b.key).not.toThrow();
  });
  it('no built-in’s default message promises a coupon its defaults do not give', () => {
    for (const b of BUILTINS) {
      const d = definitionSchema.parse(b.build(b.defaults));
      const gives = d.steps.some((st) => st.type === 'coupon');
      // A coupon's expiry reminder speaks of the coupon the customer holds.
      if (gives || (d.trigger.type === 'date' && d.trigger.date === 'coupon_expiry')) continue;
      for (const st of d.steps)
        if (st.type === 'message') expect(st.text.replace(/#[^#]*#/g, ''), b.key).not.toMatch(/券/);
    }
  });
  it('an order’s state shows its events with the time each happened', () => {
    const e = eventsOf(
      {
        status: 'shipped',
        createdAt: '2026-11-23T01:00:00.000Z',
        paidAt: '2026-11-23T01:05:00.000Z',
        shippedAt: null,
        signedAt: null,
        closedAt: null,
        refundedFen: 0,
      },
      '2026-11-23T04:00:00.000Z',
    );
    expect(e).toEqual([
      { kind: 'created', at: '2026-11-23T01:00:00.000Z' },
      { kind: 'paid', at: '2026-11-23T01:05:00.000Z' },
      { kind: 'shipped', at: '2026-11-23T04:00:00.000Z' },
    ]);
  });
});

describe('the facts a definition reads (the dry run loads only those)', () => {
  const builtin = (key: string) => {
    const b = BUILTINS.find((x) => x.key === key)!;
    return definitionSchema.parse(b.build(b.defaults));
  };
  const none = { orders: false, paidOrders: false, tags: false, categories: false };

  it('沉睡唤醒 and 复购提醒 read none: no condition, and without a wait nothing can happen since the trigger', () => {
    expect(builtin('winback').exitWhen).toEqual(['ordered']);
    expect(factsRead(builtin('winback'))).toEqual(none);
    expect(factsRead(builtin('refill'))).toEqual(none);
  });

  it('a wait with an exit on paying or ordering reads the orders; conditions and branches read their facts', () => {
    expect(factsRead(builtin('cart_reminder'))).toMatchObject({ orders: true });
    const def = definitionSchema.parse({
      name: 'x',
      trigger: { type: 'date', date: 'birthday', daysBefore: 0 },
      conditions: [{ fact: 'customer.tags', op: 'has', value: ['VIP'] }],
      steps: [
        { id: 'b', type: 'branch', when: [{ fact: 'order.category', op: 'in', value: ['咖啡'] }], else: 'exit' },
        { id: 'm', type: 'message', medium: 'sms', kind: 'care', text: '生日快乐' },
      ],
    });
    expect(factsRead(def)).toEqual({ ...none, tags: true, categories: true });
    const since = {
      ...def,
      conditions: [{ fact: 'customer.daysSinceLastOrder' as const, op: 'gte' as const, value: 30 }],
    };
    expect(factsRead(since)).toEqual({ ...none, orders: true, categories: true });
    const paid = { ...def, conditions: [{ fact: 'customer.paidOrders' as const, op: 'gte' as const, value: 2 }] };
    expect(factsRead(paid)).toEqual({ ...none, paidOrders: true, categories: true });
  });
});
