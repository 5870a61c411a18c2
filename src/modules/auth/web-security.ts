import { reason } from '../../core/reasons.js';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Forbidden } from '../../core/errors.js';
import { SESSION_COOKIE } from './service.js';

/** The header the console sends with every API call; a cross-site form or image cannot set a custom header. */
export const CLIENT_HEADER = 'x-huike-client';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'same-origin') return true;
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return false;
  const forwarded = req.headers['x-forwarded-host'];
  const host = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() ?? req.headers.host;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function crossSite(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  return req.headers.origin !== undefined && !sameOrigin(req);
}

/**
 * CSRF: a state change (any method but GET/HEAD/OPTIONS — JSON, multipart and body-less alike) authenticated by the
 * session cookie must come from the console's own origin (Origin or Sec-Fetch-Site) or carry the console's header.
 * Bearer tokens are never sent by a browser on its own, so they are not affected. A login posted by another site
 * (logging the victim into the attacker's account) is refused too.
 */
export function checkCsrf(req: FastifyRequest): void {
  if (SAFE_METHODS.has(req.method)) return;
  const path = req.routeOptions.url ?? req.url.split('?')[0]!;
  if (!path.startsWith('/api/')) return;
  if (/^Bearer\s+\S/i.test(req.headers.authorization ?? '')) return;
  const hasHeader = Boolean(req.headers[CLIENT_HEADER]);
  if (path.endsWith('/auth/login')) {
    if (!hasHeader && crossSite(req))
      throw new Forbidden('a login posted from another site is refused', reason('auth.crossSiteLogin'));
    return;
  }
  if (!req.cookies[SESSION_COOKIE]) return;
  if (hasHeader || sameOrigin(req)) return;
  throw new Forbidden(
    'a change made with the session cookie must come from the console (same-origin Origin or Sec-Fetch-Site) ' +
      `or send the ${CLIENT_HEADER} header; scripts should use an API token`,
    reason('auth.crossSite'),
  );
}

const HELMET = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      workerSrc: ["'self'", 'blob:'],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  // Plain http on a shop's LAN is a supported setup: never tell browsers to force https.
  strictTransportSecurity: false,
  frameguard: { action: 'deny' as const },
};

/** Headers of the probe's answer that are not helmet's. */
const PLAIN_HEADERS = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * Security headers for the console and the API: a CSP that fits the built console (its own scripts only; antd
 * injects <style> elements, hence 'unsafe-inline' for styles), no framing, nosniff; API answers are never cached.
 */
export async function registerWebSecurity(app: FastifyInstance): Promise<void> {
  // @fastify/helmet builds helmet's middleware (and parses the CSP) again for every request, ~2% of a list
  // page's CPU; the headers never vary here (no nonces, no per-route options), so they are taken once, from a
  // throwaway instance, and set on every reply.
  const probe = Fastify();
  await probe.register(helmet, HELMET);
  probe.get('/', async () => '');
  const sample = await probe.inject({ method: 'GET', url: '/' });
  await probe.close();
  const headers = Object.fromEntries(
    Object.entries(sample.headers).filter(([name]) => !PLAIN_HEADERS.has(name.toLowerCase())),
  ) as Record<string, string>;
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
  app.addHook('onRequest', async (req) => checkCsrf(req));
  app.addHook('onSend', async (req, reply, payload) => {
    if ((req.routeOptions.url ?? req.url).startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
