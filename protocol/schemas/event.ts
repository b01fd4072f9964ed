/**
 * The zod schemas of the event contract (the types: protocol/event.ts): what a producer may send
 * in canonical form (`EventInputSchema`, also the OpenAPI document's `EventInput` and the
 * dashboard's create form) and what Quaycast stores and pushes (`EventSchema`, the API's answers).
 * Legacy spellings are brought to the canonical form before `EventInputSchema` runs
 * (protocol/schemas/normalize.ts), so the schema stays the documented shape.
 */
import { z } from 'zod';
import { CATEGORIES, SEVERITIES, STATUSES } from '../enums.ts';
import {
  MAX_ID_CHARS,
  MAX_TEXT_CHARS,
  MAX_TITLE_CHARS,
  type Coordinates,
  type EventInput,
  type Origin,
  type QuaycastEvent,
} from '../event.ts';
import type { SameType } from '../same-type.ts';
import { parseTimestamp } from '../time.ts';
import { MAX_JSON_FIELD_BYTES } from './event-bounds.ts';

const utf8 = new TextEncoder();
/** UTF-8 bytes of `v` serialized as JSON. */
export const jsonBytes = (v: unknown) => utf8.encode(JSON.stringify(v)).length;

// Safe to serialize here: normalizeEvent has bounded the value's depth first (event-bounds.ts).
const jsonObject = z.record(z.string(), z.unknown()).refine((v) => jsonBytes(v) <= MAX_JSON_FIELD_BYTES, {
  message: `must be at most ${MAX_JSON_FIELD_BYTES} bytes serialized`,
});

/**
 * Control characters: never in an id (ids are keys, URL segments, log fields); in text, only tab,
 * LF and CR (a NUL or an escape sequence in a title reaches CSV exports, terminals and logs).
 */
const ID_CONTROL = /[\u0000-\u001f\u007f]/;
const TEXT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const noControl = { message: 'must not contain control characters (only tab, LF and CR are allowed in text)' };
const idString = () =>
  z
    .string()
    .min(1)
    .max(MAX_ID_CHARS)
    .refine((s) => !ID_CONTROL.test(s), { message: 'must not contain control characters' });
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !TEXT_CONTROL.test(s), noControl);

const entityId = idString().nullable().optional();
const optionalText = text(MAX_TEXT_CHARS).nullable().optional();

export const CoordinatesSchema = z.object({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});
true satisfies SameType<z.infer<typeof CoordinatesSchema>, Coordinates>;

/** The canonical input a producer sends (after `canonicalize`). */
export const EventInputSchema = z.object({
  id: idString().optional(),
  category: z.enum(CATEGORIES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  priority: z.enum(SEVERITIES).optional(),
  status: z.enum(STATUSES).optional(),
  eventType: z
    .string()
    .trim()
    .min(1)
    .max(MAX_TITLE_CHARS)
    .refine((s) => !TEXT_CONTROL.test(s), noControl),
  title: z
    .string()
    .trim()
    .min(1)
    .max(MAX_TITLE_CHARS)
    .refine((s) => !TEXT_CONTROL.test(s), noControl),
  description: optionalText,
  source: text(MAX_TITLE_CHARS).nullable().optional(),
  eventTime: z
    .string()
    .refine((s) => parseTimestamp(s) !== undefined, { message: 'must be an ISO-8601 date-time' })
    .optional(),
  containerId: entityId,
  shipId: entityId,
  berthId: entityId,
  portId: entityId,
  requiresAction: z.boolean().nullable().optional(),
  isResolved: z.boolean().nullable().optional(),
  eventData: jsonObject.nullable().optional(),
  metadata: jsonObject.nullable().optional(),
  coordinates: CoordinatesSchema.nullable().optional(),
  assignedTo: text(MAX_TITLE_CHARS).nullable().optional(),
  resolution: optionalText,
});
true satisfies SameType<z.infer<typeof EventInputSchema>, EventInput>;

export const OriginSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('kafka'),
    topic: z.string(),
    partition: z.number().int(),
    offset: z.string(),
    key: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    appendedAt: z.string().optional(),
  }),
  z.object({ kind: z.literal('api') }),
]);
true satisfies SameType<z.infer<typeof OriginSchema>, Origin>;

/** A stored event, as the API returns it and the rooms push it. */
export const EventSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  category: z.enum(CATEGORIES),
  severity: z.enum(SEVERITIES),
  priority: z.enum(SEVERITIES),
  status: z.enum(STATUSES),
  eventType: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  source: z.string().nullable(),
  eventTime: z.string(),
  containerId: z.string().nullable(),
  shipId: z.string().nullable(),
  berthId: z.string().nullable(),
  portId: z.string().nullable(),
  requiresAction: z.boolean(),
  isResolved: z.boolean(),
  eventData: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  coordinates: CoordinatesSchema.nullable(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  assignedTo: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  resolution: z.string().nullable(),
  origin: OriginSchema,
  receivedAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
true satisfies SameType<z.infer<typeof EventSchema>, QuaycastEvent>;
