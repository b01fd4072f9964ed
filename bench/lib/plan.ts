/**
 * The load plan shared by the producers and the clients: event `n` of a run has a fixed id,
 * room and severity, so every client can tell which ids it must receive without being told.
 */
import { SEVERITIES, type Category, type Severity } from '../../protocol/enums.ts';

/** Where event `n` goes: rooms round-robin, severities cycling once per full turn of the rooms. */
export function planOf(n: number, rooms: readonly Category[]): { room: Category; severity: Severity } {
  return { room: rooms[n % rooms.length]!, severity: SEVERITIES[Math.floor(n / rooms.length) % SEVERITIES.length]! };
}

/** The id of event `n` of a run. */
export function eventId(runId: string, n: number): string {
  return `${runId}-${n}`;
}

/** The `n` of an id made by `eventId`, or -1 when the id is not of this run. */
export function eventIndex(runId: string, id: string): number {
  if (!id.startsWith(runId) || id.charCodeAt(runId.length) !== 45 /* - */) return -1;
  const n = Number(id.slice(runId.length + 1));
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

/** True when a client of `room` filtering on `severities` (null = all) must receive event `n`. */
export function expects(
  n: number,
  rooms: readonly Category[],
  room: Category,
  severities: readonly Severity[] | null,
): boolean {
  const p = planOf(n, rooms);
  return p.room === room && (severities === null || severities.includes(p.severity));
}

/** The Kafka record of event `n` (a compact but realistic event; `producedAtMs` stamps the send). */
export function benchEvent(
  runId: string,
  n: number,
  rooms: readonly Category[],
  producedAtMs: number,
  warm: boolean,
): Record<string, unknown> {
  const { room, severity } = planOf(n, rooms);
  const entity = `${room.slice(0, 3).toUpperCase()}${(n % 997).toString().padStart(4, '0')}`;
  return {
    id: eventId(runId, n),
    category: room,
    severity,
    eventType: 'bench.tick',
    title: `Bench event ${n} for ${entity}`,
    description: 'Synthetic event from the Quaycast benchmark',
    source: 'bench',
    containerId: room === 'Container' ? entity : null,
    shipId: room === 'Ship' ? entity : null,
    berthId: room === 'Berth' ? entity : null,
    portId: 'NLRTM',
    coordinates: { lat: 51.95, lon: 4.14 },
    eventData: { n, producedAtMs, ...(warm ? { warm: true } : {}) },
  };
}
