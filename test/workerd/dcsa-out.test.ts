/**
 * DCSA out (#16): `GET /v2/events` against the real app in workerd. DCSA documents of the three
 * kinds go in through POST /api/events; every filter alone and combined answers exactly the set a
 * plain JavaScript reading of the posted documents expects (not the route's SQL); paging walks
 * every page once while events keep arriving; every body validates against the schemas and every
 * answer carries API-Version. A fast-check property throws hostile query strings at it.
 */
import { SELF, env } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EQUIPMENT_EVENT_TYPE_CODES,
  SHIPMENT_EVENT_TYPE_CODES,
  TRANSPORT_EVENT_TYPE_CODES,
  iso6346CheckDigit,
} from '../../protocol/dcsa.ts';
import type { Category } from '../../protocol/enums.ts';
import { DCSA_API_VERSION, DcsaErrorSchema, DcsaEventSchema } from '../../protocol/schemas/dcsa.ts';
import { createDb } from '../../worker/db/client.ts';
import { purgeExpired } from '../../worker/db/retention.ts';
import { runMoves } from '../../worker/archive/mover.ts';
import { RUNS, codeUnits } from './fuzz-support.ts';
import { BASE, postEvents, token } from './helpers.ts';
import { claimStorage } from './room-support.ts';

type Doc = Record<string, unknown> & { eventID: string; eventType: string; eventCreatedDateTime: string };

/** Every DCSA document posted by this file, in posting order (this file has its D1 to itself). */
const posted: Doc[] = [];
/** eventIDs soft-deleted by a test. */
const deleted = new Set<string>();

const container = (owner: string, serial: string) => {
  const ten = `${owner}U${serial}`;
  return `${ten}${iso6346CheckDigit(ten)}`;
};
const imo = (six: string) => {
  let sum = 0;
  for (let i = 0; i < 6; i++) sum += Number(six[i]) * (7 - i);
  return `${six}${sum % 10}`;
};
const CONTAINERS = [container('MSK', '907032'), container('HLX', '123456'), container('CMA', '000017')];
const VESSELS = [imo('932148'), imo('981234')];
const PORTS = ['NLRTM', 'DEHAM', 'BEANR'];
const ZONES = ['Z', '+01:00', '-05:00', '+05:30', '+14:00', '-12:00'];

/** eventCreatedDateTime minute `i` after a base, written in one of several offsets (same instant). */
function created(i: number): string {
  const at = Date.UTC(2026, 11, 2, 8, 0, 0) + i * 60_000 + (i % 4) * 250;
  const zone = ZONES[i % ZONES.length]!;
  const offsetMin =
    zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  const local = new Date(at + offsetMin * 60_000).toISOString().slice(0, 23);
  return `${local}${zone}`;
}

const call = (i: number, withPortInLocation = false) => ({
  transportCallID: `TC-${i}`,
  modeOfTransport: 'VESSEL',
  ...(withPortInLocation
    ? { location: { UNLocationCode: PORTS[(i + 1) % PORTS.length] } }
    : { UNLocationCode: PORTS[(i + 1) % PORTS.length] }),
  vessel: { vesselIMONumber: VESSELS[i % VESSELS.length] },
});

/** The i-th document of the corpus: equipment, transport and shipment events in turn. */
function dcsaDoc(i: number): Doc {
  const base = {
    eventID: crypto.randomUUID(),
    eventCreatedDateTime: created(i),
    eventClassifierCode: (['ACT', 'PLN', 'EST'] as const)[i % 3],
    eventDateTime: created(i),
  };
  const kind = i % 3;
  if (kind === 0)
    return {
      ...base,
      eventType: 'EQUIPMENT',
      equipmentEventTypeCode: ['GTIN', 'GTOT', 'LOAD', 'DISC'][i % 4],
      equipmentReference: CONTAINERS[Math.floor(i / 3) % CONTAINERS.length],
      emptyIndicatorCode: i % 2 ? 'EMPTY' : 'LADEN',
      ...(i % 5 === 0
        ? {}
        : { eventLocation: { UNLocationCode: PORTS[Math.floor(i / 2) % PORTS.length], facilityCode: 'ECTDE' } }),
      ...(i % 2 === 0 ? { transportCall: call(i) } : {}),
      seals: [{ sealNumber: `S-${i}`, sealType: 'WIR' }],
    } as Doc;
  if (kind === 1)
    return {
      ...base,
      eventType: 'TRANSPORT',
      transportEventTypeCode: i % 2 ? 'ARRI' : 'DEPA',
      transportCall: call(i, i % 4 === 1),
    } as Doc;
  return {
    ...base,
    eventType: 'SHIPMENT',
    shipmentEventTypeCode: ['DRFT', 'HOLD', 'APPR'][Math.floor(i / 3) % 3],
    documentID: `BKG-${i}`,
    documentTypeCode: 'BKG',
  } as Doc;
}

/** Posts documents (in order, one request each: arrival order is then posting order). */
async function postDocs(docs: Doc[]): Promise<void> {
  for (const doc of docs) {
    const { res } = await postEvents(doc);
    expect(res.status).toBe(201);
    posted.push(doc);
  }
}

// ------------------------------------------------------------------------------------------------
// The expectation: plain JavaScript over the posted originals, written from the standard's text.

type Params = Record<string, string>;

const ms = (t: string) => Date.parse(t);
const codeOf = (d: Doc) =>
  (d.equipmentEventTypeCode ?? d.transportEventTypeCode ?? d.shipmentEventTypeCode) as string | undefined;
const get = (d: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), d);

function matches(d: Doc, p: Params, scope?: Category[]): boolean {
  const categoryOf = { EQUIPMENT: 'Container', TRANSPORT: 'Ship', SHIPMENT: 'System' } as const;
  if (scope && !scope.includes(categoryOf[d.eventType as keyof typeof categoryOf])) return false;
  const list = (k: string) => p[k]?.split(',');
  if (p.eventType && !list('eventType')!.includes(d.eventType)) return false;
  for (const [key, type] of [
    ['equipmentEventTypeCode', 'EQUIPMENT'],
    ['transportEventTypeCode', 'TRANSPORT'],
    ['shipmentEventTypeCode', 'SHIPMENT'],
  ] as const)
    if (p[key] && (d.eventType !== type || !list(key)!.includes(codeOf(d)!))) return false;
  if (p.equipmentReference && d.equipmentReference !== p.equipmentReference) return false;
  if (p.vesselIMONumber && get(d, 'transportCall', 'vessel', 'vesselIMONumber') !== p.vesselIMONumber) return false;
  if (p.UNLocationCode) {
    const at = [
      get(d, 'eventLocation', 'UNLocationCode'),
      get(d, 'transportCall', 'UNLocationCode') ?? get(d, 'transportCall', 'location', 'UNLocationCode'),
    ];
    if (!at.includes(p.UNLocationCode)) return false;
  }
  const t = ms(d.eventCreatedDateTime);
  const ops: Record<string, (a: number, b: number) => boolean> = {
    gte: (a, b) => a >= b,
    gt: (a, b) => a > b,
    lte: (a, b) => a <= b,
    lt: (a, b) => a < b,
    eq: (a, b) => a === b,
  };
  for (const [k, v] of Object.entries(p)) {
    if (!k.startsWith('eventCreatedDateTime')) continue;
    const op = k.split(':')[1] ?? 'eq';
    if (!ops[op]!(t, ms(v))) return false;
  }
  return true;
}

const expected = (p: Params, scope?: Category[]) =>
  posted.filter((d) => !deleted.has(d.eventID) && matches(d, p, scope)).map((d) => d.eventID);

// ------------------------------------------------------------------------------------------------
// The client: every answer is checked against the schemas and for API-Version.

type Answer = { status: number; body: unknown; headers: Headers };

async function v2(pathAndQuery: string, auth: { role?: 'viewer'; categories?: Category[] } = {}): Promise<Answer> {
  const jwt = await token('viewer', 'dcsa-out-viewer', auth.categories ? { categories: auth.categories } : {});
  const res = await SELF.fetch(`${BASE}${pathAndQuery}`, { headers: { authorization: `Bearer ${jwt}` } });
  expect(res.headers.get('api-version'), pathAndQuery).toBe(DCSA_API_VERSION);
  expect(res.status, pathAndQuery).toBeLessThan(500);
  const body: unknown = await res.json();
  if (res.status === 200) z.array(DcsaEventSchema).parse(body);
  else DcsaErrorSchema.parse(body);
  return { status: res.status, body, headers: res.headers };
}

const ids = (a: Answer) => (a.body as Doc[]).map((d) => d.eventID);
const query = (p: Params) => new URLSearchParams(p).toString();

/** Every page from `first`, following Next-Page; `between` runs after each page. */
async function walk(first: string, auth: { categories?: Category[] } = {}, between?: () => Promise<void>) {
  const pages: Answer[] = [];
  let next: string | null = first;
  while (next) {
    const a = await v2(next, auth);
    expect(a.status, next).toBe(200);
    pages.push(a);
    expect(pages.length).toBeLessThan(200);
    next = a.headers.get('next-page');
    if (next && between) await between();
  }
  return pages;
}

async function all(p: Params, auth: { categories?: Category[] } = {}): Promise<string[]> {
  return (await walk(`/v2/events?${query({ ...p, limit: '500' })}`, auth)).flatMap(ids);
}

/** Waits until every room's rule runner has read its changefeed to the end (a move takes nothing they have not read). */
async function rulesCaughtUp(): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const behind = await env.DB.prepare(
      `SELECT c.category FROM rule_cursors c
         WHERE c.seq < (SELECT coalesce(max(seq), 0) FROM events e WHERE e.category = c.category)`,
    ).all();
    if (behind.results.length === 0) return;
    if (Date.now() > deadline) throw new Error(`rule runners behind: ${JSON.stringify(behind.results)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  await claimStorage('dcsa-out');
  // A plain Quaycast event: never answered by /v2/events.
  expect((await postEvents({ id: 'dcsa-out-plain', eventType: 'GateIn', title: 'not DCSA' })).res.status).toBe(201);
  await postDocs(Array.from({ length: 60 }, (_, i) => dcsaDoc(i)));
});

describe('dcsa > out: GET /v2/events', () => {
  it('answers every DCSA event, the originals unchanged, in arrival order, with API-Version', async () => {
    const a = await v2('/v2/events?limit=500');
    expect(a.status).toBe(200);
    expect(a.body).toEqual(posted.filter((d) => !deleted.has(d.eventID)));
    expect(a.headers.get('current-page')).toMatch(/^\/v2\/events\?cursor=[A-Za-z0-9_-]+$/);
    expect(a.headers.get('next-page')).toBeNull();
    expect(a.headers.get('prev-page')).toBeNull();
  });

  const cases: Params[] = [
    { eventType: 'EQUIPMENT' },
    { eventType: 'TRANSPORT' },
    { eventType: 'SHIPMENT,EQUIPMENT' },
    { equipmentEventTypeCode: 'GTIN' },
    { equipmentEventTypeCode: 'GTIN,LOAD,GTIN' },
    { transportEventTypeCode: 'ARRI' },
    { shipmentEventTypeCode: 'HOLD,APPR' },
    { equipmentReference: CONTAINERS[1]! },
    { vesselIMONumber: VESSELS[0]! },
    { UNLocationCode: 'DEHAM' },
    { UNLocationCode: 'BEANR' },
    { 'eventCreatedDateTime:gte': created(20) },
    { 'eventCreatedDateTime:gt': created(20) },
    { 'eventCreatedDateTime:lte': created(20) },
    { 'eventCreatedDateTime:lt': created(20) },
    { 'eventCreatedDateTime:eq': created(21) },
    { eventCreatedDateTime: created(22) },
    // The same instant written in another offset.
    { eventCreatedDateTime: new Date(ms(created(23))).toISOString() },
    { 'eventCreatedDateTime:gte': created(10), 'eventCreatedDateTime:lt': created(40) },
    { 'eventCreatedDateTime:gt': created(40), 'eventCreatedDateTime:lt': created(10) },
    { eventType: 'EQUIPMENT', vesselIMONumber: VESSELS[0]! },
    { eventType: 'TRANSPORT', UNLocationCode: 'NLRTM', transportEventTypeCode: 'DEPA' },
    { equipmentEventTypeCode: 'GTIN', shipmentEventTypeCode: 'DRFT' },
    { eventType: 'SHIPMENT', equipmentEventTypeCode: 'GTIN' },
    { equipmentReference: CONTAINERS[0]!, UNLocationCode: 'NLRTM', 'eventCreatedDateTime:gte': created(12) },
    { vesselIMONumber: VESSELS[1]!, eventType: 'EQUIPMENT,TRANSPORT', UNLocationCode: 'BEANR' },
  ];

  it.each(cases)('filters exactly: %o', async (p) => {
    const want = expected(p);
    expect(await all(p)).toEqual(want);
    if (Object.keys(p).length === 1 && !('eventCreatedDateTime' in p)) expect(want.length).toBeGreaterThan(0);
  });

  it('takes every filter at once, each list full, under a scoped token (within D1’s bound parameters)', async () => {
    const p: Params = {
      eventType: 'SHIPMENT,TRANSPORT,EQUIPMENT',
      equipmentEventTypeCode: EQUIPMENT_EVENT_TYPE_CODES.join(','),
      transportEventTypeCode: TRANSPORT_EVENT_TYPE_CODES.join(','),
      shipmentEventTypeCode: SHIPMENT_EVENT_TYPE_CODES.join(','),
      equipmentReference: CONTAINERS[0]!,
      vesselIMONumber: VESSELS[0]!,
      UNLocationCode: 'NLRTM',
      'eventCreatedDateTime:gte': created(0),
      'eventCreatedDateTime:gt': created(1),
      'eventCreatedDateTime:lte': created(59),
      'eventCreatedDateTime:lt': created(58),
      'eventCreatedDateTime:eq': created(30),
      eventCreatedDateTime: created(30),
    };
    const categories: Category[] = ['Container', 'Ship', 'System', 'Port'];
    expect(await all(p, { categories })).toEqual(expected(p, categories));
    // Without the contradicting code lists, something matches.
    const { transportEventTypeCode: _t, shipmentEventTypeCode: _s, ...equipment } = p;
    const { eventCreatedDateTime: _e, 'eventCreatedDateTime:eq': _q, ...range } = equipment;
    expect(expected(range, categories).length).toBeGreaterThan(0);
    expect(await all(range, { categories })).toEqual(expected(range, categories));
  });

  it('answers an empty list for a value no event has', async () => {
    expect(await all({ equipmentReference: 'MSKU0000000' })).toEqual([]);
  });

  it('pages every event once, no gaps, while new events arrive between pages; Prev, First and Last are right', async () => {
    const p = { eventType: 'EQUIPMENT,TRANSPORT' };
    let n = 1000;
    const pages = await walk(`/v2/events?${query({ ...p, limit: '7' })}`, {}, async () => {
      await postDocs([dcsaDoc(n++), dcsaDoc(n++)]);
    });
    const got = pages.flatMap(ids);
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual(expected(p));
    expect(pages.slice(0, -1).every((pg) => ids(pg).length === 7)).toBe(true);
    expect(pages[0]!.headers.get('prev-page')).toBeNull();
    for (let i = 1; i < pages.length; i++) {
      const prev = await v2(pages[i]!.headers.get('prev-page')!);
      expect(ids(prev), `page ${i}'s Prev-Page`).toEqual(ids(pages[i - 1]!));
      const first = await v2(pages[i]!.headers.get('first-page')!);
      expect(ids(first)).toEqual(expected(p).slice(0, 7));
      expect(first.headers.get('prev-page')).toBeNull();
      // Current-Page answers the page again.
      expect(ids(await v2(pages[i]!.headers.get('current-page')!))).toEqual(ids(pages[i]!));
    }
    const last = await v2(pages[0]!.headers.get('last-page')!);
    expect(ids(last)).toEqual(expected(p).slice(-7));
    expect(last.headers.get('next-page')).toBeNull();
    // Walking back from the last page reaches the first, every event once.
    const back: string[][] = [ids(last)];
    let prev = last.headers.get('prev-page');
    while (prev) {
      const a = await v2(prev);
      back.unshift(ids(a));
      prev = a.headers.get('prev-page');
    }
    expect(back.flat()).toEqual(expected(p));
    // A Next-Page of a page reached backwards is right too.
    const secondBack = await v2(last.headers.get('prev-page')!);
    expect(ids(await v2(secondBack.headers.get('next-page')!))).toEqual(ids(last));
  });

  it('an empty page has links back to what exists', async () => {
    const a = await v2(`/v2/events?${query({ 'eventCreatedDateTime:gt': created(5000) })}`);
    expect(a.body).toEqual([]);
    expect(a.headers.get('next-page')).toBeNull();
    expect(a.headers.get('prev-page')).toBeNull();
    const beyond = await v2(`/v2/events?limit=500`);
    const last = await v2(beyond.headers.get('last-page')!);
    expect(ids(last)).toEqual(expected({}).slice(-500));
  });

  it('does not answer a soft-deleted event', async () => {
    const victim = posted.find((d) => d.eventType === 'EQUIPMENT' && d.equipmentReference === CONTAINERS[2])!;
    const del = await SELF.fetch(`${BASE}/api/events/${victim.eventID}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await token('admin')}` },
    });
    expect(del.status).toBe(204);
    deleted.add(victim.eventID);
    expect(await all({})).not.toContain(victim.eventID);
    expect(await all({ equipmentReference: CONTAINERS[2]! })).toEqual(expected({ equipmentReference: CONTAINERS[2]! }));
  });

  it('a scoped token sees only its categories’ events', async () => {
    for (const categories of [['Container'], ['Ship', 'System'], ['Berth']] as Category[][]) {
      expect(await all({}, { categories })).toEqual(expected({}, categories));
      expect(await all({ eventType: 'EQUIPMENT' }, { categories })).toEqual(
        expected({ eventType: 'EQUIPMENT' }, categories),
      );
    }
    expect(expected({}, ['Container']).length).toBeGreaterThan(0);
  });

  it('refuses what it does not answer with 400 in the DCSA error shape, naming the parameter', async () => {
    const first = await v2('/v2/events?limit=2');
    const cursor = new URLSearchParams(first.headers.get('next-page')!.split('?')[1]).get('cursor')!;
    const refused: [string, string][] = [
      ['/v2/events?carrierBookingReference=ABC', 'carrierBookingReference'],
      ['/v2/events?sort=eventCreatedDateTime:DESC', 'sort'],
      ['/v2/events?eventtype=EQUIPMENT', 'eventtype'],
      ['/v2/events?eventCreatedDateTime:ge=2026-12-02T08:00:00Z', 'eventCreatedDateTime:ge'],
      ['/v2/events?eventType=BOAT', 'eventType'],
      ['/v2/events?eventType=EQUIPMENT&eventType=SHIPMENT', 'eventType'],
      ['/v2/events?limit=0', 'limit'],
      ['/v2/events?limit=501', 'limit'],
      ['/v2/events?eventCreatedDateTime=yesterday', 'eventCreatedDateTime'],
      ['/v2/events?cursor=garbled', 'cursor'],
      [`/v2/events?cursor=${cursor.slice(0, -2)}`, 'cursor'],
      [`/v2/events?cursor=${cursor}&eventType=SHIPMENT`, 'eventType'],
    ];
    for (const [path, name] of refused) {
      const a = await v2(path);
      expect(a.status, path).toBe(400);
      expect(JSON.stringify((a.body as { errors: unknown }).errors), path).toContain(name);
    }
    // limit beside a cursor changes the page size only.
    const wider = await v2(`/v2/events?cursor=${cursor}&limit=3`);
    expect(ids(wider)).toEqual(expected({}).slice(2, 5));
    // Unauthenticated: 401, in the DCSA shape too.
    const res = await SELF.fetch(`${BASE}/v2/events`);
    expect(res.status).toBe(401);
    expect(res.headers.get('api-version')).toBe(DCSA_API_VERSION);
    DcsaErrorSchema.parse(await res.json());
  });

  it('never answers 5xx to hostile query strings; a 400 is in the DCSA error shape', async () => {
    const keys = fc.constantFrom(
      'eventType',
      'equipmentEventTypeCode',
      'transportEventTypeCode',
      'shipmentEventTypeCode',
      'equipmentReference',
      'vesselIMONumber',
      'UNLocationCode',
      'limit',
      'cursor',
      'eventCreatedDateTime',
      'eventCreatedDateTime:gte',
      'eventCreatedDateTime:lt',
      'eventCreatedDateTime:xx',
      'sort',
      '__proto__',
      '',
      'limit[]',
    );
    const values = fc.oneof(
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
      codeUnits(20).map((s) => s.replace(/[\ud800-\udfff]/g, '%ED%A0%80').replace(/[#&]/g, '%23')),
      fc.constantFrom(
        'EQUIPMENT',
        'GTIN,GTOT',
        'ARRI,,DEPA',
        'NLRTM',
        CONTAINERS[0]!,
        '2026-12-02T09:00:00+01:00',
        '2026-12-02T09:00:00+25:00',
        '9'.repeat(400),
        '-1',
        '1e400',
        '%',
        '%ZZ',
        'eyJ2IjoxLCJuIjoxLCJhIjotMX0',
        'eyJ2IjoxLCJuIjo1MDAsInoiOjF9',
      ),
      fc.integer({ min: 0, max: 2 ** 53 }).map(String),
      fc
        .record({ v: fc.integer({ min: 0, max: 2 }), n: fc.integer({ min: -1, max: 600 }), a: fc.integer() })
        .map((j) => btoa(JSON.stringify(j)).replace(/=+$/, '')),
      fc.integer({ min: 201, max: 5000 }).map((n) => 'A'.repeat(n)),
    );
    const q = fc
      .array(fc.tuple(keys, values), { maxLength: 6 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
    await fc.assert(
      fc.asyncProperty(q, async (qs) => {
        const a = await v2(`/v2/events?${qs}`);
        expect([200, 400]).toContain(a.status);
      }),
      { numRuns: RUNS.reads },
    );
  });

  it('answers a DCSA event after a workflow change unchanged; never a forged document', async () => {
    const doc = posted.find((d) => d.eventType === 'TRANSPORT' && !deleted.has(d.eventID))!;
    const ack = await SELF.fetch(`${BASE}/api/events/${doc.eventID}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${await token('operator')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'acknowledge' }),
    });
    expect(ack.status).toBe(200);
    const a = await v2(
      `/v2/events?${query({ vesselIMONumber: get(doc, 'transportCall', 'vessel', 'vesselIMONumber') as string, limit: '500' })}`,
    );
    expect((a.body as Doc[]).find((d) => d.eventID === doc.eventID)).toEqual(doc);
    // A plain event claiming the DCSA source, with a document that is not one: stored, never answered.
    const forged = {
      id: 'dcsa-out-forged',
      eventType: 'GateIn',
      title: 'forged',
      source: 'DCSA TNT 2.2',
      eventData: { dcsa: { eventType: 'EQUIPMENT', equipmentEventTypeCode: 5, eventCreatedDateTime: created(3) } },
    };
    expect((await postEvents(forged)).res.status).toBe(201);
    expect(await all({})).toEqual(expected({}));
  });

  const count = async () => (await env.DB.prepare('SELECT COUNT(*) AS n FROM dcsa_events').first<{ n: number }>())!.n;
  const inD1 = async () =>
    new Set((await env.DB.prepare('SELECT id FROM events').all<{ id: string }>()).results.map((r) => r.id));

  it('does not answer what the archive moved to R2; the move takes the index rows along', async () => {
    expect(await count()).toBe(posted.length + 1); // soft-deleted and the forged one included: the join and the schema drop those
    await rulesCaughtUp();
    // Events posted to the API wait for their Kafka publication before they may move: as if the bridge had published them.
    await env.DB.prepare('UPDATE outbox SET published_at = ?1 WHERE published_at IS NULL').bind(Date.now()).run();
    const report = await runMoves(createDb(env.DB), env.ARCHIVE, {
      now: Date.now() + 8 * 86_400_000,
      hotDays: 7,
      retentionDays: 2555,
    });
    const hot = await inD1();
    const moved = posted.filter((d) => !hot.has(d.eventID));
    expect(report.moved, 'the move took some of this file’s events').toBeGreaterThan(0);
    expect(moved.length).toBeGreaterThan(0);
    for (const d of moved) deleted.add(d.eventID);
    expect(await all({})).toEqual(expected({}));
    expect(await count()).toBe(posted.filter((d) => hot.has(d.eventID)).length + (hot.has('dcsa-out-forged') ? 1 : 0));
  });

  // Last: it empties this file's D1.
  it('retention takes the index rows with the events it deletes', async () => {
    const rows = (await inD1()).size;
    expect(await count()).toBeGreaterThan(0);
    const report = await purgeExpired(createDb(env.DB), {
      now: Date.now() + 400 * 86_400_000,
      retentionDays: 30,
      maxBatches: 100,
    });
    expect(report.events).toBe(rows);
    expect(await count()).toBe(0);
    expect((await v2('/v2/events')).body).toEqual([]);
  });
});
