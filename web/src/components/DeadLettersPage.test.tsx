import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filterQuery } from './DeadLettersPage.tsx';

const none = { topic: '', reason: '', from: '', to: '', status: '' };

describe('web > DeadLettersPage filterQuery', () => {
  it('sends only the filters that are set, trimmed, times as ISO', () => {
    expect(filterQuery(none).toString()).toBe('limit=100');
    const q = filterQuery({
      topic: ' port-events ',
      reason: 'not JSON',
      from: '2026-12-01T10:00',
      to: '',
      status: 'new',
    });
    expect(q.get('topic')).toBe('port-events');
    expect(q.get('reason')).toBe('not JSON');
    expect(q.get('status')).toBe('new');
    expect(Number.isFinite(Date.parse(q.get('from')!))).toBe(true);
    expect(q.has('to')).toBe(false);
  });

  it('property: blank text filters are never sent', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\s*$/), fc.stringMatching(/^\s*$/), (topic, reason) => {
        const q = filterQuery({ ...none, topic, reason });
        expect(q.has('topic') || q.has('reason')).toBe(false);
      }),
    );
  });
});
