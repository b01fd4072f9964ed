/**
 * Which DCSA events a TNT 2.2 event subscription receives (docs/dcsa.md, "Subscriptions"). The
 * standard: every filter given must hold (AND); a list filter holds when any of its values does
 * (OR). A filter on a field the event does not carry does not hold (an `equipmentReference`
 * filter never matches a transport event), as the standard's own example of contradicting filters
 * answers nothing. Pure and zod-free: the rule runner calls it for every new event of a page.
 */
import type { DcsaEvent } from './dcsa.ts';

/** The filters of a subscription: its body without callbackUrl and secret. */
export type DcsaSubscriptionFilters = {
  eventType?: readonly string[] | undefined;
  equipmentEventTypeCode?: readonly string[] | undefined;
  transportEventTypeCode?: readonly string[] | undefined;
  shipmentEventTypeCode?: readonly string[] | undefined;
  documentTypeCode?: readonly string[] | undefined;
  carrierBookingReference?: string | undefined;
  transportDocumentReference?: string | undefined;
  transportCallID?: string | undefined;
  vesselIMONumber?: string | undefined;
  carrierVoyageNumber?: string | undefined;
  exportVoyageNumber?: string | undefined;
  carrierServiceCode?: string | undefined;
  UNLocationCode?: string | undefined;
  equipmentReference?: string | undefined;
};

/** Filters of the standard's subscription body that Quaycast's events cannot answer (refused with 400). */
export const UNSUPPORTED_SUBSCRIPTION_FILTERS = ['scheduleID', 'transportDocumentTypeCode'] as const;

/** The filter names a subscription keeps (everything of the body but callbackUrl and secret). */
export const SUBSCRIPTION_FILTER_KEYS = [
  'eventType',
  'equipmentEventTypeCode',
  'transportEventTypeCode',
  'shipmentEventTypeCode',
  'documentTypeCode',
  'carrierBookingReference',
  'transportDocumentReference',
  'transportCallID',
  'vesselIMONumber',
  'carrierVoyageNumber',
  'exportVoyageNumber',
  'carrierServiceCode',
  'UNLocationCode',
  'equipmentReference',
] as const satisfies readonly (keyof DcsaSubscriptionFilters)[];

const inList = (list: readonly string[] | undefined, value: string | undefined) =>
  list === undefined || (value !== undefined && list.includes(value));
const equals = (want: string | undefined, value: string | undefined) => want === undefined || want === value;

type TransportCall = { transportCallID?: string; carrierVoyageNumber?: string; exportVoyageNumber?: string } & {
  carrierServiceCode?: string;
  UNLocationCode?: string;
  location?: { UNLocationCode?: string };
  vessel?: { vesselIMONumber?: string };
};

/** The event's transport call (transport events always have one, equipment events may). */
function transportCallOf(e: DcsaEvent): TransportCall | undefined {
  return e.eventType === 'SHIPMENT' ? undefined : (e.transportCall as TransportCall | undefined);
}

/** The values of the event's references to documents of one kind (booking BKG, transport document TRD). */
function documentValues(e: DcsaEvent, kind: 'BKG' | 'TRD'): string[] {
  if (e.eventType === 'SHIPMENT') {
    // A shipment event is about one document: documentID of documentTypeCode (a booking is CBR or BKG).
    const isKind =
      kind === 'BKG' ? e.documentTypeCode === 'BKG' || e.documentTypeCode === 'CBR' : e.documentTypeCode === 'TRD';
    return isKind ? [e.documentID] : [];
  }
  return (e.documentReferences ?? []).flatMap((r) =>
    r.documentReferenceType === kind && r.documentReferenceValue !== undefined ? [r.documentReferenceValue] : [],
  );
}

/** True when every filter of `f` holds for the event. */
export function subscriptionMatches(f: DcsaSubscriptionFilters, e: DcsaEvent): boolean {
  if (!inList(f.eventType, e.eventType)) return false;
  if (!inList(f.equipmentEventTypeCode, e.eventType === 'EQUIPMENT' ? e.equipmentEventTypeCode : undefined))
    return false;
  if (!inList(f.transportEventTypeCode, e.eventType === 'TRANSPORT' ? e.transportEventTypeCode : undefined))
    return false;
  if (!inList(f.shipmentEventTypeCode, e.eventType === 'SHIPMENT' ? e.shipmentEventTypeCode : undefined)) return false;
  if (!inList(f.documentTypeCode, e.eventType === 'SHIPMENT' ? e.documentTypeCode : undefined)) return false;
  if (f.carrierBookingReference !== undefined && !documentValues(e, 'BKG').includes(f.carrierBookingReference))
    return false;
  if (f.transportDocumentReference !== undefined && !documentValues(e, 'TRD').includes(f.transportDocumentReference))
    return false;
  if (!equals(f.equipmentReference, e.eventType === 'EQUIPMENT' ? e.equipmentReference : undefined)) return false;
  const call = transportCallOf(e);
  const callId = call?.transportCallID ?? (e.eventType === 'SHIPMENT' ? undefined : e.transportCallID);
  if (!equals(f.transportCallID, callId)) return false;
  if (!equals(f.vesselIMONumber, call?.vessel?.vesselIMONumber)) return false;
  if (!equals(f.carrierVoyageNumber, call?.carrierVoyageNumber)) return false;
  if (!equals(f.exportVoyageNumber, call?.exportVoyageNumber)) return false;
  if (!equals(f.carrierServiceCode, call?.carrierServiceCode)) return false;
  if (f.UNLocationCode !== undefined) {
    const here = e.eventType === 'EQUIPMENT' ? e.eventLocation?.UNLocationCode : undefined;
    // The transport call's own code, else its location's (as GET /v2/events reads it).
    const callCode = call?.UNLocationCode ?? call?.location?.UNLocationCode;
    if (f.UNLocationCode !== here && f.UNLocationCode !== callCode) return false;
  }
  return true;
}

/** The filters of a subscription body (only the keys it keeps, only those given). */
export function filtersOf(body: Record<string, unknown>): DcsaSubscriptionFilters {
  const out: Record<string, unknown> = {};
  for (const k of SUBSCRIPTION_FILTER_KEYS) if (body[k] !== undefined) out[k] = body[k];
  return out as DcsaSubscriptionFilters;
}
