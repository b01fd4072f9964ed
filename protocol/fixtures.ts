/**
 * The event fixtures every side's tests build on (worker, web, bench, protocol): one stored
 * event with every field set as the contract says, overridden field by field. A test that needs
 * a different event states only what differs, so a field added to the contract is added here once.
 */
import type { NewEvent, QuaycastEvent, Tombstone } from './event.ts';

/** A stored event (a reefer alarm from Kafka, New, nothing acknowledged), with `overrides` applied. */
export function sampleEvent(overrides: Partial<QuaycastEvent> = {}): QuaycastEvent {
  return {
    id: 'evt-1',
    seq: 10,
    category: 'Container',
    severity: 'High',
    priority: 'High',
    status: 'New',
    eventType: 'ReeferAlarm',
    title: 'Reefer MSCU1234567 above set point',
    description: null,
    source: null,
    eventTime: '2026-11-29T08:00:00.000Z',
    containerId: 'MSCU1234567',
    shipId: null,
    berthId: null,
    portId: null,
    requiresAction: true,
    isResolved: false,
    eventData: {},
    metadata: {},
    coordinates: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    assignedTo: null,
    resolvedAt: null,
    resolvedBy: null,
    resolution: null,
    origin: { kind: 'kafka', topic: 'container-events', partition: 1, offset: '42' },
    receivedAt: '2026-11-29T08:00:01.000Z',
    createdAt: '2026-11-29T08:00:01.000Z',
    updatedAt: '2026-11-29T08:00:01.000Z',
    ...overrides,
  };
}

/** The same event before a room gave it a seq (what the normaliser and `transition` produce). */
export function sampleNewEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  const { seq: _seq, ...event } = sampleEvent();
  return { ...event, ...overrides };
}

/** A delete in a room's changefeed. */
export function sampleTombstone(overrides: Partial<Tombstone> = {}): Tombstone {
  return { id: 'evt-1', seq: 11, category: 'Container', deleted: true, ...overrides };
}
