/** POST /internal/archive: one bounded archive run now (the cron's work), for operators and tests. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { runArchive } from '../../archive/run.ts';
import { FAULT_POINTS, InjectedFault } from '../../archive/mover.ts';
import { getConfig } from '../../config.ts';
import { apiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { SERVICE, errors } from '../openapi.ts';

const RunSchema = z
  .object({
    now: z
      .number()
      .int()
      .min(0)
      .max(8.64e15)
      .optional()
      .openapi({ description: 'Development only: the run’s clock, ms since epoch (a simulated day)' }),
    fault: z
      .enum(FAULT_POINTS)
      .optional()
      .openapi({ description: 'Development only: stop the first move at this step, as a kill would' }),
    maxMoves: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();

const ReportSchema = z.object({
  cutoff: z.string(),
  moved: z.number().int(),
  objects: z.number().int(),
  bytes: z.number().int(),
  redone: z.number().int(),
  raced: z.number().int(),
  manifests: z.number().int(),
  expiredObjects: z.number().int(),
  expiredRows: z.number().int(),
  byCategory: z.record(z.string(), z.number().int()),
  more: z.boolean(),
  durationMs: z.number().int(),
});

export const archive = new OpenAPIHono<AppEnv>();

archive.openapi(
  createRoute({
    method: 'post',
    path: '/',
    summary: 'Run the archive move now',
    description:
      'One bounded run of what the cron does with the ARCHIVE bucket bound: changes older than HOT_DAYS move from D1 to R2, objects older than ARCHIVE_RETENTION_DAYS are deleted (docs/archive.md). ' +
      '`more: true` says the run stopped at its bound; call again to go on.',
    security: SERVICE,
    request: { body: { required: false, content: { 'application/json': { schema: RunSchema } } } },
    responses: {
      200: { description: 'What the run did', content: { 'application/json': { schema: ReportSchema } } },
      ...errors({
        400: 'Not a valid body, or `now`/`fault` outside development',
        401: 'Missing or wrong service token',
        409: 'No ARCHIVE bucket is bound (the cron runs retention instead)',
        415: 'Not application/json',
        503: 'Development only: the injected fault stopped the run (`archive_fault`)',
      }),
    },
  }),
  async (c) => {
    const body = c.req.valid('json') ?? {};
    const bucket = (c.env as Partial<Env>).ARCHIVE;
    if (!bucket) apiError(409, 'archive_not_bound', 'no ARCHIVE bucket is bound to this Worker');
    const development = getConfig(c.env).environment === 'development';
    if (!development && (body.now !== undefined || body.fault !== undefined))
      apiError(400, 'invalid_request', '`now` and `fault` are for development only');
    try {
      const report = await runArchive(c.env, bucket, {
        now: body.now ?? Date.now(),
        fault: body.fault,
        maxMoves: body.maxMoves,
        trigger: 'api',
      });
      c.set('logFields', { moved: report.moved, objects: report.objects, more: report.more });
      return c.json(report, 200);
    } catch (err) {
      if (err instanceof InjectedFault) apiError(503, 'archive_fault', err.message);
      throw err;
    }
  },
);
