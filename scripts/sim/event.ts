/** What the simulator writes: the canonical event, the Kafka record around it, and a draft of one. */
import type { Category, Severity } from '../../protocol/enums.ts';

/** A canonical event as the simulator writes it (DESIGN.md, "The event"). */
export type SimEvent = {
  id: string;
  eventType: string;
  title: string;
  description: string;
  category: Category;
  severity: Severity;
  status: 'New';
  source: string;
  eventTime: string;
  containerId: string | null;
  shipId: string | null;
  berthId: string | null;
  portId: string | null;
  requiresAction: boolean;
  eventData: Record<string, unknown>;
  metadata: Record<string, unknown>;
  coordinates: { lat: number; lon: number } | null;
};

/** One Kafka record to produce, with what the simulator knows about it for its own counters. */
export type SimRecord = {
  topic: string;
  key: string;
  value: Record<string, unknown>;
  category: Category;
  severity: Severity;
  legacy: boolean;
};

/** An event as a generator makes it: the stream adds the id, status, time and metadata (portId defaults to the port's). */
export type Draft = Omit<SimEvent, 'id' | 'status' | 'eventTime' | 'metadata' | 'portId'> & { portId?: string | null };
