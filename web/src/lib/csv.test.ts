import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filterCsv, parseCsv, toCsv } from './csv.ts';

/** Text a spreadsheet would evaluate: = + - @ after any leading whitespace, or a leading tab / CR. */
const evaluable = (text: string) => /^[\t\r]/.test(text) || /^[=+\-@]/.test(text.replace(/^\s+/, ''));
const isNumber = (text: string) => /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(text);

describe('web > csv formula guard', () => {
  it.each<[string, string]>([
    ['=cmd|/C calc', "'=cmd|/C calc"],
    [' =1+1', "' =1+1"],
    ['\n@SUM(A1)', "'\n@SUM(A1)"],
    ['\r\n+1', "'\r\n+1"],
    ['\t-1', "'\t-1"],
    ['\u00a0=1', "'\u00a0=1"],
    ['-cmd', "'-cmd"],
    ['-4.5', '-4.5'], // a coordinate, as the Worker writes numbers
    ['-1e5', '-1e5'],
    ["'=guarded by the Worker", "'=guarded by the Worker"],
    ['plain', 'plain'],
  ])('writes %j as %j once parsed back', (value, shown) => {
    expect(parseCsv(toCsv([['h'], [value]]))[1]).toEqual([shown]);
  });

  it('keeps what the Worker already guarded as it is when filtering (no double quote mark)', () => {
    const csv = 'id,title\r\n1,"\'=HYPERLINK(""http://x"")"\r\n2,\' -1\r\n';
    expect(parseCsv(filterCsv(csv, () => true))).toEqual([
      ['id', 'title'],
      ['1', '\'=HYPERLINK("http://x")'],
      ['2', "' -1"],
    ]);
  });

  it('property: no cell it writes, after trimming leading whitespace, starts with a formula character unless neutralised or a plain number', () => {
    const lead = fc.constantFrom('', ' ', '\t', '\r', '\n', '\r\n', '\u00a0', '\u000b', '\ufeff', '\u2028');
    const formulaish = fc
      .tuple(
        fc.array(lead, { maxLength: 3 }),
        fc.constantFrom('=', '+', '-', '@', '', '"', ','),
        fc.string({ maxLength: 10 }),
      )
      .map(([ws, c, rest]) => `${ws.join('')}${c}${rest}`);
    const value = fc.oneof(
      formulaish,
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.integer().map(String),
    );
    fc.assert(
      fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }), (rows) => {
        const width = rows[0]!.length;
        const table = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ''));
        const parsed = parseCsv(toCsv(table));
        expect(parsed).toHaveLength(table.length);
        parsed.forEach((row, r) =>
          row.forEach((shown, c) => {
            const original = table[r]![c]!;
            if (shown === original) expect(evaluable(shown) && !isNumber(shown)).toBe(false);
            else expect(shown).toBe(`'${original}`);
          }),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
