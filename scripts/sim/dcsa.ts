/**
 * The simulator's DCSA TNT 2.2 share (docs/dcsa.md): gate in/out become equipment events and
 * vessel arrival/departure transport events, as a carrier's or terminal's system would send them.
 * The world's ids already suit the standard: ISO 6346 container numbers with their check digit,
 * IMO numbers with theirs, the port's UN/LOCODE.
 */
import type { SimEvent } from './event.ts';
import type { Rng } from './random.ts';

const EQUIPMENT_CODES: Record<string, string> = { GateIn: 'GTIN', GateOut: 'GTOT' };
const TRANSPORT_CODES: Record<string, string> = { VesselArrived: 'ARRI', VesselDeparted: 'DEPA' };

/** Whether the event has a DCSA form here (and the ids the standard requires). */
export function hasDcsaForm(event: SimEvent): boolean {
  if (event.eventType in EQUIPMENT_CODES) return event.containerId !== null;
  if (event.eventType in TRANSPORT_CODES) return event.shipId !== null && /^[0-9]{7}$/.test(event.shipId);
  return false;
}

/** A version-4-shaped UUID from the simulator's randomness (so the same seed replays the same ids). */
function uuid(rng: Rng): string {
  const h = (n: number) => rng.chars('0123456789abcdef', n);
  return `${h(8)}-${h(4)}-4${h(3)}-${rng.pick(['8', '9', 'a', 'b'])}${h(3)}-${h(12)}`;
}

/** The DCSA TNT 2.2 document of an event that has a DCSA form (hasDcsaForm). */
export function toDcsa(event: SimEvent, rng: Rng, eventMs: number): Record<string, unknown> {
  const at = new Date(eventMs).toISOString();
  const port = event.portId ?? 'NLRTM';
  const base = {
    eventID: uuid(rng),
    eventCreatedDateTime: at,
    eventClassifierCode: 'ACT',
    eventDateTime: at,
  };
  const equipment = EQUIPMENT_CODES[event.eventType];
  if (equipment) {
    return {
      ...base,
      eventType: 'EQUIPMENT',
      equipmentEventTypeCode: equipment,
      equipmentReference: event.containerId,
      ISOEquipmentCode: typeof event.eventData.isoType === 'string' ? event.eventData.isoType.slice(0, 4) : '45G1',
      emptyIndicatorCode: rng.chance(0.2) ? 'EMPTY' : 'LADEN',
      eventLocation: { UNLocationCode: port, facilityCode: 'RWG', facilityCodeListProvider: 'SMDG' },
    };
  }
  return {
    ...base,
    eventType: 'TRANSPORT',
    transportEventTypeCode: TRANSPORT_CODES[event.eventType],
    transportCall: {
      transportCallID: `${port}-${event.shipId}-${at.slice(0, 10)}`,
      UNLocationCode: port,
      modeOfTransport: 'VESSEL',
      vessel: { vesselIMONumber: event.shipId },
    },
  };
}
