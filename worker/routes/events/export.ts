/** GET /api/events/export.csv: the list's filters as a CSV download, streamed within the token's budgets. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { csvRow } from '../../csv.ts';
import { createDb } from '../../db/client.ts';
import { exportAllTiers } from '../../archive/list.ts';
import { EXPORT_COLUMNS, planText, type Position } from '../../db/list.ts';
import { exportBudget } from '../../limiter/export-budget.ts';
import { log } from '../../log.ts';
import { requireRole } from '../../middleware/auth/index.ts';
import { chargeSearch } from '../../middleware/rate-limit/index.ts';
import type { AppEnv } from '../../types.ts';
import { PEOPLE, errors } from '../openapi.ts';
import { FilterQuery, toListQuery } from './query.ts';

/** Rows per D1 page of the CSV export. */
const EXPORT_PAGE_ROWS = 1000;

export const exportEvents = new OpenAPIHono<AppEnv>();

exportEvents.openapi(
  createRoute({
    method: 'get',
    path: '/export.csv',
    summary: 'Export events as CSV',
    description:
      'The list filters (and, like the list, the archive beyond the hot window except for `q` and `unread`); the matching events up to `EXPORT_MAX_ROWS` (default 100,000; the `x-export-row-cap` header says it: a file with that many rows was cut there, ' +
      "narrow `from`/`to` for the rest), streamed page by page within the token's `EXPORT_ROWS_PER_MINUTE` budget (over it: 429 before the first byte, a slower stream after it). " +
      'RFC 4180 (CRLF, quoted commas/quotes/newlines), UTF-8, header row; ' +
      'text cells starting with = + - @ tab or CR are prefixed with a single quote against formula injection.',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { query: FilterQuery },
    responses: {
      200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } },
      ...errors({
        400: 'Invalid filter',
        401: 'Missing or invalid token',
        403: 'A category outside the token’s scope',
        429: 'A budget of the token: CSV rows streamed (`export_rows`) or text searches (`search`); `Retry-After`',
      }),
    },
  }),
  async (c) => {
    const input = c.req.valid('query');
    const db = createDb(c.env.DB);
    const archive = (c.env as Partial<Env>).ARCHIVE;
    const query = await planText(db, toListQuery({ ...input, limit: EXPORT_PAGE_ROWS }, c.get('user')));
    await chargeSearch(c, input.q);
    const encoder = new TextEncoder();
    let position: Position | undefined;
    let done = false;
    let rows = 0;
    const requestId = c.get('requestId');
    const budget = exportBudget(c.env, c.get('user').sub);
    await budget.take(Math.min(EXPORT_PAGE_ROWS, budget.cap)); // over the budget: 429 before any byte
    let charged = true;
    // Pull-driven: the next D1 page is read only when the client has taken the previous one.
    const body = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          controller.enqueue(encoder.encode(csvRow(EXPORT_COLUMNS.map(([header]) => header))));
        },
        async pull(controller) {
          if (done) return;
          // Loops until a page gives rows (or the export ends): a page of the archive's merge may be
          // empty with a cursor, and a pull that enqueues nothing is not called again.
          for (;;) {
            const limit = Math.min(EXPORT_PAGE_ROWS, budget.remaining);
            if (!charged) await budget.take(limit); // waits while the token's streaming budget refills
            charged = false;
            const page = await exportAllTiers(db, archive, { ...query, limit, position: position ?? query.position });
            rows += page.rows.length;
            budget.streamed(page.rows.length);
            if (page.rows.length > 0) controller.enqueue(encoder.encode(page.rows.map(csvRow).join('')));
            else charged = true; // nothing streamed: the rows taken for this page pay for the next
            if (page.next && budget.remaining > 0) {
              position = page.next;
              if (page.rows.length > 0) return;
              continue;
            }
            done = true;
            controller.close();
            // The request's own log line is written when the headers go out; this one closes the stream.
            log('info', 'export finished', { requestId, rows, capped: page.next !== undefined && page.next !== null });
            return;
          }
        },
      },
      { highWaterMark: 1 },
    );
    c.set('logFields', { export: true });
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    return c.body(body, 200, {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="quaycast-events-${stamp}.csv"`,
      'cache-control': 'no-store',
      'x-export-row-cap': String(budget.cap),
    });
  },
);
