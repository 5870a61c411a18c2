import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_LABELS, fieldLabel } from '../../src/core/field-labels.js';
import { renderReason } from '../../src/core/reasons.js';
import { createUser } from '../../src/modules/auth/service.js';
import type { AppContext } from '../../src/modules/context.js';
import { buildServer } from '../../src/server.js';
import { injectedLogin } from '../support/http.js';
import { describeBothDatabases } from '../helpers.js';

interface Problem {
  key: string;
  params: Record<string, string | number>;
  path?: string;
}

describeBothDatabases('what the edge refuses names the field in words (zh-CN and en)', (env) => {
  let app: FastifyInstance;
  let cookie = '';
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    await createUser(ctx, workspaceId, { login: 'boss', password: 'secret-pass-1', role: 'owner' });
    app = await buildServer(ctx);
    cookie = await injectedLogin(app, 'boss', 'secret-pass-1');
  });
  afterAll(async () => app?.close());

  /** The request's 400, and every problem as the console shows it in Chinese and in English. */
  const refused = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await app.inject({
      method,
      url,
      payload: payload as object,
      headers: { cookie, 'x-huike-client': 'test' },
    });
    expect(res.statusCode, res.body).toBe(400);
    const error = (res.json() as { error: { reason: Problem; details: unknown } }).error;
    const problems = [error.reason, ...(Array.isArray(error.details) ? (error.details as Problem[]) : [])];
    return {
      error,
      paths: problems.map((p) => p.path).filter(Boolean),
      zh: problems.map((p) => renderReason(p, 'zh-CN')!),
      en: problems.map((p) => renderReason(p, 'en')!),
    };
  };

  const chineseOnly = (texts: string[]) => {
    for (const t of texts) {
      expect(t).not.toMatch(/body\.|query(string)?\.|params\./);
      expect(t, t).not.toMatch(/[A-Za-z]{2,}/); // no English word, let alone a sentence
    }
  };

  it('a segment with too long a description and no rule: 「说明」 and 「规则」, the paths kept for the API', async () => {
    const r = await refused('POST', '/api/v1/segments', { name: '高价值', description: '说'.repeat(501) });
    chineseOnly(r.zh);
    expect(r.zh).toContain('「说明」最多 500 个字');
    expect(r.zh).toContain('请填写「规则」');
    expect(r.en).toContain('description has at most 500 characters');
    // Machine-readable as before: the raw field in the reason, the request path in the details.
    expect(r.error.reason).toEqual({ key: 'input.tooLong', params: { field: 'description', max: 500 } });
    expect(r.paths).toEqual(['body.description', 'body.rule']);
  });

  it('an empty text of a campaign version names the version and the text', async () => {
    const r = await refused('POST', '/api/v1/campaigns', {
      name: '测试',
      variants: [{ key: 'A', weight: 1, content: { text: '' } }],
    });
    chineseOnly(r.zh);
    expect(r.zh).toContain('「版本 1 · 内容 · 正文」至少 1 个字');
    expect(r.en).toContain('version 1 › content › text needs at least 1 characters');
    expect(r.paths).toContain('body.variants.0.content.text');
  });

  it('a NUL character in the query or the body: no 「querystring.q」 or 「body.rule.value.0」', async () => {
    const q = await refused('GET', '/api/v1/customers?q=a%00b');
    chineseOnly(q.zh);
    expect(q.zh[0]).toBe('「搜索词」含有不可见的空字符（\\u0000），请删除后重试');
    expect(q.error.reason.params.field).toBe('querystring.q');
    const body = await refused('POST', '/api/v1/segments/evaluate', {
      rule: { field: 'province', op: 'in', value: ['浙江\u0000省'] },
    });
    expect(body.zh[0]).toBe('「规则 · 值 1」含有不可见的空字符（\\u0000），请删除后重试');
    expect(body.en[0]).toBe('rule › value 1: text cannot contain the NUL character (\\u0000)');
  });

  it('a query parameter out of range reads as its label', async () => {
    const r = await refused('GET', '/api/v1/customers?limit=100000');
    chineseOnly(r.zh);
    expect(r.zh[0]).toMatch(/^「每页条数」不能大于 \d+$/);
    expect(r.paths).toEqual(['querystring.limit']);
  });
});

describe('field labels', () => {
  it('every field of every request body and query of the API has a label in both languages', async () => {
    const ctx = {
      get db(): never {
        throw new Error('no database: only the OpenAPI document is read');
      },
      now: () => new Date(),
    } as AppContext;
    const app = await buildServer(ctx, { webDir: '/nonexistent' });
    await app.ready();
    const doc = app.swagger() as { paths: Record<string, Record<string, Operation>> };
    await app.close();
    const fields = new Set<string>();
    const walk = (s: Schema | undefined, seen: Set<Schema>) => {
      if (!s || typeof s !== 'object' || seen.has(s)) return;
      seen.add(s);
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        fields.add(k);
        walk(v, seen);
      }
      walk(s.items, seen);
      if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, seen);
      for (const list of [s.anyOf, s.oneOf, s.allOf]) for (const x of list ?? []) walk(x, seen);
    };
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops)) {
        walk(op.requestBody?.content?.['application/json']?.schema, new Set());
        for (const p of op.parameters ?? []) if (p.in === 'query') fields.add(p.name);
      }
    expect(fields.size).toBeGreaterThan(200);
    expect([...fields].filter((f) => !Object.hasOwn(FIELD_LABELS, f)).sort()).toEqual([]);
    for (const f of fields) expect(fieldLabel(f, 'zh-CN')).not.toMatch(/^此项$/);
  });

  it('reads a path by its labels, without the request part, and an unknown field without a raw name', () => {
    expect(fieldLabel('body.name', 'zh-CN')).toBe('名称');
    expect(fieldLabel('querystring.limit', 'en')).toBe('page size');
    expect(fieldLabel('items.2.priceFen', 'zh-CN')).toBe('明细 3 · 价格');
    expect(fieldLabel('body.somethingNew', 'zh-CN')).toBe('此项');
    expect(fieldLabel('body.somethingNew', 'en')).toBe('something new');
    expect(fieldLabel('', 'zh-CN')).toBe('此项');
  });
});

interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}
interface Operation {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  parameters?: { in: string; name: string }[];
}
