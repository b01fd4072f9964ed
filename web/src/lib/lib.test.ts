import { describe, expect, it } from 'vitest';
import type { QuaycastEvent } from '../../../protocol/event.ts';
import { sampleEvent } from '../../../protocol/fixtures.ts';
import { captureToken, can, decodeClaims } from './auth.ts';
import { filterCsv, parseCsv } from './csv.ts';
import { pipelineStages } from './format.ts';
import {
  EMPTY_FILTER,
  exportRowFilter,
  makePredicate,
  matchesText,
  toQuery,
  words,
  type FindFilter,
} from './filters.ts';
import { pillOf, summarize } from './status.ts';
import { STATUSES } from '../../../protocol/enums.ts';
import { allowedActions } from '../../../protocol/workflow.ts';
import { availableActions, optimisticPatch } from './workflow.ts';

const ALL = {
  categories: ['Container', 'Ship', 'Berth', 'Port', 'System'],
  severities: ['Critical', 'High', 'Medium', 'Low'],
} as const;
const sub = { categories: [...ALL.categories], severities: [...ALL.severities] };
const e = (p: Partial<QuaycastEvent>): QuaycastEvent =>
  sampleEvent({
    id: 'x',
    seq: 1,
    severity: 'Low',
    title: 'Gate-in MSCU1234567 at RWG',
    eventTime: '2026-11-29T08:00:00Z',
    receivedAt: '2026-11-29T08:00:01Z',
    requiresAction: false,
    ...p,
  });
const filter = (p: Partial<FindFilter> = {}, quick: Partial<FindFilter['quick']> = {}): FindFilter => ({
  ...structuredClone(EMPTY_FILTER),
  ...p,
  quick: { ...EMPTY_FILTER.quick, ...quick },
});
const ctx = { now: Date.parse('2026-11-29T12:00:00Z'), me: 'ops-1', isRead: () => false };

describe('web > auth', () => {
  const b64 = (s: string) => btoa(Array.from(new TextEncoder().encode(s), (b) => String.fromCharCode(b)).join(''));
  const token = (claims: object) =>
    `h.${b64(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.s`;
  it('decodes the role claim for the UI and rejects tokens without one', () => {
    expect(decodeClaims(token({ sub: 'a', role: 'operator', name: 'Åsa' }))).toEqual({
      sub: 'a',
      role: 'operator',
      name: 'Åsa',
    });
    expect(decodeClaims(token({ sub: 'a', role: 'root' }))).toBeUndefined();
    expect(decodeClaims('nope')).toBeUndefined();
  });
  it('decodes a scope as the Worker reads it: de-duplicated, canonical order; an empty or unknown one is no usable token', () => {
    expect(
      decodeClaims(token({ sub: 'a', role: 'viewer', exp: 9, categories: ['Ship', 'Container', 'Ship'] })),
    ).toEqual({ sub: 'a', role: 'viewer', exp: 9, categories: ['Container', 'Ship'] });
    expect(decodeClaims(token({ sub: 'a', role: 'viewer', categories: [] }))).toBeUndefined();
    expect(decodeClaims(token({ sub: 'a', role: 'viewer', categories: ['Secret'] }))).toBeUndefined();
  });
  it('takes #token= into sessionStorage and out of the address bar', () => {
    history.replaceState(null, '', '/dash?x=1#token=abc.def.ghi');
    expect(captureToken(location, sessionStorage, history)).toBe('abc.def.ghi');
    expect(location.hash).toBe('');
    expect(location.search).toBe('?x=1');
    expect(sessionStorage.getItem('qc_token')).toBe('abc.def.ghi');
  });
  it('maps roles to abilities', () => {
    expect(can('viewer', 'workflow')).toBe(false);
    expect(can('producer', 'create')).toBe(true);
    expect(can('operator', 'delete')).toBe(false);
    expect(can('admin', 'delete')).toBe(true);
  });
});

describe('web > filters', () => {
  it('quick filters: critical, requires action, mine, unread', () => {
    const crit = e({ severity: 'Critical' });
    expect(makePredicate(filter({}, { critical: true }), sub, ctx)(crit)).toBe(true);
    expect(makePredicate(filter({}, { critical: true }), sub, ctx)(e({}))).toBe(false);
    expect(makePredicate(filter({}, { requiresAction: true }), sub, ctx)(e({ requiresAction: true }))).toBe(true);
    expect(makePredicate(filter({}, { mine: true }), sub, ctx)(e({ assignedTo: 'ops-1' }))).toBe(true);
    expect(makePredicate(filter({}, { mine: true }), sub, ctx)(e({ assignedTo: 'ops-2' }))).toBe(false);
    expect(makePredicate(filter({}, { unread: true }), sub, { ...ctx, isRead: () => true })(e({}))).toBe(false);
  });
  it('free text matches word prefixes of title and description, like the API', () => {
    expect(makePredicate(filter({ q: 'mscu12 gate' }), sub, ctx)(e({}))).toBe(true);
    expect(makePredicate(filter({ q: 'ate' }), sub, ctx)(e({}))).toBe(false);
  });
  it('the subscription hides categories and severities not watched', () => {
    expect(makePredicate(filter(), { categories: ['Ship'], severities: [...ALL.severities] }, ctx)(e({}))).toBe(false);
  });
  it('the time range reads receivedAt in [from, to)', () => {
    const p = makePredicate(filter({ from: '2026-11-29T07:00', to: '2026-11-29T09:00' }), sub, ctx);
    expect(p(e({ receivedAt: new Date('2026-11-29T08:00').toISOString() }))).toBe(true);
    expect(p(e({ receivedAt: new Date('2026-11-29T09:00').toISOString() }))).toBe(false);
  });
  it('becomes the same query for the export', () => {
    const q = toQuery(
      filter({ q: 'reefer', from: '2026-11-29T07:00' }, { critical: true, unread: true }),
      { categories: ['Container'], severities: ['Critical', 'High'] },
      ctx,
    );
    expect(Object.fromEntries(q)).toEqual({
      category: 'Container',
      severity: 'Critical',
      q: 'reefer',
      from: new Date('2026-11-29T07:00').toISOString(),
      unread: 'true',
    });
    expect([...toQuery(filter(), sub, ctx)]).toEqual([]);
  });
  it('filters exported rows on what the API cannot express', () => {
    const keep = exportRowFilter(
      filter({}, { requiresAction: true }),
      { categories: ['Ship', 'Port'], severities: [...ALL.severities] },
      'ops-1',
    )!;
    const csv = 'id,category,requiresAction,title\r\n1,Ship,true,"a, b"\r\n2,Container,true,x\r\n3,Port,false,y\r\n';
    expect(parseCsv(filterCsv(csv, keep))).toEqual([
      ['id', 'category', 'requiresAction', 'title'],
      ['1', 'Ship', 'true', 'a, b'],
    ]);
    expect(exportRowFilter(filter(), sub, 'ops-1')).toBeUndefined();
  });
});

describe('web > workflow actions', () => {
  it('shows nothing to a viewer and only what the state allows to an operator', () => {
    expect(availableActions({ status: 'New' }, 'viewer', false)).toEqual([]);
    expect(availableActions({ status: 'New' }, 'operator', false)).toEqual([
      'acknowledge',
      'start',
      'assign',
      'resolve',
      'markRead',
    ]);
    expect(availableActions({ status: 'Resolved' }, 'operator', true)).toEqual([
      'assign',
      'close',
      'reopen',
      'markUnread',
    ]);
    expect(availableActions({ status: 'Closed' }, 'admin', false)).toEqual(['reopen', 'markRead', 'delete']);
  });

  it('offers, in every status, exactly the actions the Worker allows (the shared table)', () => {
    for (const status of STATUSES)
      expect([...availableActions({ status }, 'operator', false)].sort(), status).toEqual(
        allowedActions(status)
          .filter((a) => a !== 'markUnread')
          .sort(),
      );
  });

  it('shows at once what the Worker will do, with the actor it will record, and waits for the server otherwise', () => {
    const now = Date.parse('2026-11-29T09:00:00.000Z');
    const actor = { sub: 'ops-1', name: 'Åsa' };
    expect(optimisticPatch(sampleEvent(), 'acknowledge', actor, now)).toEqual({
      status: 'Acknowledged',
      acknowledgedAt: '2026-11-29T09:00:00.000Z',
      acknowledgedBy: 'Åsa',
      updatedAt: '2026-11-29T09:00:00.000Z',
    });
    expect(
      optimisticPatch(
        sampleEvent({ status: 'Acknowledged', acknowledgedAt: 'earlier', acknowledgedBy: 'x' }),
        'start',
        actor,
        now,
      ),
    ).toEqual({ status: 'InProgress', updatedAt: '2026-11-29T09:00:00.000Z' });
    expect(optimisticPatch(sampleEvent(), 'assign', { sub: 'ops-1' }, now, ' crew-7 ')).toEqual({
      assignedTo: 'crew-7',
      updatedAt: '2026-11-29T09:00:00.000Z',
    });
    expect(optimisticPatch(sampleEvent(), 'assign', actor, now)).toBeUndefined();
    expect(optimisticPatch(sampleEvent(), 'resolve', actor, now)).toBeUndefined();
    expect(optimisticPatch(sampleEvent({ status: 'Resolved' }), 'reopen', actor, now)).toBeUndefined();
    expect(optimisticPatch(sampleEvent(), 'close', actor, now)).toBeUndefined(); // New → Closed is not allowed
  });
});

describe('web > connection summary', () => {
  const base = { retryAt: null, attempt: 0, lastError: null };
  it('says live, fallback, reconnecting in Ns, or offline', () => {
    expect(summarize([{ ...base, state: 'open', transport: 'ws' }], true, 0).label).toBe('Live');
    expect(summarize([{ ...base, state: 'open', transport: 'sse' }], true, 0).label).toBe(
      'Connected via Server-Sent Events',
    );
    expect(
      summarize(
        [
          { ...base, state: 'open', transport: 'ws' },
          { ...base, state: 'waiting', transport: 'ws', retryAt: 4200 },
        ],
        true,
        0,
      ).label,
    ).toBe('Reconnecting in 5s');
    expect(summarize([{ ...base, state: 'waiting', transport: 'ws', retryAt: 10 }], false, 0).kind).toBe('offline');
  });

  it('never says Live or Connected via … while the pipeline is stalled or unknown; a connection problem is shown as it is', () => {
    const live = summarize([{ ...base, state: 'open', transport: 'ws' }], true, 0);
    const sse = summarize([{ ...base, state: 'open', transport: 'sse' }], true, 0);
    const waiting = summarize([{ ...base, state: 'waiting', transport: 'ws', retryAt: 4200 }], true, 0);
    const stalled = { state: 'stalled' as const, reasons: ['port-events/0 has not moved for 2 min.'] };
    expect(pillOf(live, stalled)).toEqual({
      label: 'Stalled',
      stalled: true,
      reason: 'port-events/0 has not moved for 2 min.',
    });
    expect(pillOf(sse, stalled).label).toBe('Stalled');
    expect(pillOf(live, { state: 'unknown', reasons: [] })).toMatchObject({
      label: 'Stalled',
      reason: expect.stringMatching(/unknown/),
    });
    expect(pillOf(waiting, stalled)).toEqual({ label: 'Reconnecting in 5s', stalled: false, reason: undefined });
    expect(pillOf(live, { state: 'flowing', reasons: ['x'] }).label).toBe('Live');
    expect(pillOf(live, { state: 'idle', reasons: [] }).label).toBe('Live');
    expect(pillOf(live, undefined).label).toBe('Live');
  });
});

describe('web > filters > matchesText', () => {
  it('matches word prefixes of the title, description, event type and entity ids, as the API q does', () => {
    const e = {
      title: 'Truck gate-in',
      description: null,
      eventType: 'GateIn',
      containerId: 'MSCU1234566',
      shipId: null,
      berthId: 'EMX-02',
      portId: 'NLRTM',
    };
    expect(matchesText(e, words('mscu123'))).toBe(true);
    expect(matchesText(e, words('EMX-02'))).toBe(true);
    expect(matchesText(e, words('gatein nlrtm'))).toBe(true);
    expect(matchesText(e, words('truck reefer'))).toBe(false);
  });
});

describe('web > format > pipelineStages', () => {
  const e = {
    eventTime: '2026-11-29T08:00:00.000Z',
    receivedAt: '2026-11-29T08:00:00.020Z',
    origin: {
      kind: 'kafka' as const,
      topic: 'port-events',
      partition: 0,
      offset: '1',
      appendedAt: '2026-11-29T08:00:00.005Z',
    },
  };

  it('shows the time spent in each stage, from the event to the screen', () => {
    expect(pipelineStages(e, Date.parse('2026-11-29T08:00:00.045Z'))).toBe(
      'Kafka +5 ms → Worker +15 ms → screen +25 ms',
    );
  });

  it('leaves out stages without a timestamp and marks clock skew as negative', () => {
    expect(pipelineStages({ ...e, origin: { kind: 'api' } }, undefined)).toBe('Worker +20 ms');
    expect(pipelineStages({ ...e, receivedAt: '2026-11-29T07:59:59.990Z', origin: { kind: 'api' } }, undefined)).toBe(
      'Worker −10 ms',
    );
  });
});
