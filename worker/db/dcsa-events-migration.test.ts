/**
 * migrations/0015_dcsa_events.sql on SQLite (node:sqlite, the engine D1 runs): the backfill indexes
 * the DCSA events a deployed database already holds, in arrival order, and only those; the
 * triggers then keep the index on insert and delete. (The workerd test covers the route over it.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(import.meta.dirname, '../../migrations');
const files = readdirSync(dir)
  .filter((f) => /^\d{4}_.*\.sql$/.test(f))
  .sort();

function insert(db: DatabaseSync, id: string, receivedAt: number, doc: unknown): void {
  db.prepare(
    `INSERT INTO events (id, category, seq, severity, priority, status, event_type, title, event_time, received_at, updated_at, doc)
     VALUES (?, 'Container', ?, 'Low', 'Low', 'New', 'X', 't', 0, ?, ?, ?)`,
  ).run(id, receivedAt, receivedAt, receivedAt, JSON.stringify(doc));
}

const dcsa = (created: string, extra: Record<string, unknown> = {}) => ({
  source: 'DCSA TNT 2.2',
  eventData: {
    dcsa: {
      eventType: 'EQUIPMENT',
      equipmentEventTypeCode: 'GTIN',
      equipmentReference: 'MSKU9070323',
      eventCreatedDateTime: created,
      eventLocation: { UNLocationCode: 'NLRTM' },
      transportCall: { location: { UNLocationCode: 'DEHAM' }, vessel: { vesselIMONumber: '9321483' } },
      ...extra,
    },
  },
});

describe('dcsa > out > migration 0015', () => {
  it('backfills the stored DCSA events in arrival order, then the triggers keep the index', () => {
    const db = new DatabaseSync(':memory:');
    for (const f of files.filter((f) => f < '0015')) db.exec(readFileSync(path.join(dir, f), 'utf8'));
    insert(db, 'late', 3000, dcsa('2026-12-02T09:55:00.5+01:00'));
    insert(db, 'plain', 1000, { source: null, eventData: { note: 'dcsa' } });
    insert(db, 'forged-type', 1500, dcsa('2026-12-02T09:55:00Z', { eventType: 'BOAT' }));
    insert(db, 'early', 2000, dcsa('2026-12-02T08:00:00.123456Z', { equipmentEventTypeCode: 'LOAD' }));
    db.exec(readFileSync(path.join(dir, files.find((f) => f.startsWith('0015_'))!), 'utf8'));
    const rows = () => db.prepare('SELECT * FROM dcsa_events ORDER BY k').all();
    expect(rows()).toEqual([
      expect.objectContaining({
        event_id: 'early',
        type_code: 'LOAD',
        created_at: Date.UTC(2026, 11, 2, 8, 0, 0, 123),
      }),
      {
        k: 2,
        event_id: 'late',
        category: 'Container',
        event_type: 'EQUIPMENT',
        type_code: 'GTIN',
        equipment_ref: 'MSKU9070323',
        vessel_imo: '9321483',
        event_locode: 'NLRTM',
        call_locode: 'DEHAM',
        created_at: Date.UTC(2026, 11, 2, 8, 55, 0, 500),
      },
    ]);
    insert(
      db,
      'next',
      4000,
      dcsa('2026-12-02T10:00:00-05:00', { eventType: 'TRANSPORT', transportEventTypeCode: 'ARRI' }),
    );
    expect(rows().at(-1)).toMatchObject({
      k: 3,
      event_id: 'next',
      type_code: 'ARRI',
      created_at: Date.UTC(2026, 11, 2, 15),
    });
    db.exec("DELETE FROM events WHERE id IN ('early', 'plain')");
    expect(rows().map((r) => r.event_id)).toEqual(['late', 'next']);
    // A forged document (any producer may set `source`): numbers and objects where text belongs, no
    // time. The event's insert must not fail on the STRICT index table.
    insert(
      db,
      'forged',
      5000,
      dcsa('not a time', {
        equipmentEventTypeCode: 5,
        equipmentReference: { a: 1 },
        eventLocation: { UNLocationCode: 7 },
      }),
    );
    insert(db, 'forged-time', 6000, dcsa('2026-12-02T09:55:00+01:00', { eventCreatedDateTime: 12 }));
    expect(rows().at(-1)).toMatchObject({
      event_id: 'forged',
      type_code: '5',
      equipment_ref: '{"a":1}',
      created_at: null,
    });
    db.exec("DELETE FROM events WHERE id = 'forged'");
    // A duplicate insert (the ingest's ON CONFLICT DO NOTHING) fires no trigger and keeps one row.
    db.exec(`INSERT INTO events SELECT * FROM events WHERE id = 'next' ON CONFLICT (id) DO NOTHING`);
    expect(rows()).toHaveLength(2);
  });
});
