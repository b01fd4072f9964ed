import { describe, expect, it } from 'vitest';
import { DcsaEventSchema } from '../../protocol/schemas/dcsa.ts';
import { api, ingest, postEvents, record, type ApiErrorBody } from './helpers.ts';

type IngestResponse = { results: { status: string; reason?: string; id?: string; category?: string }[] };

/** A valid TNT 2.2 equipment event with a fresh eventID (uuid, as the standard types it). */
function gateIn(): Record<string, unknown> {
  return {
    eventID: crypto.randomUUID(),
    eventType: 'EQUIPMENT',
    eventCreatedDateTime: '2026-12-02T09:55:00+01:00',
    eventClassifierCode: 'ACT',
    eventDateTime: '2026-12-02T09:50:00+01:00',
    equipmentEventTypeCode: 'GTIN',
    equipmentReference: 'MSKU9070323',
    emptyIndicatorCode: 'EMPTY',
    eventLocation: { UNLocationCode: 'NLRTM', facilityCode: 'ECTDE', facilityCodeListProvider: 'SMDG' },
    seals: [{ sealNumber: 'S-1', sealType: 'WIR' }],
  };
}

describe('dcsa > in: POST /api/events and the ingest', () => {
  it('stores a DCSA equipment event mapped to a Container event, keeping the original document', async () => {
    const doc = gateIn();
    const { res, json } = await postEvents(doc);
    expect(res.status).toBe(201);
    expect(json.data).toEqual([{ id: doc.eventID, seq: expect.any(Number), status: 'stored' }]);
    const got = (await (await api(`/api/events/${doc.eventID}`, { role: 'viewer' })).json()) as Record<string, unknown>;
    expect(got).toMatchObject({
      category: 'Container',
      eventType: 'ContainerGateIn',
      severity: 'Medium',
      containerId: 'MSKU9070323',
      portId: 'NLRTM',
      eventTime: '2026-12-02T08:50:00.000Z',
      source: 'DCSA TNT 2.2',
    });
    const kept = (got.eventData as { dcsa: unknown }).dcsa;
    expect(kept).toEqual(doc);
    expect(DcsaEventSchema.safeParse(kept).success).toBe(true);
  });

  it('answers 400 naming the wrong DCSA field (an ISO 6346 check digit)', async () => {
    const { res, json } = await postEvents<ApiErrorBody>({ ...gateIn(), equipmentReference: 'MSKU9070324' });
    expect(res.status).toBe(400);
    const details = (json.error.details ?? []) as { path: string; message: string }[];
    expect(JSON.stringify(details)).toContain('dcsa.equipmentReference');
    expect(JSON.stringify(details)).toContain('check digit');
  });

  it('rejects an invalid DCSA Kafka record with the reason (the bridge dead-letters it) and stores a valid one', async () => {
    const good = gateIn();
    const offset = Math.floor(Math.random() * 1e9);
    const res = await ingest([
      record('container-events', offset, { ...gateIn(), emptyIndicatorCode: 'HALF' }),
      record('container-events', offset + 1, good),
    ]);
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as IngestResponse;
    expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('emptyIndicatorCode') });
    expect(results[1]).toMatchObject({ status: 'stored', id: good.eventID, category: 'Container' });
  });
});
