import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from './csv.ts';

/** The text of one RFC 4180 cell as a spreadsheet reads it (quotes removed, inner quotes undoubled). */
const unquote = (cell: string) => (cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell);

/** Text a spreadsheet would evaluate: = + - @ after any leading whitespace, or a leading tab / CR (written apart from the guard). */
const evaluable = (text: string) =>
  /^[\t\r]/.test(text) || /^[=+\-@]/.test(text.replace(/^[\s\u00a0\ufeff\u2028\u2029]+/, ''));

describe('worker > csv', () => {
  it('quotes commas, quotes, CR and LF and doubles inner quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line1\nline2')).toBe('"line1\nline2"');
    expect(csvCell('a\r\nb')).toBe('"a\r\nb"');
    expect(csvCell('plain')).toBe('plain');
  });

  it('prefixes formula-looking text with a single quote', () => {
    expect(csvCell('=cmd|/C calc')).toBe("'=cmd|/C calc");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe('"\'\rx"');
    expect(csvCell('=1,2')).toBe('"\'=1,2"');
  });

  it.each<[string, string, string]>([
    ['a space', ' =1+1', "' =1+1"],
    ['spaces', '   -2+3', "'   -2+3"],
    ['a line feed', '\n=HYPERLINK("http://x")', '"\'\n=HYPERLINK(""http://x"")"'],
    ['CR LF', '\r\n@SUM(A1)', '"\'\r\n@SUM(A1)"'],
    ['a tab then +', '\t+1', "'\t+1"],
    ['a no-break space', '\u00a0=1', "'\u00a0=1"],
    ['a vertical tab and form feed', '\u000b\u000c=1', "'\u000b\u000c=1"],
    ['a BOM', '\ufeff=1', "'\ufeff=1"],
    ['a line separator', '\u2028=1', "'\u2028=1"],
  ])('neutralises a formula behind %s', (_label, input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it.each(['  plain', '\nnote', 'a=b', 'x-1', ' ', '', "'=already"])(
    'leaves %j alone (no formula character after the whitespace)',
    (text) => {
      expect(unquote(csvCell(text))).toBe(text);
    },
  );

  it('property: no exported text cell, after trimming leading whitespace, starts with a formula character unless neutralised', () => {
    const lead = fc.constantFrom(
      '',
      ' ',
      '  ',
      '\t',
      '\r',
      '\n',
      '\r\n',
      '\u00a0',
      '\u000b',
      '\u000c',
      '\ufeff',
      '\u2028',
      '\u3000',
    );
    const formulaish = fc
      .tuple(
        fc.array(lead, { maxLength: 4 }),
        fc.constantFrom('=', '+', '-', '@', '', 'a', '"', ','),
        fc.string({ unit: 'binary', maxLength: 12 }),
      )
      .map(([ws, c, rest]) => `${ws.join('')}${c}${rest}`);
    fc.assert(
      fc.property(fc.oneof(formulaish, fc.string({ unit: 'binary' })), (text) => {
        const cell = csvCell(text);
        const shown = unquote(cell);
        if (shown.startsWith("'") && shown.slice(1) === text) expect(evaluable(text)).toBe(true);
        else {
          expect(shown).toBe(text); // untouched when not guarded
          expect(evaluable(shown)).toBe(false);
        }
        if (/[",\r\n]/.test(shown)) expect(cell.startsWith('"') && cell.endsWith('"')).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('writes empty cells for null and numbers as they are, and ends rows with CRLF', () => {
    expect(csvRow(['a', null, undefined, 3, -4, true])).toBe('a,,,3,-4,true\r\n');
  });
});
