/**
 * The opaque `cursor` of `GET /v2/events` (DCSA_DOMAIN 1.0.3 `cursor`; docs/dcsa.md): base64url
 * of a small versioned JSON holding the filters, the page size and the position, so a paging link
 * needs no other parameter. Code lists travel as bit masks over the standard's code lists (short,
 * and de-duplicated by construction). Not signed: it holds nothing a caller could not ask for in
 * the query string, and the token's scope is applied on every request, never read from a cursor.
 * Anything that does not decode to exactly this shape is not a cursor (the route answers 400).
 */
import { z } from 'zod';
import {
  DCSA_EVENT_TYPES,
  EQUIPMENT_EVENT_TYPE_CODES,
  SHIPMENT_EVENT_TYPE_CODES,
  TRANSPORT_EVENT_TYPE_CODES,
  type DcsaEventType,
} from '../../../protocol/dcsa.ts';
import type { DcsaEventFilter, DcsaPosition } from '../../db/dcsa-events.ts';
import * as base64url from 'jose/base64url';

/** What a cursor names: the filters, the page size and where the page is. */
export type DcsaCursor = { filter: DcsaEventFilter; limit: number; position: DcsaPosition };

/** The cursor format's version (`v`); a cursor of another version is refused. */
export const CURSOR_VERSION = 1;
/** The largest page size (the query schema's `limit` maximum). */
export const MAX_LIMIT = 500;

/** The bit mask of `values` over `list` (bit i = list[i]); undefined for no list. */
export function toMask(list: readonly string[], values: readonly string[] | undefined): number | undefined {
  if (values === undefined) return undefined;
  return values.reduce((m, v) => m | (1 << list.indexOf(v)), 0);
}

/** The values of a mask, in the list's order. */
export function fromMask<T extends string>(list: readonly T[], mask: number | undefined): T[] | undefined {
  return mask === undefined ? undefined : list.filter((_, i) => (mask & (1 << i)) !== 0);
}

const mask = (list: readonly string[]) =>
  z
    .number()
    .int()
    .min(1)
    .max(2 ** list.length - 1)
    .optional();
const key = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ms = z.number().int().min(-8.64e15).max(8.64e15).optional();

/** The JSON inside a cursor (short keys: it travels in every paging link). */
const CursorJson = z.strictObject({
  v: z.literal(CURSOR_VERSION),
  n: z.number().int().min(1).max(MAX_LIMIT),
  t: mask(DCSA_EVENT_TYPES),
  e: mask(EQUIPMENT_EVENT_TYPE_CODES),
  p: mask(TRANSPORT_EVENT_TYPE_CODES),
  s: mask(SHIPMENT_EVENT_TYPE_CODES),
  r: z.string().max(15).optional(),
  i: z.string().max(7).optional(),
  u: z.string().max(5).optional(),
  lo: ms,
  hi: ms,
  a: key.optional(),
  b: key.optional(),
  z: z.literal(1).optional(),
});
type CursorJson = z.infer<typeof CursorJson>;

function toBase64Url(text: string): string {
  return base64url.encode(text);
}

function fromBase64Url(text: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64url.decode(text));
  } catch {
    return undefined; // not base64url, or not UTF-8
  }
}

/** The cursor text of a page. */
export function encodeDcsaCursor(c: DcsaCursor): string {
  const f = c.filter;
  const p = c.position;
  const json: CursorJson = {
    v: CURSOR_VERSION,
    n: c.limit,
    t: toMask(DCSA_EVENT_TYPES, f.eventTypes),
    e: toMask(EQUIPMENT_EVENT_TYPE_CODES, f.equipmentCodes),
    p: toMask(TRANSPORT_EVENT_TYPE_CODES, f.transportCodes),
    s: toMask(SHIPMENT_EVENT_TYPE_CODES, f.shipmentCodes),
    r: f.equipmentReference,
    i: f.vesselIMONumber,
    u: f.unLocationCode,
    lo: f.createdFrom,
    hi: f.createdTo,
    ...('after' in p ? { a: p.after } : 'before' in p ? { b: p.before } : { z: 1 as const }),
  };
  return toBase64Url(JSON.stringify(json)); // undefined members drop out
}

/** What a cursor text names, or undefined when it is not a cursor this API issued (garbled, tampered, old). */
export function decodeDcsaCursor(text: string): DcsaCursor | undefined {
  const raw = fromBase64Url(text);
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = CursorJson.safeParse(value);
  if (!parsed.success) return undefined;
  const j = parsed.data;
  const positions = [j.a !== undefined, j.b !== undefined, j.z !== undefined].filter(Boolean).length;
  if (positions !== 1) return undefined;
  const filter: DcsaEventFilter = {
    eventTypes: fromMask<DcsaEventType>(DCSA_EVENT_TYPES, j.t),
    equipmentCodes: fromMask(EQUIPMENT_EVENT_TYPE_CODES, j.e),
    transportCodes: fromMask(TRANSPORT_EVENT_TYPE_CODES, j.p),
    shipmentCodes: fromMask(SHIPMENT_EVENT_TYPE_CODES, j.s),
    equipmentReference: j.r,
    vesselIMONumber: j.i,
    unLocationCode: j.u,
    createdFrom: j.lo,
    createdTo: j.hi,
  };
  const position: DcsaPosition =
    j.a !== undefined ? { after: j.a } : j.b !== undefined ? { before: j.b } : { last: true };
  return { filter: withoutUndefined(filter), limit: j.n, position };
}

/** The filter without its absent members (so decode(encode(x)) deep-equals x). */
export function withoutUndefined(f: DcsaEventFilter): DcsaEventFilter {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as DcsaEventFilter;
}
