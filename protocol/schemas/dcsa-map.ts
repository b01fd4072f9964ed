/**
 * DCSA TNT 2.2 → Quaycast: a recognised DCSA document (protocol/dcsa.ts, looksLikeDcsaEvent) is
 * validated against schemas/dcsa.ts and mapped to a Quaycast payload by the table in docs/dcsa.md.
 * The original document is kept whole in `eventData.dcsa` (bounded like every eventData, 16 KiB).
 */
import type { Severity } from '../enums.ts';
import type { EventInput, FieldIssue } from '../event.ts';
import { type DcsaEvent, DcsaEventSchema } from './dcsa.ts';

/** The Quaycast event type of each DCSA event type code. */
export const DCSA_EVENT_TYPE_NAMES: Record<string, string> = {
  LOAD: 'ContainerLoaded',
  DISC: 'ContainerDischarged',
  GTIN: 'ContainerGateIn',
  GTOT: 'ContainerGateOut',
  STUF: 'ContainerStuffed',
  STRP: 'ContainerStripped',
  PICK: 'ContainerPickedUp',
  DROP: 'ContainerDropped',
  INSP: 'ContainerInspected',
  RSEA: 'ContainerResealed',
  RMVD: 'ContainerSealRemoved',
  ARRI: 'VesselArrived',
  DEPA: 'VesselDeparted',
};

/** The `source` of every event the mapping made. */
export const DCSA_SOURCE = 'DCSA TNT 2.2';

/**
 * The kept DCSA original of a stored event, or undefined. Any producer can post an event with
 * this `source` and an `eventData.dcsa` of its own making, so both the source and the document's
 * validity are checked: what is not a valid DCSA event is never answered nor sent as one.
 */
export function keptDcsaDocument(event: { source?: unknown; eventData?: unknown }): DcsaEvent | undefined {
  if (event.source !== DCSA_SOURCE || event.eventData === null || typeof event.eventData !== 'object') return undefined;
  const doc = (event.eventData as { dcsa?: unknown }).dcsa;
  return DcsaEventSchema.safeParse(doc).success ? (doc as DcsaEvent) : undefined;
}

/** Shipment codes that need someone's attention: rejected, on hold, pending approval or update. */
const ATTENTION = new Set(['REJE', 'HOLD', 'PENA', 'PENU']);

/** Severity default: an actual event Medium, planned or estimated Low, a shipment needing attention High. */
export function dcsaSeverity(event: DcsaEvent): Severity {
  if (event.eventType === 'SHIPMENT' && ATTENTION.has(event.shipmentEventTypeCode)) return 'High';
  return event.eventClassifierCode === 'ACT' ? 'Medium' : 'Low';
}

const CLASSIFIER_WORD = { ACT: 'actual', PLN: 'planned', EST: 'estimated' } as const;

export type DcsaMapResult = { ok: true; input: EventInput } | { ok: false; issues: FieldIssue[] };

/**
 * Validates a DCSA document and maps it to a Quaycast payload (canonical field names). Never
 * throws; an invalid document answers every issue with its DCSA field path (`dcsa.<path>`).
 */
export function mapDcsaEvent(raw: Record<string, unknown>): DcsaMapResult {
  const parsed = DcsaEventSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({
        path: ['dcsa', ...i.path].join('.'),
        message: `${i.message} (DCSA TNT 2.2)`,
      })),
    };
  }
  const e = parsed.data;
  const severity = dcsaSeverity(e);
  const when = CLASSIFIER_WORD[e.eventClassifierCode];
  const base: EventInput = {
    eventType: 'Shipment',
    title: '',
    severity,
    source: DCSA_SOURCE,
    eventTime: e.eventDateTime,
    eventData: { dcsa: raw },
    metadata: { dcsa: { eventType: e.eventType, eventClassifierCode: e.eventClassifierCode } },
    ...(e.eventID === undefined ? {} : { id: e.eventID }),
  };
  if (e.eventType === 'EQUIPMENT') {
    const call = e.transportCall;
    const port = e.eventLocation?.UNLocationCode ?? call?.UNLocationCode ?? call?.location?.UNLocationCode ?? null;
    const facility = e.eventLocation?.facilityCode ?? call?.facilityCode ?? null;
    const name = DCSA_EVENT_TYPE_NAMES[e.equipmentEventTypeCode] ?? e.equipmentEventTypeCode;
    const where = [port, facility].filter((x) => x !== null).join(' ');
    return {
      ok: true,
      input: {
        ...base,
        category: 'Container',
        eventType: name,
        title: `${e.equipmentReference ?? 'Equipment'} ${e.equipmentEventTypeCode} (${e.emptyIndicatorCode.toLowerCase()}, ${when})${where ? ` at ${where}` : ''}`,
        containerId: e.equipmentReference ?? null,
        shipId: call?.vessel?.vesselIMONumber ?? null,
        portId: port,
      },
    };
  }
  if (e.eventType === 'TRANSPORT') {
    const call = e.transportCall;
    const port = call.UNLocationCode ?? call.location?.UNLocationCode ?? null;
    const vessel = call.vessel;
    const label = vessel?.vesselName ?? (vessel ? `IMO ${vessel.vesselIMONumber}` : call.modeOfTransport);
    return {
      ok: true,
      input: {
        ...base,
        category: 'Ship',
        eventType: DCSA_EVENT_TYPE_NAMES[e.transportEventTypeCode] ?? e.transportEventTypeCode,
        title: `${label} ${e.transportEventTypeCode} (${when})${port ? ` at ${port}` : ''}${call.facilityCode ? ` ${call.facilityCode}` : ''}`,
        shipId: vessel?.vesselIMONumber ?? null,
        portId: port,
      },
    };
  }
  return {
    ok: true,
    input: {
      ...base,
      category: 'System',
      eventType: `Shipment${e.shipmentEventTypeCode}`,
      title: `${e.documentTypeCode} ${e.documentID} ${e.shipmentEventTypeCode} (${when})`,
      requiresAction: ATTENTION.has(e.shipmentEventTypeCode),
      ...(e.reason === undefined ? {} : { description: e.reason }),
    },
  };
}
