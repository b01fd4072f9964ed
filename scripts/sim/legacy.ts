/**
 * The payload shape of the .NET producer Quaycast replaces (System.Text.Json defaults):
 * PascalCase names, `Priority` only, no `Category`, a 7-digit-fraction `Timestamp` without a zone,
 * IMO numbers as JSON numbers or numeric strings, and properties the canonical contract does not
 * know (they end up in `metadata.extra`).
 */
import type { Category } from '../../protocol/enums.ts';
import type { Rng } from './random.ts';
import type { SimEvent } from './event.ts';

/** Only these categories survive the trip: without `Category`, System would be derived as Port from its topic. */
export function hasLegacyForm(category: Category): boolean {
  return category !== 'System';
}

/** `2026-11-29T08:15:02.1234567`: DateTime with ticks, UTC, no zone designator. */
export function dotnetTimestamp(ms: number, rng: Rng): string {
  return `${new Date(ms).toISOString().slice(0, 23)}${rng.digits(4)}`;
}

function pascal(key: string): string {
  return key.length === 0 ? key : key[0]!.toUpperCase() + key.slice(1);
}

/** Shallow PascalCase of an object's keys, as the .NET serializer wrote nested DTOs. */
function pascalKeys(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [pascal(k), v]));
}

/**
 * The legacy form of a canonical event. Entity ids that would make the category derivation
 * (containerId → shipId → berthId → portId) pick another room are moved to unknown properties,
 * so the event lands in the room its canonical twin would.
 */
export function toLegacy(event: SimEvent, rng: Rng, eventMs: number): Record<string, unknown> {
  const keepShip = event.category === 'Container' || event.category === 'Ship';
  const keepBerth = event.category !== 'Port';
  const ship = event.shipId;
  const legacy: Record<string, unknown> = {
    EventId: event.id,
    EventType: event.eventType,
    Title: event.title,
    Description: rng.chance(0.1) ? null : event.description,
    Priority: event.severity,
    Status: 'New',
    Source: event.source,
    Timestamp: dotnetTimestamp(eventMs, rng),
    ContainerId: event.containerId,
    // IMO numbers went out as `long` from one producer version and as strings from another.
    ShipId: keepShip && ship ? (rng.chance(0.5) ? Number(ship) : ship) : null,
    BerthId: keepBerth ? event.berthId : null,
    PortId: event.portId,
    RequiresAction: event.requiresAction,
    IsResolved: false,
    Coordinates: event.coordinates ? { Latitude: event.coordinates.lat, Longitude: event.coordinates.lon } : null,
    EventData: pascalKeys(event.eventData),
    MachineName: 'RTM-TOSINT-02',
    ProducerVersion: '3.4.1.0',
  };
  if (!keepShip && ship) legacy.VesselImo = Number(ship);
  if (!keepBerth && event.berthId) legacy.BerthCode = event.berthId;
  return legacy;
}
