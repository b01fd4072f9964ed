/**
 * Comma-separated filter lists of the API (`severity=High,Critical`, `status=New,Acknowledged`):
 * every one is de-duplicated and bounded here, before it can reach SQL. 120 copies of one
 * severity are that severity (one SQL parameter), not 120 parameters against D1's limit of 100.
 */

/** Most entries a filter list may have as written (repeats included); more is a 400. */
export const MAX_FILTER_LIST_ENTRIES = 64;

/**
 * Parses a comma-separated list with `parseOne` (entries trimmed), folding repeats, keeping the
 * first-seen order. Undefined when an entry is unknown or there are more than `maxEntries`.
 */
export function parseFilterList<T>(text: string, parseOne: (entry: string) => T | undefined, maxEntries = MAX_FILTER_LIST_ENTRIES): T[] | undefined {
  const parts = text.split(',', maxEntries + 1);
  if (parts.length > maxEntries) return undefined;
  const out: T[] = [];
  for (const part of parts) {
    const value = parseOne(part.trim());
    if (value === undefined) return undefined;
    if (!out.includes(value)) out.push(value);
  }
  return out;
}
