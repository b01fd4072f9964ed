/**
 * Comma-separated filter lists (`severity=High,Critical`, `status=New,Acknowledged`, a room's
 * `severity`): every one is de-duplicated here, before it can reach SQL, so what reaches a query
 * is bounded by the number of known values (4 severities, 5 statuses), whatever was written.
 * 120 copies of one severity are that severity — one SQL parameter, not 120 against D1's limit
 * of 100. Lists of any length are accepted (the request's URL is bounded by the runtime).
 */

/**
 * Parses a comma-separated list with `parseOne` (entries trimmed), folding repeats, keeping the
 * first-seen order. Undefined when any entry is unknown.
 */
export function parseFilterList<T>(text: string, parseOne: (entry: string) => T | undefined): T[] | undefined {
  const out: T[] = [];
  for (const part of text.split(',')) {
    const value = parseOne(part.trim());
    if (value === undefined) return undefined;
    if (!out.includes(value)) out.push(value);
  }
  return out;
}
