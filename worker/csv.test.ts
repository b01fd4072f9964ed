import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from './csv.ts';

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

  it('writes empty cells for null and numbers as they are, and ends rows with CRLF', () => {
    expect(csvRow(['a', null, undefined, 3, -4, true])).toBe('a,,,3,-4,true\r\n');
  });
});
