/** What the simulator writes: the canonical event, the Kafka record around it, and a draft of one. */
import type { Category, Severity } from '../../protocol/enums.ts';
import type { QuaycastEvent } from '../../protocol/event.ts';

/**
 * A canonical event as the simulator writes it (DESIGN.md, "The event"): the contract's event
 * without what the Worker adds (seq, priority, resolution, origin), always with a description
 * and a source, and new.
 */
export type SimEvent = Pick<
  QuaycastEvent,
  | 'id'
  | 'eventType'
  | 'title'
  | 'category'
  | 'severity'
  | 'eventTime'
  | 'containerId'
  | 'shipId'
  | 'berthId'
  | 'portId'
  | 'requiresAction'
  | 'eventData'
  | 'metadata'
  | 'coordinates'
> & { description: string; source: string; status: 'New' };

/** One Kafka record to produce, with what the simulator knows about it for its own counters. */
export type SimRecord = {
  topic: string;
  key: string;
  value: Record<string, unknown>;
  category: Category;
  severity: Severity;
  legacy: boolean;
  /** Written as a DCSA TNT 2.2 document (scripts/sim/dcsa.ts). */
  dcsa: boolean;
};

/** An event as a generator makes it: the stream adds the id, status, time and metadata (portId defaults to the port's). */
export type Draft = Omit<SimEvent, 'id' | 'status' | 'eventTime' | 'metadata' | 'portId'> & { portId?: string | null };
