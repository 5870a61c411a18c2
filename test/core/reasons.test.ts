import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isReasonKey, REASONS, renderReason } from '../../src/core/reasons.js';
import { inputIssues } from '../../src/core/validation.js';
import { PERMISSIONS } from '../../src/modules/auth/permissions.js';
import { ROOT } from '../support/processes.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : f.endsWith('.ts') ? [p] : [];
  });
}

describe('the reasons catalogue (errors and reasons in the reader’s language)', () => {
  it('every key has a Chinese and an English text; the Chinese one is Chinese', () => {
    const entries = Object.entries(REASONS) as [string, Record<'zh-CN' | 'en', string>][];
    expect(entries.length).toBeGreaterThan(250);
    const bad = entries.filter(([, t]) => !t['zh-CN'].trim() || !t.en.trim() || !/[\u4e00-\u9fff]/.test(t['zh-CN']));
    expect(bad.map(([k]) => k)).toEqual([]);
  });

  it('every key the server uses is in the catalogue', () => {
    const used = new Set<string>();
    for (const f of sources(join(ROOT, 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\breason(?:Code)?\(\s*'([\w.]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(200);
    expect([...used].filter((k) => !isReasonKey(k))).toEqual([]);
  });

  it('zod problems at the edge name the field and the limit', () => {
    const schema = z.object({ name: z.string().max(5), platform: z.enum(['taobao', 'jd']), n: z.number().min(1) });
    const r = schema.safeParse({ name: '一二三四五六', n: 0 });
    const issues = inputIssues(r.error!.issues, { name: '一二三四五六', n: 0 });
    expect(issues.map((i) => renderReason(i, 'zh-CN'))).toEqual([
      '「名称」最多 5 个字',
      '请填写「平台」',
      '「此项」不能小于 1', // a field with no label (field-labels.ts): no raw name in Chinese
    ]);
    expect(renderReason(issues[2]!, 'en')).toBe('n must be at least 1');
  });

  it('a refused permission is named in Chinese by what it lets one do, never by its key', () => {
    for (const permission of PERMISSIONS) {
      const zh = renderReason({ key: 'auth.permission', params: { role: 'agent', permission } }, 'zh-CN')!;
      expect(zh, permission).not.toContain(permission);
      expect(zh).toMatch(/需要「[^a-z「」]+」权限/);
    }
    expect(
      renderReason({ key: 'auth.permission', params: { role: 'agent', permission: 'settings:write' } }, 'zh-CN'),
    ).toBe('你的账号角色没有这项操作的权限（需要「修改设置」权限）：请联系管理员');
    expect(renderReason({ key: 'auth.permission', params: { role: 'agent', permission: 'export' } }, 'en')).toBe(
      'your role (agent) does not have the "export" permission this needs',
    );
  });
});
