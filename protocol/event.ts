/**
 * The event contract (DESIGN.md, "The event"): what producers may send, how legacy payloads are
 * brought to the canonical form, and what Quaycast stores and pushes.
 *
 * Validation runs in two steps so that the zod schema stays the documented, canonical shape
 * (and the OpenAPI document generated from it stays honest):
 *   1. `canonicalize` — legacy tolerance: property names in any case, aliases (`eventId`,
 *      `eventTimestamp`), numeric ids, enum spellings (`critical`, `In Progress`), unknown
 *      properties moved to `metadata.extra`.
 *   2. `EventInputSchema` — types, ranges and sizes of the canonical form, then `toEvent`
 *      fills what Quaycast derives (category, defaults, lineage, times).
 */
import { z } from 'zod';
import {
  CATEGORIES,
  SEVERITIES,
  STATUSES,
  TOPIC_CATEGORY,
  parseCategory,
  parseSeverity,
  parseStatus,
  type Category,
  type Severity,
  type Status,
} from './enums.ts';
import { MAX_CONTAINER_ENTRIES, MAX_JSON_FIELD_BYTES, MAX_NESTING_DEPTH, MAX_STRING_BYTES, boundPayload, capIssues } from './event-bounds.ts';
import { boundJson, formatPath, setOwn, wellFormed } from './json-shape.ts';
import { parseTimestamp, toIso } from './time.ts';

export { MAX_JSON_FIELD_BYTES } from './event-bounds.ts';
export const MAX_TITLE_CHARS = 200;
export const MAX_TEXT_CHARS = 4000;
export const MAX_ID_CHARS = 200;

const utf8 = new TextEncoder();
const jsonBytes = (v: unknown) => utf8.encode(JSON.stringify(v)).length;

// Safe to serialize here: normalizeEvent has bounded the value's depth first (event-bounds.ts).
const jsonObject = z
  .record(z.string(), z.unknown())
  .refine((v) => jsonBytes(v) <= MAX_JSON_FIELD_BYTES, { message: `must be at most ${MAX_JSON_FIELD_BYTES} bytes serialized` });

/**
 * Control characters: never in an id (ids are keys, URL segments, log fields); in text, only tab,
 * LF and CR (a NUL or an escape sequence in a title reaches CSV exports, terminals and logs).
 */
const ID_CONTROL = /[\u0000-\u001f\u007f]/;
const TEXT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const noControl = { message: 'must not contain control characters (only tab, LF and CR are allowed in text)' };
const idString = () => z.string().min(1).max(MAX_ID_CHARS).refine((s) => !ID_CONTROL.test(s), { message: 'must not contain control characters' });
const text = (max: number) => z.string().max(max).refine((s) => !TEXT_CONTROL.test(s), noControl);

const entityId = idString().nullable().optional();
const optionalText = text(MAX_TEXT_CHARS).nullable().optional();

export const CoordinatesSchema = z.object({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});

/** The canonical input a producer sends (after `canonicalize`). */
export const EventInputSchema = z.object({
  id: idString().optional(),
  category: z.enum(CATEGORIES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  priority: z.enum(SEVERITIES).optional(),
  status: z.enum(STATUSES).optional(),
  eventType: z.string().trim().min(1).max(MAX_TITLE_CHARS).refine((s) => !TEXT_CONTROL.test(s), noControl),
  title: z.string().trim().min(1).max(MAX_TITLE_CHARS).refine((s) => !TEXT_CONTROL.test(s), noControl),
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
export type EventInput = z.infer<typeof EventInputSchema>;

export const OriginSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('kafka'),
    topic: z.string(),
    partition: z.number().int(),
    offset: z.string(),
    /** The record's key, as text (absent when the record had none). */
    key: z.string().optional(),
    /** The record's headers, as text (bounded: see MAX_LINEAGE_HEADERS). */
    headers: z.record(z.string(), z.string()).optional(),
    /** The record's Kafka timestamp (producer create time or broker append time), ISO-8601. */
    appendedAt: z.string().optional(),
  }),
  z.object({ kind: z.literal('api') }),
]);
export type Origin = z.infer<typeof OriginSchema>;

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
export type QuaycastEvent = z.infer<typeof EventSchema>;

/** A deleted event in a room's changefeed. */
export type Tombstone = { id: string; seq: number; category: Category; deleted: true };
export type Change = QuaycastEvent | Tombstone;
export { isTombstone } from './change.ts';

// ---------------------------------------------------------------------------------------------
// Step 1: legacy tolerance

/** Lower-cased property name → canonical name. Aliases map to the field they stand for. */
const FIELD_BY_LOWER: ReadonlyMap<string, keyof EventInput> = new Map<string, keyof EventInput>([
  ...(Object.keys(EventInputSchema.shape) as (keyof EventInput)[]).map((k) => [k.toLowerCase(), k] as const),
  ['eventid', 'id'],
  ['eventtimestamp', 'eventTime'],
  ['timestamp', 'eventTime'],
  ['eventtype', 'eventType'],
  ['type', 'eventType'],
]);

/** Fields Quaycast sets itself: a producer's value is kept for reference, never trusted. */
const SERVER_FIELDS = new Set([
  'seq', 'origin', 'receivedat', 'createdat', 'updatedat', 'acknowledgedat', 'acknowledgedby', 'resolvedat', 'resolvedby',
]);

const ID_FIELDS = new Set(['id', 'containerId', 'shipId', 'berthId', 'portId']);

function canonicalCoordinates(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const lower = k.toLowerCase();
    if (lower === 'lat' || lower === 'latitude') out.lat = v;
    else if (lower === 'lon' || lower === 'lng' || lower === 'long' || lower === 'longitude') out.lon = v;
    else setOwn(out, k, v);
  }
  return out;
}

/**
 * Brings a producer's JSON object to the canonical property names and spellings.
 * Unknown properties are returned separately (they end up in `metadata.extra`).
 */
export function canonicalize(raw: Record<string, unknown>): { input: Record<string, unknown>; extra: Record<string, unknown> } {
  const input: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const lower = key.toLowerCase();
    const field = FIELD_BY_LOWER.get(lower);
    // setOwn: a key such as `__proto__` must stay data, never set a prototype.
    if (!field) {
      if (value !== undefined) setOwn(extra, SERVER_FIELDS.has(lower) ? `producer.${key}` : key, value);
      continue;
    }
    // `eventId` and `id` both present: the first one wins, the other is kept as extra.
    if (field in input && input[field] !== undefined && input[field] !== null) {
      setOwn(extra, key, value);
      continue;
    }
    let v: unknown = value;
    if (ID_FIELDS.has(field) && typeof v === 'number' && Number.isFinite(v)) v = String(v);
    else if (field === 'category' && typeof v === 'string') v = parseCategory(v) ?? v;
    else if ((field === 'severity' || field === 'priority') && typeof v === 'string') v = parseSeverity(v) ?? v;
    else if (field === 'status' && typeof v === 'string') v = parseStatus(v) ?? v;
    // Beyond ±8.64e15 ms a Date is invalid and toIso throws: leave the number for the schema to reject.
    else if (field === 'eventTime' && typeof v === 'number') v = Number.isFinite(v) && Math.abs(v) <= 8.64e15 ? toIso(v) : v;
    else if (field === 'coordinates') v = canonicalCoordinates(v);
    if (v === null && (field === 'category' || field === 'severity' || field === 'priority' || field === 'status' || field === 'eventTime' || field === 'id')) {
      continue; // null means "not given" for fields with defaults
    }
    input[field] = v;
  }
  return { input, extra };
}

// ---------------------------------------------------------------------------------------------
// Step 2: defaults and derivations

/** Where an event came from, as the normaliser needs it. */
export type IngestContext =
  | {
      kind: 'kafka';
      topic: string;
      partition: number;
      offset: string;
      receivedAt: number;
      key?: string | null;
      headers?: Record<string, string>;
      /** The record's timestamp, ms since the epoch as kafkajs gives it (a string). */
      timestamp?: string;
    }
  | { kind: 'api'; receivedAt: number; newId: () => string };

/** DESIGN.md: containerId → Container, shipId → Ship, berthId → Berth, portId → Port, topic, else System. */
export function deriveCategory(input: Pick<EventInput, 'containerId' | 'shipId' | 'berthId' | 'portId'>, topic?: string): Category {
  if (input.containerId) return 'Container';
  if (input.shipId) return 'Ship';
  if (input.berthId) return 'Berth';
  if (input.portId) return 'Port';
  if (topic && Object.hasOwn(TOPIC_CATEGORY, topic)) return TOPIC_CATEGORY[topic]!; // own keys only: not `constructor`
  return 'System';
}

/** Lineage kept from a Kafka record: at most this many headers, each value cut to MAX_LINEAGE_VALUE_CHARS. */
export const MAX_LINEAGE_HEADERS = 16;
export const MAX_LINEAGE_VALUE_CHARS = 256;

/** `s` cut to `max` UTF-16 units without splitting a surrogate pair, lone surrogates replaced (lineage is text, never an error). */
function lineageText(s: string, max = MAX_LINEAGE_VALUE_CHARS): string {
  let cut = s.length > max ? s.slice(0, max) : s;
  if (cut.length < s.length && /[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return wellFormed(cut).text;
}

function kafkaOrigin(ctx: Extract<IngestContext, { kind: 'kafka' }>): Origin {
  const origin: Origin = { kind: 'kafka', topic: ctx.topic, partition: ctx.partition, offset: ctx.offset };
  if (ctx.key !== undefined && ctx.key !== null) origin.key = lineageText(ctx.key);
  // The first MAX_LINEAGE_HEADERS only, without listing all of a record's (possibly thousands of) headers.
  const headers: Record<string, string> = {};
  let kept = 0;
  for (const name in ctx.headers ?? {}) {
    if (kept === MAX_LINEAGE_HEADERS) break;
    if (!Object.hasOwn(ctx.headers!, name)) continue;
    setOwn(headers, lineageText(name), lineageText(ctx.headers![name]!));
    kept++;
  }
  if (kept > 0) origin.headers = headers;
  const ts = ctx.timestamp === undefined ? NaN : Number(ctx.timestamp);
  if (Number.isFinite(ts) && ts > 0 && ts <= 8.64e15) origin.appendedAt = toIso(ts);
  return origin;
}

/** An event ready to be stored: everything but `seq`, which the room assigns. */
export type NewEvent = Omit<QuaycastEvent, 'seq'>;

export function toEvent(input: EventInput, extra: Record<string, unknown>, ctx: IngestContext): NewEvent {
  const received = toIso(ctx.receivedAt);
  const severity: Severity = input.severity ?? input.priority ?? 'Medium';
  const status: Status = input.status ?? 'New';
  const metadata: Record<string, unknown> = { ...(input.metadata ?? {}) };
  // normalizeEvent has checked that a producer's own metadata.extra is an object (or absent) when there are extras.
  if (Object.keys(extra).length > 0) metadata.extra = { ...(metadata.extra as object | null | undefined), ...extra };
  const id =
    input.id ?? (ctx.kind === 'kafka' ? `kafka:${ctx.topic}:${ctx.partition}:${ctx.offset}` : ctx.newId());
  return {
    id,
    category: input.category ?? deriveCategory(input, ctx.kind === 'kafka' ? ctx.topic : undefined),
    severity,
    priority: input.priority ?? severity,
    status,
    eventType: input.eventType,
    title: input.title,
    description: input.description ?? null,
    source: input.source ?? null,
    eventTime: input.eventTime ? toIso(parseTimestamp(input.eventTime)!) : received,
    containerId: input.containerId ?? null,
    shipId: input.shipId ?? null,
    berthId: input.berthId ?? null,
    portId: input.portId ?? null,
    requiresAction: input.requiresAction ?? false,
    isResolved: input.isResolved ?? (status === 'Resolved' || status === 'Closed'),
    eventData: input.eventData ?? {},
    metadata,
    coordinates: input.coordinates ?? null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    assignedTo: input.assignedTo ?? null,
    resolvedAt: null,
    resolvedBy: null,
    resolution: input.resolution ?? null,
    origin: ctx.kind === 'kafka' ? kafkaOrigin(ctx) : { kind: 'api' },
    receivedAt: received,
    createdAt: received,
    updatedAt: received,
  };
}

/** One field that failed validation: where and why. */
export type FieldIssue = { path: string; message: string };

export type NormalizeResult = { ok: true; event: NewEvent } | { ok: false; issues: FieldIssue[] };

export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
}

/**
 * The id a payload names, read as canonicalize reads it (`id`, `eventId`, any case; the first
 * non-null one; a finite number as a string), or undefined. For a payload that failed
 * validation: the ingest answers `duplicate` when that id is already stored. Never throws.
 */
export function producerIdOf(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  for (const key of Object.keys(raw)) {
    if (FIELD_BY_LOWER.get(key.toLowerCase()) !== 'id') continue;
    const v = (raw as Record<string, unknown>)[key];
    if (v === null || v === undefined) continue;
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
    return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_CHARS && !wellFormed(v).repaired ? v : undefined;
  }
  return undefined;
}

/** The field a property name stands for (any case, aliases), or undefined when it is unknown. */
function fieldOf(key: string): string | undefined {
  return FIELD_BY_LOWER.get(key.toLowerCase());
}

const METADATA_BOUNDS = { maxDepth: MAX_NESTING_DEPTH, maxEntries: MAX_CONTAINER_ENTRIES, maxStringBytes: MAX_STRING_BYTES };

/**
 * Validates and normalises one producer payload (already parsed JSON). Never throws for any
 * JSON value: the payload's shape is bounded (event-bounds.ts) before any recursive walk.
 */
export function normalizeEvent(raw: unknown, ctx: IngestContext): NormalizeResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: '(root)', message: 'must be a JSON object' }] };
  }
  const bounded = boundPayload(raw as Record<string, unknown>, fieldOf);
  if (bounded.issues.some((i) => i.path === '(root)')) return { ok: false, issues: capIssues(bounded.issues) };
  // The fields within bounds are validated too, so one answer names every bad field.
  const { input, extra } = canonicalize(bounded.payload);
  const parsed = EventInputSchema.safeParse(input);
  if (bounded.issues.length > 0 || !parsed.success) {
    const reported = new Set(bounded.issues.map((i) => i.path.split('.')[0]));
    const more = parsed.success ? [] : issuesOf(parsed.error).filter((i) => !reported.has(i.path.split('.')[0]));
    return { ok: false, issues: capIssues([...bounded.issues, ...more]) };
  }
  const own = parsed.data.metadata?.extra;
  if (Object.keys(extra).length > 0 && own !== undefined && own !== null && (typeof own !== 'object' || Array.isArray(own))) {
    // Spreading a string or an array into an object would scatter it into numbered keys.
    return { ok: false, issues: [{ path: 'metadata.extra', message: 'must be an object: the unknown properties are merged into it' }] };
  }
  const event = toEvent(parsed.data, extra, ctx);
  // metadata as stored holds the unknown properties too: bound it again as a whole.
  const merged = boundJson(event.metadata, METADATA_BOUNDS);
  if (!merged.ok) {
    return { ok: false, issues: [{ path: formatPath(['metadata', ...merged.issue.path]), message: `with unknown properties (metadata.extra) ${merged.issue.message}` }] };
  }
  if (jsonBytes(event.metadata) > MAX_JSON_FIELD_BYTES) {
    return { ok: false, issues: [{ path: 'metadata', message: `with unknown properties (metadata.extra) must be at most ${MAX_JSON_FIELD_BYTES} bytes serialized` }] };
  }
  return { ok: true, event };
}

/** Longest reason `describeIssues` returns (it travels in a Kafka header and a log line). */
export const MAX_REASON_CHARS = 1000;

/**
 * Human-readable one-line reason, for DLQ headers and ingest answers: control characters
 * escaped (no terminal escape sequence reaches an operator's screen), at most MAX_REASON_CHARS.
 */
export function describeIssues(issues: FieldIssue[]): string {
  return oneLine(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
}

/** `text` as one safe line: well-formed, control characters as `\uXXXX`, cut to MAX_REASON_CHARS. */
export function oneLine(text: string): string {
  const head = text.length > MAX_REASON_CHARS ? text.slice(0, MAX_REASON_CHARS) : text; // bounded work for huge texts
  const safe = head.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (safe.length <= MAX_REASON_CHARS && head.length === text.length) return wellFormed(safe).text;
  let cut = safe.slice(0, MAX_REASON_CHARS - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${wellFormed(cut).text}…`;
}
