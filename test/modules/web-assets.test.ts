import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/modules/context.js';
import { buildServer } from '../../src/server.js';
import { scratchDir } from '../helpers.js';

/** One GET over real HTTP (node's client decodes nothing: the bytes as sent). */
function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
    (resolve, reject) => {
      request(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    },
  );
}

describe('the console’s files', () => {
  const script = `console.log(${JSON.stringify('回客'.repeat(2000))});`;
  let base = '';
  let close = async () => {};
  beforeAll(async () => {
    // A console as the build leaves it: hashed assets with their .br and .gz twins (web/vite.config.ts).
    const web = scratchDir('huike-web-');
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>回客</title><div id="root"></div>');
    writeFileSync(join(web, 'assets', 'app-abc123.js'), script);
    writeFileSync(join(web, 'assets', 'app-abc123.js.br'), brotliCompressSync(script));
    writeFileSync(join(web, 'assets', 'app-abc123.js.gz'), gzipSync(script));
    const ctx = {
      get db(): never {
        throw new Error('no database: only files are served');
      },
      now: () => new Date(),
    } as AppContext;
    const app = await buildServer(ctx, { webDir: web });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    close = () => app.close();
  });
  afterAll(() => close());

  it('sends a hashed script compressed to a browser that accepts it, cached for a year', async () => {
    const br = await get(`${base}/assets/app-abc123.js`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(Buffer.byteLength(script) / 10);
    expect(brotliDecompressSync(br.body).toString()).toBe(script);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const gz = await get(`${base}/assets/app-abc123.js`, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await get(`${base}/assets/app-abc123.js`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('asks the browser to check the page itself every time (a new build names new assets)', async () => {
    for (const path of ['/', '/customers/some-id']) {
      const page = await get(`${base}${path}`, { 'accept-encoding': 'gzip, br' });
      expect(page.status, path).toBe(200);
      expect(page.headers['cache-control'], path).toBe('no-cache');
      expect(page.body.toString(), path).toContain('<div id="root">');
    }
  });
});
