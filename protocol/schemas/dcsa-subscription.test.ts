import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DcsaSubscriptionFilters,
  filtersOf,
  SUBSCRIPTION_FILTER_KEYS,
  subscriptionMatches,
} from './dcsa-subscription.ts';
import type { DcsaEvent } from './dcsa.ts';

const base = {
  eventCreatedDateTime: '2026-12-02T09:55:00+01:00',
  eventClassifierCode: 'ACT',
  eventDateTime: '2026-12-02T09:50:00+01:00',
} as const;

const load = {
  ...base,
  eventType: 'EQUIPMENT',
  equipmentEventTypeCode: 'LOAD',
  equipmentReference: 'CSQU3054383',
  emptyIndicatorCode: 'LADEN',
  eventLocation: { UNLocationCode: 'NLRTM' },
  transportCall: {
    transportCallID: 'TC-1',
    carrierVoyageNumber: '2107W',
    UNLocationCode: 'BEANR',
    modeOfTransport: 'VESSEL',
    vessel: { vesselIMONumber: '9321483' },
  },
  documentReferences: [{ documentReferenceType: 'BKG', documentReferenceValue: 'ABC123' }],
} as DcsaEvent;

const arrival = {
  ...base,
  eventType: 'TRANSPORT',
  transportEventTypeCode: 'ARRI',
  transportCall: { transportCallID: 'TC-2', UNLocationCode: 'DEHAM', modeOfTransport: 'VESSEL' },
} as DcsaEvent;

const hold = {
  ...base,
  eventType: 'SHIPMENT',
  shipmentEventTypeCode: 'HOLD',
  documentID: 'TD-9',
  documentTypeCode: 'TRD',
} as DcsaEvent;

describe('subscriptionMatches: examples', () => {
  it('no filter receives everything', () => {
    for (const e of [load, arrival, hold]) expect(subscriptionMatches({}, e)).toBe(true);
  });
  it('a list filter holds when any value does (OR); filters combine with AND', () => {
    expect(subscriptionMatches({ eventType: ['TRANSPORT', 'EQUIPMENT'] }, load)).toBe(true);
    expect(subscriptionMatches({ eventType: ['TRANSPORT', 'EQUIPMENT'] }, hold)).toBe(false);
    expect(subscriptionMatches({ eventType: ['EQUIPMENT'], equipmentEventTypeCode: ['DISC', 'LOAD'] }, load)).toBe(
      true,
    );
    expect(subscriptionMatches({ eventType: ['EQUIPMENT'], equipmentEventTypeCode: ['DISC'] }, load)).toBe(false);
  });
  it('a filter on a field the event does not carry does not hold (the standard’s contradicting filters)', () => {
    expect(subscriptionMatches({ shipmentEventTypeCode: ['HOLD'], equipmentEventTypeCode: ['LOAD'] }, load)).toBe(
      false,
    );
    expect(subscriptionMatches({ shipmentEventTypeCode: ['HOLD'], equipmentEventTypeCode: ['LOAD'] }, hold)).toBe(
      false,
    );
    expect(subscriptionMatches({ equipmentReference: 'CSQU3054383' }, arrival)).toBe(false);
    expect(subscriptionMatches({ vesselIMONumber: '9321483' }, arrival)).toBe(false);
  });
  it('UN/LOCODE is the event location’s or the transport call’s', () => {
    expect(subscriptionMatches({ UNLocationCode: 'NLRTM' }, load)).toBe(true);
    expect(subscriptionMatches({ UNLocationCode: 'BEANR' }, load)).toBe(true);
    expect(subscriptionMatches({ UNLocationCode: 'DEHAM' }, load)).toBe(false);
    expect(subscriptionMatches({ UNLocationCode: 'DEHAM' }, arrival)).toBe(true);
  });
  it('booking and transport document references: documentReferences, or a shipment event’s own document', () => {
    expect(subscriptionMatches({ carrierBookingReference: 'ABC123' }, load)).toBe(true);
    expect(subscriptionMatches({ carrierBookingReference: 'ABC124' }, load)).toBe(false);
    expect(subscriptionMatches({ transportDocumentReference: 'TD-9' }, hold)).toBe(true);
    expect(subscriptionMatches({ carrierBookingReference: 'TD-9' }, hold)).toBe(false);
    expect(subscriptionMatches({ documentTypeCode: ['TRD'] }, hold)).toBe(true);
    expect(subscriptionMatches({ documentTypeCode: ['SHI'] }, hold)).toBe(false);
  });
  it('transport call fields', () => {
    expect(subscriptionMatches({ transportCallID: 'TC-1', carrierVoyageNumber: '2107W' }, load)).toBe(true);
    expect(subscriptionMatches({ transportCallID: 'TC-1', carrierVoyageNumber: '2108W' }, load)).toBe(false);
    expect(subscriptionMatches({ carrierServiceCode: 'AE1' }, load)).toBe(false);
  });
  it('filtersOf keeps the filter keys only', () => {
    expect(
      filtersOf({ callbackUrl: 'https://x', secret: 'c2VjcmV0', eventType: ['SHIPMENT'], vesselIMONumber: '9321483' }),
    ).toEqual({ eventType: ['SHIPMENT'], vesselIMONumber: '9321483' });
  });
});

// An independent oracle: every event is reduced to the (filter key, value) facts it carries, and a
// subscription matches when, for every filter it gives, one of its values is among those facts.
function facts(e: DcsaEvent): [string, string][] {
  const out: [string, string][] = [['eventType', e.eventType]];
  const r = e as unknown as Record<string, unknown>;
  const codeKey = {
    EQUIPMENT: 'equipmentEventTypeCode',
    TRANSPORT: 'transportEventTypeCode',
    SHIPMENT: 'shipmentEventTypeCode',
  }[e.eventType];
  out.push([codeKey, String(r[codeKey])]);
  if (e.eventType === 'SHIPMENT') {
    out.push(['documentTypeCode', e.documentTypeCode]);
    if (['BKG', 'CBR'].includes(e.documentTypeCode)) out.push(['carrierBookingReference', e.documentID]);
    if (e.documentTypeCode === 'TRD') out.push(['transportDocumentReference', e.documentID]);
    return out;
  }
  for (const d of e.documentReferences ?? []) {
    if (d.documentReferenceType === 'BKG') out.push(['carrierBookingReference', String(d.documentReferenceValue)]);
    if (d.documentReferenceType === 'TRD') out.push(['transportDocumentReference', String(d.documentReferenceValue)]);
  }
  if (e.eventType === 'EQUIPMENT') {
    if (e.equipmentReference) out.push(['equipmentReference', e.equipmentReference]);
    if (e.eventLocation?.UNLocationCode) out.push(['UNLocationCode', e.eventLocation.UNLocationCode]);
  }
  const call = e.transportCall;
  if (call) {
    out.push(['transportCallID', call.transportCallID]);
    for (const k of ['carrierVoyageNumber', 'exportVoyageNumber', 'carrierServiceCode'] as const)
      if (call[k] !== undefined) out.push([k, String(call[k])]);
    const code = call.UNLocationCode ?? call.location?.UNLocationCode;
    if (code !== undefined) out.push(['UNLocationCode', code]);
    if (call.vessel) out.push(['vesselIMONumber', call.vessel.vesselIMONumber]);
  } else if (e.transportCallID) out.push(['transportCallID', e.transportCallID]);
  return out;
}
function oracle(f: DcsaSubscriptionFilters, e: DcsaEvent): boolean {
  const known = facts(e);
  return Object.entries(f).every(([k, v]) => {
    const wanted = Array.isArray(v) ? (v as string[]) : [v as string];
    return known.some(([fk, fv]) => fk === k && wanted.includes(fv));
  });
}

const pick = <T>(...v: T[]) => fc.constantFrom(...v);
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const locode = pick('NLRTM', 'DEHAM', 'BEANR');
const call = fc.record({
  transportCallID: pick('TC-1', 'TC-2'),
  carrierVoyageNumber: optional(pick('2107W', '2108E')),
  carrierServiceCode: optional(pick('AE1', 'TP6')),
  UNLocationCode: optional(locode),
  location: optional(fc.record({ UNLocationCode: optional(locode) })),
  modeOfTransport: fc.constant('VESSEL' as const),
  vessel: optional(fc.record({ vesselIMONumber: pick('9321483', '9074729') })),
});
const docRefs = optional(
  fc.array(fc.record({ documentReferenceType: pick('BKG', 'TRD'), documentReferenceValue: pick('ABC123', 'TD-9') }), {
    maxLength: 2,
  }),
);
const anEvent: fc.Arbitrary<DcsaEvent> = fc.oneof(
  fc.record({
    ...Object.fromEntries(Object.entries(base).map(([k, v]) => [k, fc.constant(v)])),
    eventType: fc.constant('EQUIPMENT'),
    equipmentEventTypeCode: pick('LOAD', 'DISC', 'GTIN'),
    equipmentReference: optional(pick('CSQU3054383', 'MSCU6639871')),
    emptyIndicatorCode: fc.constant('LADEN'),
    eventLocation: optional(fc.record({ UNLocationCode: optional(locode) })),
    transportCall: optional(call),
    documentReferences: docRefs,
  }) as fc.Arbitrary<DcsaEvent>,
  fc.record({
    ...Object.fromEntries(Object.entries(base).map(([k, v]) => [k, fc.constant(v)])),
    eventType: fc.constant('TRANSPORT'),
    transportEventTypeCode: pick('ARRI', 'DEPA'),
    transportCall: call,
    documentReferences: docRefs,
  }) as fc.Arbitrary<DcsaEvent>,
  fc.record({
    ...Object.fromEntries(Object.entries(base).map(([k, v]) => [k, fc.constant(v)])),
    eventType: fc.constant('SHIPMENT'),
    shipmentEventTypeCode: pick('HOLD', 'APPR', 'DRFT'),
    documentID: pick('ABC123', 'TD-9'),
    documentTypeCode: pick('BKG', 'TRD', 'SHI'),
  }) as fc.Arbitrary<DcsaEvent>,
);
const list = <T>(a: fc.Arbitrary<T>) => optional(fc.uniqueArray(a, { minLength: 1, maxLength: 3 }));
const filters: fc.Arbitrary<DcsaSubscriptionFilters> = fc
  .record(
    {
      eventType: list(pick('EQUIPMENT', 'TRANSPORT', 'SHIPMENT')),
      equipmentEventTypeCode: list(pick('LOAD', 'DISC', 'GTIN')),
      transportEventTypeCode: list(pick('ARRI', 'DEPA')),
      shipmentEventTypeCode: list(pick('HOLD', 'APPR', 'DRFT')),
      documentTypeCode: list(pick('TRD', 'SHI')),
      carrierBookingReference: optional(pick('ABC123', 'TD-9')),
      transportDocumentReference: optional(pick('ABC123', 'TD-9')),
      transportCallID: optional(pick('TC-1', 'TC-2')),
      vesselIMONumber: optional(pick('9321483', '9074729')),
      carrierVoyageNumber: optional(pick('2107W', '2108E')),
      carrierServiceCode: optional(pick('AE1', 'TP6')),
      UNLocationCode: optional(locode),
      equipmentReference: optional(pick('CSQU3054383', 'MSCU6639871')),
    },
    { requiredKeys: [] },
  )
  .map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as DcsaSubscriptionFilters);

describe('subscriptionMatches: properties', () => {
  it('agrees with an independent oracle on random events and filters', () => {
    fc.assert(
      fc.property(filters, anEvent, (f, e) => {
        expect(subscriptionMatches(f, e)).toBe(oracle(f, e));
      }),
      { numRuns: 3000 },
    );
  });
  it('adding a filter never widens what matches', () => {
    fc.assert(
      fc.property(filters, filters, anEvent, (f, g, e) => {
        if (subscriptionMatches({ ...f, ...g }, e)) expect(subscriptionMatches(g, e)).toBe(true);
      }),
    );
  });
  it('every filter key is one the matcher reads', () => {
    expect([...SUBSCRIPTION_FILTER_KEYS].sort()).toEqual(
      [
        'UNLocationCode',
        'carrierBookingReference',
        'carrierServiceCode',
        'carrierVoyageNumber',
        'documentTypeCode',
        'equipmentEventTypeCode',
        'equipmentReference',
        'eventType',
        'exportVoyageNumber',
        'shipmentEventTypeCode',
        'transportCallID',
        'transportDocumentReference',
        'transportEventTypeCode',
        'vesselIMONumber',
      ].sort(),
    );
  });
});
