import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainJson } from '../test/support/json-arbitraries.ts';
import { CATEGORIES, SEVERITIES, STATUSES } from './enums.ts';
import { sampleEvent } from './fixtures.ts';
import { matchRule, raisedSeverity, ruleActor, ruleFires, valueAt, type RuleChange, type RuleMatch } from './rules.ts';
import { RuleInputSchema, RuleMatchSchema } from './schemas/rules.ts';

const change = (overrides: Partial<RuleChange> = {}, event = sampleEvent()): RuleChange => ({
  kind: 'created',
  seq: event.seq,
  fromStatus: null,
  toStatus: event.status,
  actor: null,
  event,
  ...overrides,
});

const reefer = sampleEvent({
  category: 'Container',
  severity: 'Critical',
  eventType: 'ReeferAlarm',
  containerId: 'MSCU1234567',
  eventData: { temperatureC: -12, unit: { id: 'R7' } },
});

const arbChange: fc.Arbitrary<RuleChange> = fc
  .record({
    category: fc.constantFrom(...CATEGORIES),
    severity: fc.constantFrom(...SEVERITIES),
    status: fc.constantFrom(...STATUSES),
    eventType: fc.constantFrom('ReeferAlarm', 'Crane', 'Gate'),
    containerId: fc.option(fc.constantFrom('MSCU1', 'MAEU2', ''), { nil: null }),
    assignedTo: fc.option(fc.constantFrom('crew-7', 'crew-8'), { nil: null }),
    eventData: fc.dictionary(fc.string({ maxLength: 8 }), plainJson(3), { maxKeys: 4 }),
    kind: fc.constantFrom('created' as const, 'changed' as const),
    fromStatus: fc.option(fc.constantFrom(...STATUSES), { nil: null }),
    actor: fc.option(fc.constantFrom('op-1', 'rule:abc'), { nil: null }),
  })
  .map((r) =>
    change(
      { kind: r.kind, fromStatus: r.kind === 'created' ? null : r.fromStatus, actor: r.actor },
      sampleEvent({
        category: r.category,
        severity: r.severity,
        status: r.status,
        eventType: r.eventType,
        containerId: r.containerId,
        assignedTo: r.assignedTo,
        eventData: r.eventData,
      }),
    ),
  );

/** Any document the schema accepts as a match (built from arbitrary parts, then validated). */
const arbMatch: fc.Arbitrary<RuleMatch> = fc
  .record(
    {
      categories: fc.uniqueArray(fc.constantFrom(...CATEGORIES), { minLength: 1 }),
      severities: fc.uniqueArray(fc.constantFrom(...SEVERITIES), { minLength: 1 }),
      eventTypes: fc.array(fc.constantFrom('ReeferAlarm', 'Crane'), { minLength: 1, maxLength: 2 }),
      on: fc.constantFrom('created', 'changed', 'any'),
      transition: fc.record(
        {
          from: fc.array(fc.constantFrom(...STATUSES), { minLength: 1 }),
          to: fc.array(fc.constantFrom(...STATUSES), { minLength: 1 }),
        },
        { requiredKeys: [] },
      ),
      conditions: fc.array(
        fc.oneof(
          fc.record({
            path: fc.constantFrom('eventData.temperatureC', 'containerId', 'severity'),
            op: fc.constantFrom('gt', 'lt', 'gte', 'lte'),
            value: fc.oneof(fc.integer({ min: -50, max: 50 }), fc.string({ maxLength: 4 })),
          }),
          fc.record({
            path: fc.constantFrom('containerId', 'eventData.x.y'),
            op: fc.constantFrom('startsWith', 'contains'),
            value: fc.string({ minLength: 1, maxLength: 4 }),
          }),
          fc.record({
            path: fc.constantFrom('assignedTo', 'eventData.a'),
            op: fc.constant('exists'),
            value: fc.boolean(),
          }),
        ),
        { maxLength: 4 },
      ),
    },
    { requiredKeys: [] },
  )
  .map((m) => RuleMatchSchema.parse(m));

describe('protocol > rules > matchRule', () => {
  it('matches the issue’s example: a warm reefer of an MSCU container', () => {
    const match: RuleMatch = {
      categories: ['Container'],
      eventTypes: ['ReeferAlarm'],
      conditions: [
        { path: 'eventData.temperatureC', op: 'gt', value: -15 },
        { path: 'containerId', op: 'startsWith', value: 'MSCU' },
      ],
    };
    expect(matchRule(match, change({}, reefer))).toBe(true);
    const cold = sampleEvent({ ...reefer, eventData: { temperatureC: -18 } });
    expect(matchRule(match, change({}, cold))).toBe(false);
    const other = sampleEvent({ ...reefer, containerId: 'MAEU1' });
    expect(matchRule(match, change({}, other))).toBe(false);
  });

  it('judges a status transition: from → to, and a new event has no from', () => {
    const match: RuleMatch = { transition: { from: ['New'], to: ['Acknowledged'] } };
    const acked = sampleEvent({ status: 'Acknowledged' });
    expect(matchRule(match, change({ kind: 'changed', fromStatus: 'New', toStatus: 'Acknowledged' }, acked))).toBe(
      true,
    );
    expect(
      matchRule(match, change({ kind: 'changed', fromStatus: 'InProgress', toStatus: 'Acknowledged' }, acked)),
    ).toBe(false);
    expect(matchRule(match, change({ kind: 'created', toStatus: 'Acknowledged' }, acked))).toBe(false);
    expect(matchRule({ transition: { to: ['New'] } }, change())).toBe(true);
  });

  it('never compares across types, and reads a missing path as absent', () => {
    const e = sampleEvent({ eventData: { n: '5', flag: null } });
    expect(matchRule({ conditions: [{ path: 'eventData.n', op: 'gt', value: 1 }] }, change({}, e))).toBe(false);
    expect(matchRule({ conditions: [{ path: 'eventData.missing', op: 'ne', value: 1 }] }, change({}, e))).toBe(true);
    expect(matchRule({ conditions: [{ path: 'eventData.flag', op: 'exists', value: false }] }, change({}, e))).toBe(
      true,
    );
    expect(matchRule({ conditions: [{ path: 'eventData.n', op: 'in', value: ['4', '5'] }] }, change({}, e))).toBe(true);
  });

  it('reads own properties only: inherited members are absent', () => {
    const e = sampleEvent({ eventData: {} });
    expect(valueAt(e, 'eventData.toString')).toBeUndefined();
    expect(valueAt(e, 'eventData.__proto__')).toBeUndefined();
    expect(valueAt(e, 'eventData.constructor')).toBeUndefined();
    expect(valueAt(e, 'title')).toBe(e.title);
  });

  it('an empty match matches every change', () => {
    fc.assert(fc.property(arbChange, (c) => matchRule({}, c)));
  });

  it('adding a condition never makes a rule match more changes', () => {
    fc.assert(
      fc.property(arbMatch, arbChange, (m, c) => {
        const [first, ...rest] = m.conditions ?? [];
        if (!first) return true;
        const fewer = { ...m, conditions: rest };
        return !matchRule(m, c) || matchRule(fewer, c);
      }),
    );
  });

  it('never throws, whatever the document (as accepted by the schema) and the event', () => {
    fc.assert(fc.property(arbMatch, arbChange, (m, c) => typeof matchRule(m, c) === 'boolean'));
  });

  it('valueAt never throws and follows at most 6 segments, for any path over any JSON', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), plainJson(6), (path, data) => {
        const e = sampleEvent({ eventData: { data } });
        valueAt(e, path);
        return valueAt(e, 'eventData.data.a.b.c.d.e') === undefined;
      }),
    );
  });
});

describe('protocol > rules > ruleFires', () => {
  it('a paused rule and a change a rule made never fire', () => {
    fc.assert(
      fc.property(arbChange, (c) => {
        expect(ruleFires({ paused: true, match: {} }, c)).toBe(false);
        const byRule = { ...c, actor: ruleActor('r1') };
        expect(ruleFires({ paused: false, match: {} }, byRule)).toBe(false);
        const createdByRule = { ...c, actor: null, event: { ...c.event, source: ruleActor('r1') } };
        expect(ruleFires({ paused: false, match: {} }, createdByRule)).toBe(false);
      }),
    );
  });
});

describe('protocol > schemas > RuleInputSchema', () => {
  const valid = {
    name: 'Reefer too warm',
    match: { categories: ['Container'], conditions: [{ path: 'eventData.temperatureC', op: 'gt', value: -15 }] },
    actions: [
      { type: 'webhook', url: 'https://tos.example.com/hook' },
      { type: 'escalate', afterMinutes: 15, unless: 'acknowledged', steps: [{ type: 'notify', users: ['duty'] }] },
    ],
  };

  it('accepts the documented example, and an email to plain addresses', () => {
    expect(RuleInputSchema.safeParse(valid).success).toBe(true);
    const email = { ...valid, actions: [{ type: 'email', to: ['duty@port.example.com', 'ops.night@terminal.nl'] }] };
    expect(RuleInputSchema.safeParse(email).success).toBe(true);
  });

  it.each([
    [
      'a forbidden path segment',
      { ...valid, match: { conditions: [{ path: 'eventData.__proto__', op: 'exists', value: true }] } },
    ],
    ['a path too deep', { ...valid, match: { conditions: [{ path: 'a.b.c.d.e.f.g', op: 'exists', value: true }] } }],
    ['an unknown op', { ...valid, match: { conditions: [{ path: 'title', op: 'regex', value: '.*' }] } }],
    ['an unknown key', { ...valid, extra: 1 }],
    [
      'a nested escalation',
      { ...valid, actions: [{ type: 'escalate', afterMinutes: 1, unless: 'resolved', steps: [valid.actions[1]] }] },
    ],
    ['a non-http webhook', { ...valid, actions: [{ type: 'webhook', url: 'file:///etc/passwd' }] }],
    ['credentials in the url', { ...valid, actions: [{ type: 'webhook', url: 'https://u:p@example.com/' }] }],
    ['no actions', { ...valid, actions: [] }],
    ['a notify to nobody', { ...valid, actions: [{ type: 'notify' }] }],
    ['a control character in the name', { ...valid, name: 'a\u0000b' }],
    ['an email to something that is no address', { ...valid, actions: [{ type: 'email', to: ['Duty <duty@x.com>'] }] }],
    ['an email to nobody', { ...valid, actions: [{ type: 'email', to: [] }] }],
  ])('refuses %s', (_, doc) => {
    expect(RuleInputSchema.safeParse(doc).success).toBe(false);
  });

  it('never throws on any JSON, and what it accepts it accepts again unchanged', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          plainJson(4),
          fc.constant(valid),
          fc.record({ name: fc.string(), match: plainJson(3), actions: plainJson(3) }),
        ),
        (v) => {
          const r = RuleInputSchema.safeParse(v);
          if (r.success) expect(RuleInputSchema.parse(r.data)).toEqual(r.data);
        },
      ),
    );
  });
});

describe('raisedSeverity', () => {
  it('raises one level without a target, to the target with one, and never lowers', () => {
    expect(raisedSeverity('Low', undefined)).toBe('Medium');
    expect(raisedSeverity('High', undefined)).toBe('Critical');
    expect(raisedSeverity('Critical', undefined)).toBeUndefined();
    expect(raisedSeverity('Medium', 'Critical')).toBe('Critical');
    expect(raisedSeverity('High', 'Medium')).toBeUndefined();
    expect(raisedSeverity('High', 'High')).toBeUndefined();
  });

  it('answers a strictly higher severity or nothing, for any pair', () => {
    const rank = (s: (typeof SEVERITIES)[number]) => SEVERITIES.length - SEVERITIES.indexOf(s);
    fc.assert(
      fc.property(
        fc.constantFrom(...SEVERITIES),
        fc.option(fc.constantFrom(...SEVERITIES), { nil: undefined }),
        (current, to) => {
          const r = raisedSeverity(current, to);
          if (r === undefined) {
            expect(to === undefined ? current === 'Critical' : rank(to) <= rank(current)).toBe(true);
          } else {
            expect(rank(r)).toBeGreaterThan(rank(current));
            expect(r).toBe(to ?? SEVERITIES[SEVERITIES.indexOf(current) - 1]);
          }
        },
      ),
    );
  });

  it('is a step an escalation may take, with an optional target severity', () => {
    const base = { name: 'r', match: {} };
    const ok = (steps: unknown[]) =>
      RuleInputSchema.safeParse({
        ...base,
        actions: [{ type: 'escalate', afterMinutes: 5, unless: 'acknowledged', steps }],
      }).success;
    expect(ok([{ type: 'raiseSeverity' }])).toBe(true);
    expect(ok([{ type: 'raiseSeverity', to: 'Critical' }])).toBe(true);
    expect(ok([{ type: 'raiseSeverity', to: 'Urgent' }])).toBe(false);
    expect(ok([{ type: 'raiseSeverity', by: 2 }])).toBe(false);
  });
});
