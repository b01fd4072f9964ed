import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iso6346CheckDigit } from '../dcsa.ts';
import { DcsaEventSchema, DcsaEventsQuerySchema, DcsaSubscriptionBodyWithSecretSchema } from './dcsa.ts';
import { mapDcsaEvent } from './dcsa-map.ts';
import { type IngestContext, normalizeEvent } from './normalize.ts';

const api: IngestContext = { kind: 'api', receivedAt: Date.parse('2026-12-02T10:00:00Z'), newId: () => 'generated' };

const equipment = {
  eventID: '5e51e72c-d872-11ea-811c-0242ac130003',
  eventType: 'EQUIPMENT',
  eventCreatedDateTime: '2026-12-02T09:55:00+01:00',
  eventClassifierCode: 'ACT',
  eventDateTime: '2026-12-02T09:50:00+01:00',
  equipmentEventTypeCode: 'LOAD',
  equipmentReference: 'CSQU3054383',
  ISOEquipmentCode: '22GP',
  emptyIndicatorCode: 'LADEN',
  eventLocation: {
    locationName: 'Euromax',
    UNLocationCode: 'NLRTM',
    facilityCode: 'ECTDE',
    facilityCodeListProvider: 'SMDG',
  },
  transportCall: {
    transportCallID: 'TC-NLRTM-001',
    carrierVoyageNumber: '2107W',
    UNLocationCode: 'NLRTM',
    modeOfTransport: 'VESSEL',
    vessel: { vesselIMONumber: '9321483', vesselName: 'Emma Maersk' },
  },
  seals: [{ sealNumber: 'SN123', sealType: 'BLT', sealSource: 'CAR' }],
  references: [{ referenceType: 'FF', referenceValue: 'FF-1' }],
  documentReferences: [{ documentReferenceType: 'BKG', documentReferenceValue: 'ABC123' }],
};

const transport = {
  eventType: 'TRANSPORT',
  eventCreatedDateTime: '2026-12-02T06:00:00Z',
  eventClassifierCode: 'EST',
  eventDateTime: '2026-12-03T06:00:00Z',
  transportEventTypeCode: 'ARRI',
  transportCall: {
    transportCallID: 'TC-DEHAM-7',
    UNLocationCode: 'DEHAM',
    facilityCode: 'CTA',
    modeOfTransport: 'VESSEL',
    vessel: { vesselIMONumber: '9074729' },
  },
};

const shipment = {
  eventType: 'SHIPMENT',
  eventCreatedDateTime: '2026-12-02T06:00:00Z',
  eventClassifierCode: 'ACT',
  eventDateTime: '2026-12-02T05:00:00Z',
  shipmentEventTypeCode: 'HOLD',
  documentID: 'BKG-778',
  documentTypeCode: 'BKG',
  reason: 'Customs hold',
};

describe('protocol > schemas > dcsa', () => {
  it('validates the three event kinds of TNT 2.2', () => {
    for (const e of [equipment, transport, shipment]) expect(DcsaEventSchema.safeParse(e).success).toBe(true);
  });

  it('names the wrong field: a bad ISO 6346 check digit, a bad IMO check digit, a missing required field', () => {
    const bad = (doc: unknown) => {
      const r = mapDcsaEvent(doc as Record<string, unknown>);
      return r.ok ? [] : r.issues.map((i) => i.path);
    };
    expect(bad({ ...equipment, equipmentReference: 'CSQU3054384' })).toEqual(['dcsa.equipmentReference']);
    expect(
      bad({ ...transport, transportCall: { ...transport.transportCall, vessel: { vesselIMONumber: '9074728' } } }),
    ).toEqual(['dcsa.transportCall.vessel.vesselIMONumber']);
    const { emptyIndicatorCode: _, ...noEmpty } = equipment;
    expect(bad(noEmpty)).toEqual(['dcsa.emptyIndicatorCode']);
    expect(bad({ ...equipment, eventClassifierCode: 'XYZ' })).toEqual(['dcsa.eventClassifierCode']);
  });

  it('maps by the table in docs/dcsa.md', () => {
    const eq = mapDcsaEvent(equipment);
    expect(eq.ok && eq.input).toMatchObject({
      id: equipment.eventID,
      category: 'Container',
      eventType: 'ContainerLoaded',
      severity: 'Medium',
      containerId: 'CSQU3054383',
      shipId: '9321483',
      portId: 'NLRTM',
      eventData: { dcsa: equipment },
    });
    const tr = mapDcsaEvent(transport);
    expect(tr.ok && tr.input).toMatchObject({
      category: 'Ship',
      eventType: 'VesselArrived',
      severity: 'Low',
      shipId: '9074729',
      portId: 'DEHAM',
    });
    const sh = mapDcsaEvent(shipment);
    expect(sh.ok && sh.input).toMatchObject({
      category: 'System',
      eventType: 'ShipmentHOLD',
      severity: 'High',
      requiresAction: true,
      description: 'Customs hold',
    });
  });

  it('normalises a DCSA document into a stored event that keeps the original', () => {
    const r = normalizeEvent(equipment, api);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.id).toBe(equipment.eventID);
    expect(r.event.eventTime).toBe('2026-12-02T08:50:00.000Z');
    expect(r.event.eventData).toEqual({ dcsa: equipment });
    expect(r.event.source).toBe('DCSA TNT 2.2');
  });

  it('answers an invalid DCSA document with issues, never as a legacy payload', () => {
    const r = normalizeEvent({ ...equipment, equipmentEventTypeCode: 'FLY' }, api);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual(['dcsa.equipmentEventTypeCode']);
  });

  it('never throws for arbitrary values on DCSA-looking objects, and valid equipment events keep their original', () => {
    const anything = fc.dictionary(fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 12 });
    fc.assert(
      fc.property(anything, fc.constantFrom('EQUIPMENT', 'TRANSPORT', 'SHIPMENT'), (extra, eventType) => {
        const doc = { ...extra, eventType, eventClassifierCode: 'ACT', eventCreatedDateTime: '2026-12-02T06:00:00Z' };
        const r = normalizeEvent(doc, api);
        if (!r.ok) expect(r.issues.length).toBeGreaterThan(0);
      }),
    );
    const validEquipment = fc
      .record({
        owner: fc.stringMatching(/^[A-Z]{3}$/),
        serial: fc.stringMatching(/^[0-9]{6}$/),
        code: fc.constantFrom('LOAD', 'DISC', 'GTIN', 'GTOT', 'STUF', 'STRP', 'PICK', 'DROP', 'INSP', 'RSEA', 'RMVD'),
        classifier: fc.constantFrom('ACT', 'PLN', 'EST'),
        empty: fc.constantFrom('EMPTY', 'LADEN'),
        at: fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2090-01-01') }),
      })
      .map(({ owner, serial, code, classifier, empty, at }) => {
        const ten = `${owner}U${serial}`;
        return {
          eventID: crypto.randomUUID(),
          eventType: 'EQUIPMENT',
          eventCreatedDateTime: new Date(at).toISOString(),
          eventClassifierCode: classifier,
          eventDateTime: new Date(at).toISOString(),
          equipmentEventTypeCode: code,
          equipmentReference: `${ten}${iso6346CheckDigit(ten)}`,
          emptyIndicatorCode: empty,
        };
      });
    fc.assert(
      fc.property(validEquipment, (doc) => {
        const r = normalizeEvent(doc, api);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.event.eventData).toEqual({ dcsa: doc });
        expect(r.event.containerId).toBe(doc.equipmentReference);
        expect(DcsaEventSchema.parse(r.event.eventData.dcsa)).toEqual(doc);
      }),
    );
  });

  it('reads the standard query parameters, comma lists and date operators', () => {
    const q = DcsaEventsQuerySchema.parse({
      eventType: 'EQUIPMENT,TRANSPORT',
      equipmentEventTypeCode: 'LOAD,DISC',
      'eventCreatedDateTime:gte': '2026-12-01T00:00:00Z',
      limit: '20',
    });
    expect(q.eventType).toEqual(['EQUIPMENT', 'TRANSPORT']);
    expect(q.limit).toBe(20);
    expect(DcsaEventsQuerySchema.safeParse({ eventType: 'EQUIPMENT,BOAT' }).success).toBe(false);
  });

  it('requires callbackUrl and a base64 secret on a new subscription', () => {
    expect(
      DcsaSubscriptionBodyWithSecretSchema.safeParse({
        callbackUrl: 'https://receiver.example/notify',
        secret: 'c2VjcmV0LXNlY3JldA==',
        equipmentEventTypeCode: ['GTIN'],
      }).success,
    ).toBe(true);
    expect(DcsaSubscriptionBodyWithSecretSchema.safeParse({ secret: 'c2VjcmV0' }).success).toBe(false);
    expect(
      DcsaSubscriptionBodyWithSecretSchema.safeParse({ callbackUrl: 'https://r.example/', secret: 'not base64!' })
        .success,
    ).toBe(false);
  });
});
