import { expect, it } from 'vitest';
import { csvText } from '../../web/src/csv-file.js';

it("the customer list's export is written as the server's: BOM, CRLF, quoted, formulas neutralised", () => {
  const text = csvText([
    ['昵称', '标签', '累计消费'],
    ['+cmd|calc', '=HYPERLINK("http://x.cn","a")、VIP', 1234.5],
    ['王丽', '-2+3', -5],
  ]);
  expect(text).toBe(
    '\ufeff昵称,标签,累计消费\r\n' +
      `'+cmd|calc,"'=HYPERLINK(""http://x.cn"",""a"")、VIP",1234.5\r\n` +
      "王丽,'-2+3,-5\r\n",
  );
});
