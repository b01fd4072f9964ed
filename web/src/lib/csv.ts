/**
 * Just enough RFC 4180 to filter the API's CSV export by column on the client. What it writes
 * is guarded against spreadsheet formulas by the same rule as the Worker's export
 * (protocol/csv-formula.ts), so a cell that reached the client unguarded is not saved that way.
 */
import { neutraliseFormula } from '../../../protocol/csv-formula.ts';

/** Parses CSV text into rows of cells (quoted cells may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** A number as the Worker writes one (seq, coordinates): not text, so not guarded (`-4.5` stays a number). */
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** One cell: guarded against formulas (unless a plain number), then quoted when needed. */
function cell(value: string): string {
  const v = NUMBER.test(value) ? value : neutraliseFormula(value);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Rows as RFC 4180 CSV (CRLF line ends), every text cell formula-guarded. */
export function toCsv(rows: string[][]): string {
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + (rows.length ? '\r\n' : '');
}

/** Keeps the header and the rows `keep` accepts (cells addressed by header name). */
export function filterCsv(text: string, keep: (row: Record<string, string>) => boolean): string {
  const [header, ...rows] = parseCsv(text);
  if (!header) return text;
  const kept = rows.filter((r) => keep(Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))));
  return toCsv([header, ...kept]);
}
