import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWellFormed } from './json-shape.ts';
import { MAX_REASON_CHARS, describeIssues, oneLine } from './reason.ts';

describe('protocol > describeIssues', () => {
  it('joins path and message of every issue', () => {
    expect(
      describeIssues([
        { path: 'title', message: 'too long' },
        { path: '(root)', message: 'bad' },
      ]),
    ).toBe('title: too long; (root): bad');
  });
});

describe('protocol > oneLine', () => {
  it('escapes control characters, so no escape sequence reaches a terminal', () => {
    expect(oneLine('a\u001b[31mred\nb')).toBe('a\\u001b[31mred\\u000ab');
  });

  it('is one bounded, well-formed line for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), (text) => {
        const line = oneLine(text);
        expect(line.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
        expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        expect(isWellFormed(line)).toBe(true);
      }),
    );
  });
});
