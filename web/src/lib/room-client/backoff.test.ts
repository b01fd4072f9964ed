import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

describe('web > backoff', () => {
  it('grows exponentially, is capped, and is never below half the step', () => {
    const o = { initialMs: 500, maxMs: 8000, factor: 2 };
    expect(backoffDelay(0, () => 0, o)).toBe(250);
    expect(backoffDelay(0, () => 1, o)).toBe(500);
    expect(backoffDelay(3, () => 0.5, o)).toBe(3000);
    expect(backoffDelay(20, () => 1, o)).toBe(8000);
  });
});
