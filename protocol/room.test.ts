import { describe, expect, it } from 'vitest';
import { parseSeverityList } from './room.ts';

describe('protocol > parseSeverityList', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an empty string', ''],
    ['whitespace', '   '],
  ])('means "all severities" (undefined) for %s', (_label, value) => {
    expect(parseSeverityList(value)).toBeUndefined();
  });

  it.each([
    ['Critical', ['Critical']],
    ['Critical,High', ['Critical', 'High']],
    ['critical,HIGH', ['Critical', 'High']],
    [' Medium , low ', ['Medium', 'Low']],
    ['Low,Medium,High,Critical', ['Low', 'Medium', 'High', 'Critical']],
    ['High,high,HIGH', ['High']],
    ['Critical,High,Critical', ['Critical', 'High']],
  ])('parses %j', (value, expected) => {
    expect(parseSeverityList(value)).toEqual(expected);
  });

  it.each([
    ['an unknown severity', 'Urgent'],
    ['one unknown among known', 'Critical,Urgent'],
    ['an empty item', 'Critical,,High'],
    ['a trailing comma', 'Critical,'],
    ['a status instead of a severity', 'New'],
    ['a category instead of a severity', 'Ship'],
  ])('is null (invalid) for %s', (_label, value) => {
    expect(parseSeverityList(value)).toBeNull();
  });
});
