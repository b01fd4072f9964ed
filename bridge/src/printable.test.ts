import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable, printableBytes } from './printable.ts';

/** Characters that can act on a terminal or reorder what it shows (an oracle written apart from the module). */
function actsOnTerminal(c: number): boolean {
  return (
    c < 0x20 ||
    (c >= 0x7f && c <= 0x9f) ||
    [0x00ad, 0x061c, 0x180e, 0xfeff].includes(c) ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x2028 && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x206f) ||
    (c >= 0xfff9 && c <= 0xfffb)
  );
}

/** Code points of `s`, with lone surrogates as themselves. */
const codePoints = (s: string) => Array.from(s, (ch) => ch.codePointAt(0)!);
const isLoneSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;

describe('bridge > printable', () => {
  it.each<[string, string, string]>([
    ['an ANSI colour and clear-screen', 'red\u001b[31m\u001b[2Jgone', 'red\\x1b[31m\\x1b[2Jgone'],
    ['an OSC window title / hyperlink', '\u001b]0;pwned\u0007x', '\\x1b]0;pwned\\x07x'],
    ['an 8-bit CSI (C1)', 'a\u009b31mb', 'a\\u009b31mb'],
    ['a carriage return that would overwrite the line', 'ok\rFAKE', 'ok\\x0dFAKE'],
    ['line breaks and a tab', 'a\nb\tc', 'a\\x0ab\\x09c'],
    ['NUL and DEL', 'a\u0000b\u007f', 'a\\x00b\\x7f'],
    ['bidi overrides (Trojan Source)', 'admin\u202e\u2066txt', 'admin\\u202e\\u2066txt'],
    ['zero-width and BOM characters', 'a\u200bb\ufeffc', 'a\\u200bb\\ufeffc'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['a lone surrogate', 'a\ud800b', 'a\\ud800b'],
    // fast-check seed -1276328873 (path 162:18): U+2065, the unassigned code point among the invisible
    // operators U+2060–206F, came out as it was; the whole block is escaped now.
    ['an unassigned invisible operator (U+2065)', 'a\u2065b', 'a\\u2065b'],
    ['text that is fine as it is', 'Kühlcontainer 冷藏 🚢 {"a":"\\n"}', 'Kühlcontainer 冷藏 🚢 {"a":"\\n"}'],
  ])('escapes %s', (_label, input, expected) => {
    expect(printable(input)).toBe(expected);
  });

  it('cuts to maxChars code points, never inside a surrogate pair', () => {
    expect(printable('abcdef', 3)).toBe('abc…');
    expect(printable('🚢🚢🚢', 2)).toBe('🚢🚢…');
    expect(printable('abc', 3)).toBe('abc');
    expect(printable('\u001b\u001b\u001b', 2)).toBe('\\x1b\\x1b…');
  });

  it('property: nothing that acts on a terminal comes out, and safe text comes out unchanged', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.string({ unit: 'grapheme', maxLength: 30 }),
          fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
        ),
        (text) => {
          const out = printable(text);
          for (const c of codePoints(out)) {
            expect(actsOnTerminal(c), `U+${c.toString(16)} in ${JSON.stringify(out)}`).toBe(false);
            expect(isLoneSurrogate(c)).toBe(false);
          }
          if (!codePoints(text).some((c) => actsOnTerminal(c) || isLoneSurrogate(c))) expect(out).toBe(text);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('bridge > printableBytes', () => {
  it('shows valid UTF-8 as text, escaped', () => {
    expect(printableBytes(Buffer.from('GateIn \u001b[2J ✓'))).toBe('GateIn \\x1b[2J ✓');
  });

  it('shows the bytes that are not UTF-8 as \\xNN, keeping the valid text around them', () => {
    expect(
      printableBytes(Buffer.concat([Buffer.from('{"t":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('é"}')])),
    ).toBe('{"t":"\\xc3(\\xff' + 'é"}');
    expect(printableBytes(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80'); // an encoded surrogate is not UTF-8
    expect(printableBytes(Buffer.from([0x9b, 0x33, 0x31, 0x6d]))).toBe('\\x9b31m'); // a raw 8-bit CSI byte
  });

  it('cuts to maxChars characters, decoding only the head', () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 0x61);
    expect(printableBytes(big, 5)).toBe('aaaaa…');
    expect(printableBytes(Buffer.concat([Buffer.from([0xff]), Buffer.alloc(100, 0x62)]), 3)).toBe('\\xffbb…');
    expect(printableBytes(Buffer.from('🚢🚢🚢'), 2)).toBe('🚢🚢…');
    expect(printableBytes(Buffer.from('abc'), 3)).toBe('abc');
  });

  it('property: any bytes come out with nothing that acts on a terminal, and never longer than maxChars (+ …)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 80 }), (bytes, maxChars) => {
        const out = printableBytes(bytes, maxChars);
        for (const c of codePoints(out)) expect(actsOnTerminal(c) || isLoneSurrogate(c)).toBe(false);
        // each character shown is at most one \xNN / \uXXXX escape
        expect(codePoints(out.replace(/\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/g, '#')).length).toBeLessThanOrEqual(maxChars + 1);
      }),
      { numRuns: 2000 },
    );
  });
});
