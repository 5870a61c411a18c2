import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../src/core/automations/builtins.js';
import { DATE_KINDS } from '../../src/core/automations/definition.js';
import { triggerFieldShown } from '../../web/src/pages/automations/definition.js';

/** The step editor shows a date trigger's fields for its kind of date only: 沉睡唤醒 showed 节日 and 店庆日. */
describe('the fields of a date trigger in the step editor', () => {
  it("shows every field a built-in sets for its date, and the other dates' fields not", () => {
    for (const b of BUILTINS) {
      const trigger = b.build(b.defaults).trigger as Record<string, unknown>;
      if (trigger.type !== 'date') continue;
      // daysBefore 0 is the schema's default, set on every date trigger: 沉睡唤醒 and 会员升级 have no "days before".
      for (const prop of Object.keys(trigger).filter((k) => k !== 'type' && !(k === 'daysBefore' && !trigger[k])))
        expect(triggerFieldShown('date', trigger.date as string, prop), `${b.key}.${prop}`).toBe(true);
    }
    const shown = (date: string) =>
      ['date', 'daysBefore', 'holidays', 'anniversary', 'stages', 'refillBy'].filter((p) =>
        triggerFieldShown('date', date, p),
      );
    expect(shown('dormant')).toEqual(['date', 'stages']);
    expect(shown('holiday')).toEqual(['date', 'daysBefore', 'holidays', 'anniversary']);
    expect(shown('refill')).toEqual(['date', 'daysBefore', 'refillBy']);
    expect(shown('member_upgrade')).toEqual(['date']);
    for (const d of DATE_KINDS) expect(shown(d)).toContain('date');
    // Another trigger's fields are not a date's business.
    expect(triggerFieldShown('schedule', undefined, 'cron')).toBe(true);
    expect(triggerFieldShown('segment_entry', undefined, 'segmentId')).toBe(true);
  });
});
