import { BlockList, isIP } from 'node:net';

/** Addresses a customer's phone or mail client cannot open: this machine, a private network, link-local. */
const LOCAL = new BlockList();
LOCAL.addSubnet('127.0.0.0', 8, 'ipv4');
LOCAL.addSubnet('10.0.0.0', 8, 'ipv4');
LOCAL.addSubnet('172.16.0.0', 12, 'ipv4');
LOCAL.addSubnet('192.168.0.0', 16, 'ipv4');
LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LOCAL.addSubnet('100.64.0.0', 10, 'ipv4');
LOCAL.addAddress('0.0.0.0', 'ipv4');
LOCAL.addAddress('::1', 'ipv6');
LOCAL.addAddress('::', 'ipv6');
LOCAL.addSubnet('fc00::', 7, 'ipv6');
LOCAL.addSubnet('fe80::', 10, 'ipv6');

/**
 * Whether the shop's public address (where the links, the unsubscribe and survey pages of its messages point) is one
 * only this machine or its network can open — `http://127.0.0.1:3000`, `localhost`, `192.168.1.5`, a name with no dot.
 * Messages with links sent from such a setting reach customers with links that open nothing.
 */
export function isLocalUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const ip = isIP(bare);
  if (ip) return LOCAL.check(bare, ip === 6 ? 'ipv6' : 'ipv4');
  return bare === 'localhost' || bare.endsWith('.localhost') || bare.endsWith('.local') || !bare.includes('.');
}

const FALLBACK_PUBLIC_URL = 'http://127.0.0.1:3000';

/**
 * The public address a shop has until its send rules name one: HUIKE_PUBLIC_URL — which `huike serve` sets to the
 * address it listens on unless given — else http://127.0.0.1:3000 (a `huike worker` process started on its own).
 * An unusable value in the environment falls back too: a setting is never made invalid by it.
 */
export function defaultPublicUrl(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.HUIKE_PUBLIC_URL?.trim();
  if (!v) return FALLBACK_PUBLIC_URL;
  try {
    const u = new URL(v);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password) return v.replace(/\/+$/, '');
  } catch {}
  return FALLBACK_PUBLIC_URL;
}
