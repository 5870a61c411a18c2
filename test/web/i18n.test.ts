import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definitionSchema } from '../../src/core/automations/definition.js';
import { en } from '../../web/src/i18n/en.js';
import { zhCN } from '../../web/src/i18n/zh-CN.js';
import { ROOT } from '../support/processes.js';

function keys(o: unknown, prefix = ''): string[] {
  return Object.entries(o as Record<string, unknown>).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

describe('console messages', () => {
  const zh = new Set(keys(zhCN));
  it('Chinese and English have the same keys, none empty where Chinese has text', () => {
    expect(keys(en).sort()).toEqual([...zh].sort());
    const empty = keys(en).filter(
      (k) => k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], en) === '',
    );
    expect(empty).toEqual(['segments.people']); // "355 人" reads "355" in English
  });

  it('the source of every points entry has a label, so the 积分 tab of the 360 page shows no raw code', () => {
    // src/modules/points (order, refund, expiry, grant, adjustment, reward, sign_in, referral), feedback
    // (photo_review), automations (automation) and the console's own adjustment (adjust).
    const written = ['order', 'refund', 'expiry', 'grant', 'adjust', 'adjustment', 'reward', 'redemption'];
    written.push('sign_in', 'referral', 'photo_review', 'automation');
    for (const messages of [zhCN, en]) {
      expect(written.filter((k) => !(k in messages.timeline.pointSources))).toEqual([]);
    }
  });

  it('every field of an automation definition has a label in the step editor (byProvince showed as itself)', () => {
    const names = new Set<string>();
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          if (k === 'properties') for (const name of Object.keys(x as object)) names.add(name);
          walk(x);
        }
    };
    walk(z.toJSONSchema(definitionSchema, { io: 'input', unrepresentable: 'any' }));
    // The editor draws these itself (the step's kind and id, the automation's name, the trigger's kind).
    for (const own of ['type', 'id', 'name', 'trigger', 'steps', 'conditions', 'exitWhen']) names.delete(own);
    for (const messages of [zhCN, en])
      expect([...names].filter((n) => !(n in messages.automationEditor.field))).toEqual([]);
  });

  it("the model's 复购 says it counts buying days and names the 回头客 segment it differs from", () => {
    // BG/NBD counts purchase days (two orders on one day are one purchase) at the fit; the system segment
    // 回头客（≥2 单） counts orders, live: on the same shop they can differ, and the panel says why.
    // 「隔日复购」 read as "the next day": it says a later day, as the English does.
    expect(zhCN.predict.repeatBuyers).toContain('在另一天又买过');
    expect(zhCN.predict.repeatBuyersHint).toContain(`「${zhCN.segments.systemNames.returning}」`);
    expect(zhCN.predict.repeatBuyersHint).toContain('同一天');
    expect(en.predict.repeatBuyers).toContain('later day');
    expect(en.predict.repeatBuyersHint).toContain(en.segments.systemNames.returning);
  });

  it('every literal key the pages use exists', () => {
    const used = new Set<string>();
    for (const f of sources(join(ROOT, 'web', 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bt\('([\w.-]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(200);
    expect([...used].filter((k) => !zh.has(k))).toEqual([]);
  });

  it('no Chinese text is written into a component: it all comes through the messages', () => {
    const offenders: string[] = [];
    for (const f of sources(join(ROOT, 'web', 'src'))) {
      if (f.includes(`${join('src', 'i18n')}`)) continue;
      // The generated API types carry the server's descriptions (API documentation, not console text).
      if (f.includes(`${join('src', 'api', 'schema.d.ts')}`)) continue;
      // A block between `i18n-ignore-start` and `i18n-ignore-end` holds values of the data (RFM class names,
      // export header words), not UI text; so does a line marked `i18n-ignore`.
      let ignoring = false;
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (line.includes('i18n-ignore-start')) ignoring = true;
          if (line.includes('i18n-ignore-end')) ignoring = false;
          if (ignoring || line.includes('i18n-ignore')) return;
          // Comments are not UI: line comments, one-line block comments and the body lines of a block
          // comment (JSDoc, such as the API descriptions in the generated api/schema.d.ts).
          const code = line
            .replace(/^\s*\*.*$/, '')
            .replace(/\/\/.*$/, '')
            .replace(/\/\*.*?\*\//g, '');
          if (/[\u4e00-\u9fff]/.test(code) && !/'中文'/.test(code)) offenders.push(`${f.slice(ROOT.length)}:${i + 1}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
