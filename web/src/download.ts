import { csvText } from './csv-file';

/** A CSV built in the browser (csv-file.ts) and saved as a file. */
export function downloadCsv(fileName: string, rows: (string | number)[][]): void {
  const url = URL.createObjectURL(new Blob([csvText(rows)], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
