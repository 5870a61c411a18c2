import { expect, it } from 'vitest';
import { emailBodies, textToHtml } from '../../src/modules/messaging/providers.js';

it("a text's web addresses are links in its HTML, the rest escaped", () => {
  expect(textToHtml('领券 https://s.example.cn/r/AB12 <今天>\n谢谢')).toBe(
    '<!doctype html><html><body><p>领券 <a href="https://s.example.cn/r/AB12">https://s.example.cn/r/AB12</a> ' +
      '&lt;今天&gt;<br>谢谢</p></body></html>',
  );
});

it('an unsubscribe link is said at the end of the text and inside the HTML; without one nothing is added', () => {
  const u = 'https://crm.example.cn/u/XYZ';
  const mine = emailBodies({ text: '你好', html: '<html><body><h1>你好</h1></body></html>', unsubscribeUrl: u });
  expect(mine.text).toBe(`你好\n\n不想再收到这类邮件？退订：${u}`);
  expect(mine.html).toMatch(
    /<h1>你好<\/h1><p [^>]*>不想再收到这类邮件？<a href="https:\/\/crm\.example\.cn\/u\/XYZ">退订<\/a><\/p><\/body>/,
  );
  expect(emailBodies({ text: '你好', html: null, unsubscribeUrl: null })).toEqual({
    text: '你好',
    html: textToHtml('你好'),
  });
});
