import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, SEVERITIES, STATUSES } from '../../protocol/enums.ts';
import { sampleEvent } from '../../protocol/fixtures.ts';
import type { Rule } from '../../protocol/rules.ts';
import type { FeedChange } from '../db/rules.ts';
import { pageEffects } from './effects.ts';

const ctx = { category: 'Container' as const, now: 1_000_000, minuteMs: 60_000 };

const arbFeed: fc.Arbitrary<FeedChange[]> = fc
  .uniqueArray(
    fc.record({
      seq: fc.integer({ min: 1, max: 10_000 }),
      id: fc.constantFrom('a', 'b', 'c:1', 'd'),
      deleted: fc.boolean(),
      changed: fc.boolean(),
      action: fc.constantFrom('assign', 'acknowledge', 'resolve'),
      actor: fc.constantFrom('op-1', 'rule:r9'),
      from: fc.constantFrom(...STATUSES),
      status: fc.constantFrom(...STATUSES),
      severity: fc.constantFrom(...SEVERITIES),
      category: fc.constantFrom(...CATEGORIES),
      assignedTo: fc.option(fc.constantFrom('crew-7', 'crew-8'), { nil: null }),
      source: fc.constantFrom(null, 'rule:r9'),
    }),
    { selector: (r) => r.seq, maxLength: 30 },
  )
  .map((rows) =>
    rows
      .sort((x, y) => x.seq - y.seq)
      .map((r) => ({
        id: r.id,
        seq: r.seq,
        deleted: r.deleted,
        event: r.deleted
          ? undefined
          : sampleEvent({
              id: r.id,
              seq: r.seq,
              status: r.status,
              severity: r.severity,
              category: r.category,
              assignedTo: r.assignedTo,
              source: r.source,
              updatedAt: new Date(500_000).toISOString(),
            }),
        actor: r.changed ? r.actor : null,
        fromStatus: r.changed ? r.from : null,
        toStatus: r.deleted ? null : r.status,
        changed: r.changed,
        action: r.changed ? r.action : null,
      })),
  );

const rule = (id: string, over: Partial<Rule> = {}): Rule => ({
  id,
  name: id,
  version: 1,
  paused: false,
  createdAt: '',
  updatedAt: '',
  updatedBy: 'op',
  match: {},
  actions: [
    { type: 'webhook', url: 'https://r.example/h' },
    { type: 'notify', roles: ['operator'], assignee: true },
    { type: 'escalate', afterMinutes: 5, unless: 'acknowledged', steps: [{ type: 'notify', users: ['boss'] }] },
    { type: 'assign', assignee: 'crew-9' },
  ],
  ...over,
});

const ids = (e: ReturnType<typeof pageEffects>) => [
  ...e.notifications.map((n) => n.id),
  ...e.deliveries.map((d) => d.id),
  ...e.escalations.map((x) => x.id),
  ...e.steps.map((s) => s.id),
];

describe('rules > pageEffects', () => {
  it('is deterministic: the same page gives the same effect ids (a redo creates nothing new), all distinct', () => {
    fc.assert(
      fc.property(arbFeed, (feed) => {
        const rules = [rule('r1'), rule('r2', { match: { severities: ['Critical'] } })];
        const first = ids(pageEffects(feed, rules, ctx));
        const again = ids(pageEffects(feed, rules, { ...ctx, now: ctx.now + 99_999 }));
        expect(again).toEqual(first);
        expect(new Set(first).size).toBe(first.length);
      }),
    );
  });

  it('never acts on a delete or on a change a rule made; a delete cancels every escalation of its event', () => {
    fc.assert(
      fc.property(arbFeed, (feed) => {
        const effects = pageEffects(feed, [rule('r1')], ctx);
        const byRule = new Set(
          feed
            .filter((f) => f.deleted || f.actor?.startsWith('rule:') || f.event?.source?.startsWith('rule:'))
            .map((f) => `${f.id}:${f.seq}`),
        );
        for (const d of effects.deliveries) expect(byRule.has(`${d.eventId}:${d.id.split(':').at(-2)}`)).toBe(false);
        for (const f of feed.filter((x) => x.deleted))
          expect(effects.cancel).toContainEqual({ eventId: f.id, unless: ['acknowledged', 'resolved'] });
      }),
    );
  });

  it('starts no escalation for an event the change already acknowledged, and dates the timer from the change', () => {
    fc.assert(
      fc.property(arbFeed, (feed) => {
        const effects = pageEffects(feed, [rule('r1')], ctx);
        for (const esc of effects.escalations) {
          const f = feed.find((x) => x.id === esc.eventId && x.seq === esc.seq)!;
          expect(f.event!.status).toBe('New');
          expect(esc.dueAt).toBe(500_000 + 5 * 60_000);
        }
      }),
    );
  });

  it('tells the assignee once per assign change, without any rule', () => {
    const e = sampleEvent({ id: 'x', seq: 7, assignedTo: 'crew-7', status: 'Acknowledged' });
    const assign: FeedChange = {
      id: 'x',
      seq: 7,
      deleted: false,
      event: e,
      actor: 'op',
      fromStatus: 'Acknowledged',
      toStatus: 'Acknowledged',
      changed: true,
      action: 'assign',
    };
    const ack: FeedChange = { ...assign, seq: 8, event: { ...e, seq: 8 }, action: 'acknowledge' };
    const effects = pageEffects([assign, ack], [], ctx);
    expect(effects.notifications.map((n) => [n.id, n.recipient, n.kind])).toEqual([
      ['assigned:x:7', 'user:crew-7', 'assigned'],
    ]);
  });
});
