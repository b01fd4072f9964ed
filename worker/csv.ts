/**
 * RFC 4180 CSV cells and rows, neutralised against spreadsheet formula injection
 * (protocol/csv-formula.ts): a text cell starting with = + - @ — also after leading whitespace or
 * line breaks — or with a tab or a CR is prefixed with a single quote so spreadsheets show it as
 * text instead of evaluating it.
 */
import { neutraliseFormula } from '../protocol/csv-formula.ts';

const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: null/undefined empty, numbers and booleans as is, text guarded and quoted when needed. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = neutraliseFormula(typeof value === 'string' ? value : JSON.stringify(value));
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, CRLF-terminated as RFC 4180 says. */
export function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
