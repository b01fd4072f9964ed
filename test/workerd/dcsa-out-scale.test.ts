/**
 * GET /v2/events at scale (#16): 100,000 DCSA-indexed events seeded straight into D1 (the triggers
 * build the index as the ingest's inserts would), then each query shape timed through the app in
 * workerd (median of 7 after a warm-up) and its plan checked: a selective filter reads its index in
 * cursor order, with no sort. The timings are printed, not asserted (a shared 2-core machine);
 * docs/api.md ("GET /v2/events at 100,000 DCSA events") records a run.
 */
import { SELF, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { iso6346CheckDigit } from '../../protocol/dcsa.ts';
import { type DcsaEventFilter, type DcsaPosition, pageSql } from '../../worker/db/dcsa-events.ts';
import { BASE, token } from './helpers.ts';
import { claimStorage } from './room-support.ts';

const ROWS = 100_000;
const CHUNK = 20_000;
const BASE_MS = Date.UTC(2026, 10, 1);

/** Row x: EQUIPMENT / TRANSPORT / SHIPMENT in turn; 5,000 containers, 200 vessels, 50 ports; one event a minute. */
const SEED = `WITH RECURSIVE i(x) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT x + 1 FROM i WHERE x < ?2)
INSERT INTO events (id, category, seq, severity, priority, status, event_type, title, event_time, received_at, updated_at, doc)
SELECT 'scale-' || x, CASE x % 3 WHEN 0 THEN 'Container' WHEN 1 THEN 'Ship' ELSE 'System' END, x, 'Low', 'Low', 'New', 'Scale', 'scale', x, x, x,
  json_object('id', 'scale-' || x, 'source', 'DCSA TNT 2.2', 'eventData', json_object('dcsa',
    CASE x % 3
    WHEN 0 THEN json_object('eventType', 'EQUIPMENT', 'eventCreatedDateTime', strftime('%Y-%m-%dT%H:%M:%SZ', (?3 + x * 60000) / 1000, 'unixepoch'),
      'eventClassifierCode', 'ACT', 'eventDateTime', '2026-11-01T00:00:00Z', 'emptyIndicatorCode', 'LADEN',
      'equipmentEventTypeCode', json_extract('["LOAD","DISC","GTIN","GTOT","STUF","STRP"]', '$[' || (x / 3 % 6) || ']'),
      'equipmentReference', json_extract(?4, '$[' || (x / 3 % 5000) || ']'), 'eventLocation', json_object('UNLocationCode', json_extract(?6, '$[' || (x % 50) || ']')))
    WHEN 1 THEN json_object('eventType', 'TRANSPORT', 'eventCreatedDateTime', strftime('%Y-%m-%dT%H:%M:%SZ', (?3 + x * 60000) / 1000, 'unixepoch'),
      'eventClassifierCode', 'ACT', 'eventDateTime', '2026-11-01T00:00:00Z', 'transportEventTypeCode', CASE x / 3 % 2 WHEN 0 THEN 'ARRI' ELSE 'DEPA' END,
      'transportCall', json_object('transportCallID', 'TC' || x, 'modeOfTransport', 'VESSEL', 'UNLocationCode', json_extract(?6, '$[' || (x % 50) || ']'),
        'vessel', json_object('vesselIMONumber', json_extract(?5, '$[' || (x % 200) || ']'))))
    ELSE json_object('eventType', 'SHIPMENT', 'eventCreatedDateTime', strftime('%Y-%m-%dT%H:%M:%SZ', (?3 + x * 60000) / 1000, 'unixepoch'),
      'eventClassifierCode', 'ACT', 'eventDateTime', '2026-11-01T00:00:00Z', 'shipmentEventTypeCode', json_extract('["RECE","DRFT","APPR","ISSU","HOLD"]', '$[' || (x / 3 % 5) || ']'),
      'documentID', 'DOC' || x, 'documentTypeCode', 'BKG')
    END))
FROM i`;

/** 5,000 ISO 6346 codes, 200 IMO numbers and 50 UN/LOCODEs, all valid (the route answers only valid documents). */
const CONTAINERS = Array.from({ length: 5000 }, (_, n) => {
  const ten = `MSKU${String(n).padStart(6, '0')}`;
  return `${ten}${iso6346CheckDigit(ten)}`;
});
const VESSELS = Array.from({ length: 200 }, (_, n) => {
  const six = String(930000 + n);
  let sum = 0;
  for (let i = 0; i < 6; i++) sum += Number(six[i]) * (7 - i);
  return `${six}${sum % 10}`;
});
const PORTS = Array.from(
  { length: 50 },
  (_, n) => `NL${String.fromCharCode(65 + (n % 26))}${String.fromCharCode(65 + Math.floor(n / 26))}X`,
);

let jwt = '';
const created = (x: number) => new Date(BASE_MS + x * 60_000).toISOString();

async function timed(path: string): Promise<{ median: number; max: number; rows: number }> {
  const once = async () => {
    const t0 = performance.now();
    const res = await SELF.fetch(`${BASE}${path}`, { headers: { authorization: `Bearer ${jwt}` } });
    const body = (await res.json()) as unknown[];
    const ms = performance.now() - t0;
    expect(res.status, path).toBe(200);
    return { ms, rows: body.length };
  };
  await once();
  const runs = [];
  for (let r = 0; r < 7; r++) runs.push(await once());
  const sorted = runs.map((r) => r.ms).sort((a, b) => a - b);
  return { median: sorted[3]!, max: sorted[6]!, rows: runs[0]!.rows };
}

/** The plan of the route's own page statement. */
async function plan(filter: DcsaEventFilter, position: DcsaPosition = { after: 0 }): Promise<string> {
  const { sql, params } = pageSql({ filter, position, limit: 100 });
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail).join(' | ');
}

beforeAll(async () => {
  await claimStorage('dcsa-out-scale');
  jwt = await token('viewer', 'dcsa-scale-viewer');
  const t0 = Date.now();
  for (let from = 1; from <= ROWS; from += CHUNK)
    await env.DB.prepare(SEED)
      .bind(from, from + CHUNK - 1, BASE_MS, JSON.stringify(CONTAINERS), JSON.stringify(VESSELS), JSON.stringify(PORTS))
      .run();
  const n = await env.DB.prepare('SELECT COUNT(*) AS n FROM dcsa_events').first<{ n: number }>();
  expect(n!.n).toBe(ROWS);
  console.log(`[dcsa-scale] seeded ${ROWS} events (index by trigger) in ${Date.now() - t0} ms`);
}, 120_000);

describe('dcsa > out > at 100,000 events', () => {
  it('selective filters read their index in cursor order (no sort)', async () => {
    const filters: DcsaEventFilter[] = [
      { equipmentReference: CONTAINERS[7]! },
      { vesselIMONumber: VESSELS[7]! },
      { unLocationCode: PORTS[7]! },
      { unLocationCode: PORTS[7]!, equipmentCodes: ['GTIN'] },
    ];
    for (const filter of filters)
      for (const position of [{ after: 0 }, { before: 50_000 }, { last: true as const }]) {
        const p = await plan(filter, position);
        expect(p, JSON.stringify(filter)).toMatch(/USING INDEX dcsa_events_/);
        expect(p, JSON.stringify(filter)).not.toMatch(/TEMP B-TREE/);
      }
    // No filter, or only unselective ones: the key's own order.
    expect(await plan({ eventTypes: ['SHIPMENT'] })).not.toMatch(/TEMP B-TREE/);
  });

  it('times each query shape', async () => {
    const cases: [string, string][] = [
      ['no filter, first page (limit 100)', '/v2/events'],
      ['no filter, limit 500', '/v2/events?limit=500'],
      ['eventType=SHIPMENT', '/v2/events?eventType=SHIPMENT'],
      ['equipmentEventTypeCode=GTIN,GTOT', '/v2/events?equipmentEventTypeCode=GTIN,GTOT'],
      ['equipmentReference (7 events)', `/v2/events?equipmentReference=${CONTAINERS[7]}`],
      ['vesselIMONumber (167 events)', `/v2/events?vesselIMONumber=${VESSELS[7]}`],
      ['UNLocationCode (1,333 events)', `/v2/events?UNLocationCode=${PORTS[7]}`],
      [
        'UNLocationCode&equipmentEventTypeCode=GTIN',
        `/v2/events?UNLocationCode=${PORTS[8]}&equipmentEventTypeCode=GTIN`,
      ],
      ['eventCreatedDateTime:gte (newest 1 %)', `/v2/events?eventCreatedDateTime:gte=${created(ROWS - 1000)}`],
      ['eventCreatedDateTime:lt (oldest 1 %)', `/v2/events?eventCreatedDateTime:lt=${created(1000)}`],
      ['contradicting (nothing matches)', '/v2/events?eventType=EQUIPMENT&shipmentEventTypeCode=HOLD'],
    ];
    const lines: string[] = [];
    for (const [label, path] of cases) {
      const t = await timed(path);
      lines.push(`| ${label} | ${t.rows} | ${t.median.toFixed(1)} | ${t.max.toFixed(1)} |`);
    }
    // A deep page: follow Last-Page, then its Prev-Page.
    const first = await SELF.fetch(`${BASE}/v2/events`, { headers: { authorization: `Bearer ${jwt}` } });
    const last = first.headers.get('last-page')!;
    let t = await timed(last);
    lines.push(`| Last-Page | ${t.rows} | ${t.median.toFixed(1)} | ${t.max.toFixed(1)} |`);
    const lastRes = await SELF.fetch(`${BASE}${last}`, { headers: { authorization: `Bearer ${jwt}` } });
    t = await timed(lastRes.headers.get('prev-page')!);
    lines.push(`| Prev-Page of the last page | ${t.rows} | ${t.median.toFixed(1)} | ${t.max.toFixed(1)} |`);
    console.log(`[dcsa-scale]\n| case | events | median ms | max ms |\n| --- | --- | --- | --- |\n${lines.join('\n')}`);
  }, 120_000);
});
