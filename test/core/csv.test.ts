import { describe, expect, it } from 'vitest';
import { csvCell, csvLine, neutralizeFormula } from '../../src/core/csv.js';

describe('CSV exports and formula injection', () => {
  it('text that a spreadsheet would run as a formula is written as text', () => {
    expect(csvCell('=HYPERLINK("http://evil","点我")')).toBe('"\'=HYPERLINK(""http://evil"",""点我"")"');
    expect(csvCell("+cmd|' /C calc'!A0")).toBe("'+cmd|' /C calc'!A0");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)");
    expect(csvCell('\t=1+1')).toBe("'\t=1+1");
    expect(csvLine(['=1+1', 'ok', null, -5])).toBe("'=1+1,ok,,-5\r\n");
  });

  it('numbers, signed numbers as text and ordinary text stay as they are', () => {
    for (const v of ['-12.50', '+8613800000000', '1e5', '张三', 'a=b', '', 'email@example.com'])
      expect(neutralizeFormula(v)).toBe(v);
    expect(neutralizeFormula(-3)).toBe(-3);
    expect(neutralizeFormula(null)).toBe(null);
  });
});
