import { describe, expect, it } from 'vitest';
import { wecomEncrypt, wecomOpen, wecomSignature, xmlField } from '../../src/core/messaging/wecom-crypto.js';

// The URL-check example of 企业微信's callback documentation (加解密方案说明).
const DOC = {
  token: 'QDG6eK',
  encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
};
const ECHO = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';

describe('企业微信 callback encryption', () => {
  it('opens the documented URL check: signature, AES-256-CBC and the CorpID', () => {
    expect(wecomSignature(DOC.token, '1409659589', '263014780', ECHO)).toBe('5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3');
    const q = { signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', timestamp: '1409659589', nonce: '263014780' };
    expect(wecomOpen(DOC, q, ECHO)).toEqual({ ok: true, message: '1616140317555161061' });
  });

  it('what it encrypts opens again; a wrong signature, key or CorpID is refused with the reason', () => {
    const enc = wecomEncrypt(DOC, '<xml><Content><![CDATA[退订]]></Content></xml>');
    const q = { signature: wecomSignature(DOC.token, '1', 'n', enc), timestamp: '1', nonce: 'n' };
    const opened = wecomOpen(DOC, q, enc);
    expect(opened.ok && xmlField(opened.message, 'Content')).toBe('退订');
    expect(wecomOpen(DOC, { ...q, signature: 'a'.repeat(40) }, enc)).toMatchObject({ ok: false });
    expect(wecomOpen({ ...DOC, corpId: 'ww0000000000000000' }, q, enc)).toEqual({
      ok: false,
      problem: "the message is for wx5823bf96d3bd56c7, not this channel's CorpID",
    });
    expect(wecomOpen(DOC, { timestamp: '1', nonce: 'n' }, enc)).toMatchObject({ ok: false });
  });
});
