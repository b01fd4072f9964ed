/**
 * The spreadsheet formula guard (OWASP "CSV injection"), one rule for the Worker's export and the
 * dashboard's re-filtered CSV. A cell a spreadsheet could evaluate — text starting with `=`, `+`,
 * `-` or `@`, also after leading whitespace or line breaks (spreadsheets skip them before
 * reading a formula), or starting with a tab or a carriage return — is prefixed with a single
 * quote, so it is shown as text.
 */

/** Characters that start a formula once leading whitespace is skipped. */
const FORMULA_CHARACTER = /^[=+\-@]/;

/** Whether a spreadsheet could read `text` as a formula (or as one after a tab or CR). */
export function looksLikeFormula(text: string): boolean {
  // trimStart skips every ECMAScript white space and line terminator: space, tab, LF, CR, VT, FF, NBSP, U+2028, BOM, …
  return text.startsWith('\t') || text.startsWith('\r') || FORMULA_CHARACTER.test(text.trimStart());
}

/** `text`, with a leading single quote when it could be read as a formula. */
export function neutraliseFormula(text: string): string {
  return looksLikeFormula(text) ? `'${text}` : text;
}
