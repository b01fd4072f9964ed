/**
 * Legacy tolerance and normalisation (DESIGN.md, "The event"): how a producer's payload becomes
 * a stored event, or a list of field issues. Validation runs in two steps so that the zod schema
 * stays the documented, canonical shape (and the OpenAPI document generated from it stays honest):
 *   1. `canonicalize` — legacy tolerance: property names in any case, aliases (`eventId`,
 *      `eventTimestamp`), numeric ids, enum spellings (`critical`, `In Progress`), unknown
 *      properties moved to `metadata.extra`.
 *   2. `EventInputSchema` — types, ranges and sizes of the canonical form, then `toEvent`
 *      fills what Quaycast derives (category, defaults, lineage, times).
 * The payload's shape is bounded before either step walks it (event-bounds.ts).
 */
import type { z } from 'zod';
import {
  TOPIC_CATEGORY,
  parseCategory,
  parseSeverity,
  parseStatus,
  type Category,
  type Severity,
  type Status,
} from '../enums.ts';
import { MAX_ID_CHARS, type EventInput, type FieldIssue, type NewEvent, type Origin } from '../event.ts';
import { looksLikeDcsaEvent } from '../dcsa.ts';
import { boundJson, formatPath, setOwn, wellFormed } from '../json-shape.ts';
import { parseTimestamp, toIso } from '../time.ts';
import {
  MAX_CONTAINER_ENTRIES,
  MAX_JSON_FIELD_BYTES,
  MAX_NESTING_DEPTH,
  MAX_STRING_BYTES,
  boundPayload,
  capIssues,
} from './event-bounds.ts';
import { EventInputSchema, jsonBytes } from './event.ts';
import { mapDcsaEvent } from './dcsa-map.ts';

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
  'seq',
  'origin',
  'receivedat',
  'createdat',
  'updatedat',
  'acknowledgedat',
  'acknowledgedby',
  'resolvedat',
  'resolvedby',
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
export function canonicalize(raw: Record<string, unknown>): {
  input: Record<string, unknown>;
  extra: Record<string, unknown>;
} {
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
    else if (field === 'eventTime' && typeof v === 'number')
      v = Number.isFinite(v) && Math.abs(v) <= 8.64e15 ? toIso(v) : v;
    else if (field === 'coordinates') v = canonicalCoordinates(v);
    if (
      v === null &&
      (field === 'category' ||
        field === 'severity' ||
        field === 'priority' ||
        field === 'status' ||
        field === 'eventTime' ||
        field === 'id')
    ) {
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
export function deriveCategory(
  input: Pick<EventInput, 'containerId' | 'shipId' | 'berthId' | 'portId'>,
  topic?: string,
): Category {
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

/** The stored form of a canonical input: defaults, the derived category, lineage and times filled in. */
export function toEvent(input: EventInput, extra: Record<string, unknown>, ctx: IngestContext): NewEvent {
  const received = toIso(ctx.receivedAt);
  const severity: Severity = input.severity ?? input.priority ?? 'Medium';
  const status: Status = input.status ?? 'New';
  const metadata: Record<string, unknown> = { ...(input.metadata ?? {}) };
  // normalizeEvent has checked that a producer's own metadata.extra is an object (or absent) when there are extras.
  if (Object.keys(extra).length > 0) metadata.extra = { ...(metadata.extra as object | null | undefined), ...extra };
  const id = input.id ?? (ctx.kind === 'kafka' ? `kafka:${ctx.topic}:${ctx.partition}:${ctx.offset}` : ctx.newId());
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

/** The stored form of a valid payload (everything but `seq`), or every issue found in one pass. */
export type NormalizeResult = { ok: true; event: NewEvent } | { ok: false; issues: FieldIssue[] };

/** zod's issues as the API reports them (`path: message`). */
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

const METADATA_BOUNDS = {
  maxDepth: MAX_NESTING_DEPTH,
  maxEntries: MAX_CONTAINER_ENTRIES,
  maxStringBytes: MAX_STRING_BYTES,
};

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
  if (looksLikeDcsaEvent(raw)) return normalizeDcsa(raw as Record<string, unknown>, bounded.issues, ctx);
  // The fields within bounds are validated too, so one answer names every bad field.
  const { input, extra } = canonicalize(bounded.payload);
  const parsed = EventInputSchema.safeParse(input);
  if (bounded.issues.length > 0 || !parsed.success) {
    const reported = new Set(bounded.issues.map((i) => i.path.split('.')[0]));
    const more = parsed.success ? [] : issuesOf(parsed.error).filter((i) => !reported.has(i.path.split('.')[0]));
    return { ok: false, issues: capIssues([...bounded.issues, ...more]) };
  }
  const own = parsed.data.metadata?.extra;
  if (
    Object.keys(extra).length > 0 &&
    own !== undefined &&
    own !== null &&
    (typeof own !== 'object' || Array.isArray(own))
  ) {
    // Spreading a string or an array into an object would scatter it into numbered keys.
    return {
      ok: false,
      issues: [{ path: 'metadata.extra', message: 'must be an object: the unknown properties are merged into it' }],
    };
  }
  const event = toEvent(parsed.data, extra, ctx);
  // metadata as stored holds the unknown properties too: bound it again as a whole.
  const merged = boundJson(event.metadata, METADATA_BOUNDS);
  if (!merged.ok) {
    return {
      ok: false,
      issues: [
        {
          path: formatPath(['metadata', ...merged.issue.path]),
          message: `with unknown properties (metadata.extra) ${merged.issue.message}`,
        },
      ],
    };
  }
  if (jsonBytes(event.metadata) > MAX_JSON_FIELD_BYTES) {
    return {
      ok: false,
      issues: [
        {
          path: 'metadata',
          message: `with unknown properties (metadata.extra) must be at most ${MAX_JSON_FIELD_BYTES} bytes serialized`,
        },
      ],
    };
  }
  return { ok: true, event };
}

/** A DCSA TNT document (docs/dcsa.md): validated by the standard's schema, then normalised as its mapped payload. */
function normalizeDcsa(raw: Record<string, unknown>, boundIssues: FieldIssue[], ctx: IngestContext): NormalizeResult {
  if (boundIssues.length > 0) return { ok: false, issues: capIssues(boundIssues) };
  const mapped = mapDcsaEvent(raw);
  if (!mapped.ok) return { ok: false, issues: capIssues(mapped.issues) };
  const parsed = EventInputSchema.safeParse(mapped.input);
  if (!parsed.success) return { ok: false, issues: capIssues(issuesOf(parsed.error)) };
  return { ok: true, event: toEvent(parsed.data, {}, ctx) };
}
