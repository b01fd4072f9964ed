/**
 * `GET /v2/events` (DCSA TNT 2.2 "Find events"; docs/dcsa.md): the kept DCSA originals of the
 * events in D1, in arrival order, filtered the standard's way, paged with an opaque cursor and the
 * standard's paging headers (Current-Page, Next-Page, Prev-Page, First-Page, Last-Page). A query
 * parameter this route does not answer is a 400 naming it: ignoring a filter the standard defines
 * would answer the wrong events.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  DCSA_EVENT_TYPES,
  EQUIPMENT_EVENT_TYPE_CODES,
  SHIPMENT_EVENT_TYPE_CODES,
  TRANSPORT_EVENT_TYPE_CODES,
} from '../../../protocol/dcsa.ts';
import { DcsaEventSchema, DcsaEventsQuerySchema } from '../../../protocol/schemas/dcsa.ts';
import { keptDcsaDocument } from '../../../protocol/schemas/dcsa-map.ts';
import { allowedCategories, seesEverything } from '../../../protocol/scope.ts';
import { parseTimestamp } from '../../../protocol/time.ts';
import { type DcsaEventFilter, type DcsaPage, type DcsaPosition, dcsaEventsPage } from '../../db/dcsa-events.ts';
import { apiError, invalidRequest } from '../../errors.ts';
import { requireRole } from '../../middleware/auth/index.ts';
import type { AppEnv } from '../../types.ts';
import { PEOPLE } from '../openapi.ts';
import { type DcsaCursor, decodeDcsaCursor, encodeDcsaCursor, withoutUndefined } from './cursor.ts';
import { apiVersion, errorAnswer, header } from './openapi.ts';

export const dcsaEvents = new OpenAPIHono<AppEnv>({ defaultHook: invalidRequest });

/** The page size when neither the query nor the cursor names one (DCSA_DOMAIN 1.0.3 `limit` default). */
export const DEFAULT_LIMIT = 100;

/** The query parameters this route answers. */
const KNOWN = new Set(Object.keys(DcsaEventsQuerySchema.shape));
/** The ones a request with a `cursor` may still carry (the cursor holds every filter). */
const WITH_CURSOR = new Set(['cursor', 'limit']);
/** Parameters of the standard's `GET /v2/events` that Quaycast does not answer (docs/dcsa.md). */
export const UNSUPPORTED_PARAMETERS = [
  'documentTypeCode',
  'carrierBookingReference',
  'bookingReference',
  'transportDocumentID',
  'transportDocumentReference',
  'transportDocumentTypeCode',
  'scheduleID',
  'transportCallID',
  'carrierVoyageNumber',
  'exportVoyageNumber',
  'carrierServiceCode',
  'sort',
] as const;
const UNSUPPORTED = new Set<string>(UNSUPPORTED_PARAMETERS);

/** 400 naming each parameter the route does not answer (before validation: a typo must not pass as "no filter"). */
const refuseUnknownParameters: MiddlewareHandler<AppEnv> = async (c, next) => {
  const names = [...new Set(new URL(c.req.url).searchParams.keys())];
  const issues = names
    .filter((n) => !KNOWN.has(n))
    .slice(0, 10)
    .map((n) => ({
      path: n.slice(0, 60),
      message: UNSUPPORTED.has(n)
        ? 'is a TNT 2.2 filter Quaycast does not answer (docs/dcsa.md)'
        : 'is not a query parameter of GET /v2/events',
    }));
  if (issues.length > 0)
    apiError(
      400,
      'invalid_request',
      `${issues.length} unknown query parameter${issues.length === 1 ? '' : 's'}`,
      issues,
    );
  await next();
};

const shape = DcsaEventsQuerySchema.shape;
const list = (what: string, example: string) => ({
  description: `${what}: a comma-separated list, OR of its values (TNT 2.2, style form, explode false)`,
  example,
});
const created = (op: string) => ({
  description: `eventCreatedDateTime ${op} this date-time (compared as instants, at millisecond precision)`,
  example: '2026-12-02T09:55:00+01:00',
});
/** The query schema with the standard's meaning of each parameter, for the OpenAPI document. */
const QuerySchema = DcsaEventsQuerySchema.extend({
  eventType: shape.eventType.openapi(list('Event types', 'EQUIPMENT,TRANSPORT')),
  shipmentEventTypeCode: shape.shipmentEventTypeCode.openapi(
    list('Shipment event codes (SHIPMENT events only)', 'RECE,DRFT'),
  ),
  transportEventTypeCode: shape.transportEventTypeCode.openapi(
    list('Transport event codes (TRANSPORT events only)', 'ARRI,DEPA'),
  ),
  equipmentEventTypeCode: shape.equipmentEventTypeCode.openapi(
    list('Equipment event codes (EQUIPMENT events only)', 'GTIN,GTOT'),
  ),
  equipmentReference: shape.equipmentReference.openapi({
    description: 'The equipmentReference',
    example: 'MSKU9070323',
  }),
  vesselIMONumber: shape.vesselIMONumber.openapi({ description: "The transport call's vessel", example: '9321483' }),
  UNLocationCode: shape.UNLocationCode.openapi({
    description: "The eventLocation's or the transport call's UN/LOCODE",
    example: 'NLRTM',
  }),
  limit: shape.limit.openapi({ description: `Events per page (default ${DEFAULT_LIMIT})`, type: 'integer' }),
  cursor: shape.cursor.openapi({
    description: 'From a paging header; holds the filters and the page size, so it comes alone (or with limit)',
  }),
  'eventCreatedDateTime:gte': shape['eventCreatedDateTime:gte'].openapi(created('≥')),
  'eventCreatedDateTime:gt': shape['eventCreatedDateTime:gt'].openapi(created('>')),
  'eventCreatedDateTime:lte': shape['eventCreatedDateTime:lte'].openapi(created('≤')),
  'eventCreatedDateTime:lt': shape['eventCreatedDateTime:lt'].openapi(created('<')),
  'eventCreatedDateTime:eq': shape['eventCreatedDateTime:eq'].openapi(created('=')),
  eventCreatedDateTime: shape.eventCreatedDateTime.openapi(created('= (the bare name is :eq)')),
});

type QueryInput = z.infer<typeof QuerySchema>;

/** eventCreatedDateTime with its operators as one inclusive range of ms (the bare name is `eq`). */
function createdRange(q: QueryInput): Pick<DcsaEventFilter, 'createdFrom' | 'createdTo'> {
  const ms = (v: string | undefined) => (v === undefined ? undefined : parseTimestamp(v));
  const lows = [ms(q['eventCreatedDateTime:gte']), plus(ms(q['eventCreatedDateTime:gt']), 1)];
  const highs = [ms(q['eventCreatedDateTime:lte']), plus(ms(q['eventCreatedDateTime:lt']), -1)];
  for (const eq of [ms(q['eventCreatedDateTime:eq']), ms(q.eventCreatedDateTime)]) {
    lows.push(eq);
    highs.push(eq);
  }
  const lo = lows.filter((v) => v !== undefined);
  const hi = highs.filter((v) => v !== undefined);
  return {
    createdFrom: lo.length > 0 ? Math.max(...lo) : undefined,
    createdTo: hi.length > 0 ? Math.min(...hi) : undefined,
  };
}

function plus(v: number | undefined, d: number): number | undefined {
  return v === undefined ? undefined : v + d;
}

/** The filters of a query without a cursor (code lists de-duplicated, in the standard's order, as a cursor gives them back). */
function filterOf(q: QueryInput): DcsaEventFilter {
  const inOrder = <T extends string>(all: readonly T[], v: T[] | undefined) =>
    v === undefined ? undefined : all.filter((x) => v.includes(x));
  return withoutUndefined({
    eventTypes: inOrder(DCSA_EVENT_TYPES, q.eventType),
    equipmentCodes: inOrder(EQUIPMENT_EVENT_TYPE_CODES, q.equipmentEventTypeCode),
    transportCodes: inOrder(TRANSPORT_EVENT_TYPE_CODES, q.transportEventTypeCode),
    shipmentCodes: inOrder(SHIPMENT_EVENT_TYPE_CODES, q.shipmentEventTypeCode),
    equipmentReference: q.equipmentReference,
    vesselIMONumber: q.vesselIMONumber,
    unLocationCode: q.UNLocationCode,
    ...createdRange(q),
  });
}

/** The request's cursor: its own, decoded (400 when it is not one, or when filters come beside it), or the first page. */
function requestedCursor(q: QueryInput, names: string[]): DcsaCursor {
  if (q.cursor === undefined) return { filter: filterOf(q), limit: q.limit ?? DEFAULT_LIMIT, position: { after: 0 } };
  const beside = names.filter((n) => !WITH_CURSOR.has(n));
  if (beside.length > 0)
    apiError(
      400,
      'invalid_request',
      'a cursor carries its filters: send it alone (or with limit)',
      beside.map((n) => ({ path: n, message: 'cannot be combined with cursor' })),
    );
  const cursor = decodeDcsaCursor(q.cursor);
  if (!cursor)
    apiError(400, 'invalid_request', '1 invalid field', [
      { path: 'cursor', message: 'is not a cursor of GET /v2/events' },
    ]);
  return q.limit === undefined ? cursor : { ...cursor, limit: q.limit };
}

/** The paging links of a page: each the path with one `cursor`. */
function pagingHeaders(path: string, asked: DcsaCursor, page: DcsaPage): Record<string, string> {
  const link = (position: DcsaPosition) => `${path}?cursor=${encodeDcsaCursor({ ...asked, position })}`;
  const p = asked.position;
  const first = page.rows[0]?.k;
  const last = page.rows.at(-1)?.k;
  const headers: Record<string, string> = {
    'Current-Page': link(p),
    'First-Page': link({ after: 0 }),
    'Last-Page': link({ last: true }),
  };
  if (page.hasAfter) {
    const after = last ?? ('before' in p ? p.before - 1 : 0);
    headers['Next-Page'] = link({ after });
  }
  if (page.hasBefore) {
    const before = first ?? ('after' in p ? p.after + 1 : Number.MAX_SAFE_INTEGER);
    headers['Prev-Page'] = link({ before });
  }
  return headers;
}

dcsaEvents.openapi(
  createRoute({
    method: 'get',
    path: '/',
    summary: 'Find DCSA TNT 2.2 events',
    description:
      'The kept DCSA originals of the events in D1 (archived events are not answered), oldest first in arrival order. ' +
      'Filters combine with AND (contradicting ones answer an empty list); a comma list is an OR of its values; a type-code ' +
      'list also requires its event type. `UNLocationCode` matches the eventLocation or the transport call. ' +
      '`eventCreatedDateTime` takes `:gte` `:gt` `:lte` `:lt` `:eq` (bare = `:eq`), at millisecond precision. ' +
      'A scoped token sees only its categories (EQUIPMENT = Container, TRANSPORT = Ship, SHIPMENT = System). ' +
      'Paging: follow the header links; a `cursor` holds the filters and the page size, so it comes alone (or with `limit`). ' +
      `Not answered, and refused with 400: ${UNSUPPORTED_PARAMETERS.join(', ')}, and any other unknown parameter.`,
    security: PEOPLE,
    middleware: [requireRole('viewer'), refuseUnknownParameters],
    request: { query: QuerySchema },
    responses: {
      200: {
        description: 'The events of the page, in cursor order',
        headers: {
          ...apiVersion,
          'Current-Page': header('A link (path and query) to this page', true),
          'Next-Page': header('A link to the next page; absent on the last page'),
          'Prev-Page': header('A link to the previous page; absent on the first page'),
          'First-Page': header('A link to the first page'),
          'Last-Page': header('A link to the last page: the newest `limit` events'),
        },
        content: { 'application/json': { schema: z.array(DcsaEventSchema.openapi('DcsaEvent')) } },
      },
      400: errorAnswer('An invalid, unknown or unsupported query parameter, or a cursor that is not one'),
      401: errorAnswer('Missing or invalid token'),
      403: errorAnswer('Forbidden'),
    },
  }),
  async (c) => {
    const names = [...new Set(new URL(c.req.url).searchParams.keys())];
    const asked = requestedCursor(c.req.valid('query'), names);
    const claims = c.get('user');
    const scope = seesEverything(claims) ? undefined : allowedCategories(claims);
    const page = await dcsaEventsPage(c.env.DB, { ...asked, ...(scope ? { scope } : {}) });
    for (const [name, value] of Object.entries(pagingHeaders(new URL(c.req.url).pathname, asked, page)))
      c.header(name, value);
    const docs = page.rows.flatMap((r) => keptDcsaDocument(JSON.parse(r.doc) as Record<string, unknown>) ?? []);
    return c.json(docs, 200);
  },
);
