import { expect, it } from 'vitest';
import { defaultPublicUrl, isLocalUrl } from '../../src/core/messaging/public-url.js';

it('an address only this machine or its network can open is local', () => {
  for (const url of [
    'http://127.0.0.1:3000',
    'http://localhost:3000/',
    'http://app.localhost',
    'https://192.168.1.5',
    'http://10.2.3.4:8080',
    'http://172.20.0.3',
    'http://[::1]:3000',
    'http://0.0.0.0:3000',
    'http://shopbox',
    'http://nas.local',
  ])
    expect(isLocalUrl(url), url).toBe(true);
});

it('a public name or address is not', () => {
  for (const url of ['https://crm.example.cn', 'http://203.0.113.7:3000', 'https://[2001:db8::1]', 'http://172.32.0.1'])
    expect(isLocalUrl(url), url).toBe(false);
  expect(isLocalUrl('not a url')).toBe(false);
});

it('the default public address is HUIKE_PUBLIC_URL when it is a web address, else the local fallback', () => {
  expect(defaultPublicUrl({ HUIKE_PUBLIC_URL: 'https://crm.example.cn/' })).toBe('https://crm.example.cn');
  expect(defaultPublicUrl({ HUIKE_PUBLIC_URL: 'http://127.0.0.1:4722' })).toBe('http://127.0.0.1:4722');
  for (const bad of [undefined, '', ' ', 'javascript:alert(1)', 'not a url', 'http://user:pw@crm.example.cn'])
    expect(defaultPublicUrl({ HUIKE_PUBLIC_URL: bad }), String(bad)).toBe('http://127.0.0.1:3000');
});
