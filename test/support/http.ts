import type { FastifyInstance } from 'fastify';

/** Starts the server on a free local port and gives its base URL (`http://127.0.0.1:PORT`). */
export async function listenLocal(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

/** Logs in over HTTP and gives the session cookie (`name=value`), or fails naming the answer's status. */
export async function loginCookie(base: string, login: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (res.status !== 200 || !cookie) throw new Error(`login ${login}: HTTP ${res.status}`);
  return cookie;
}

/** Logs in on an app not listening (`app.inject`) and gives the session cookie, or fails naming the status. */
export async function injectedLogin(app: FastifyInstance, login: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login, password } });
  const cookie = String(res.headers['set-cookie'] ?? '').split(';')[0];
  if (res.statusCode !== 200 || !cookie) throw new Error(`login ${login}: HTTP ${res.statusCode}`);
  return cookie;
}

/** Counts a segment rule over HTTP (`POST /segments/evaluate`, no rows), as the console does. */
export function postEvaluate(base: string, cookie: string, rule: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${base}/api/v1/segments/evaluate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-huike-client': 'test', cookie },
    body: JSON.stringify({ rule, limit: 0 }),
    signal,
  });
}
