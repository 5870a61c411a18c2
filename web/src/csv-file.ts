import { CSV_BOM, csvLine } from '../../src/core/csv.js';

/**
 * The text of a CSV the console saves, written as the server's exports are (src/core/csv.ts): UTF-8 with BOM so Excel
 * reads Chinese, CRLF lines, and a cell such as `=HYPERLINK(…)` (a buyer's nick, a tag) neutralised so it opens as
 * the text it is, not a formula. Pure (no DOM): test/web/csv-file.test.ts.
 */
export function csvText(rows: (string | number)[][]): string {
  return CSV_BOM + rows.map(csvLine).join('');
}
