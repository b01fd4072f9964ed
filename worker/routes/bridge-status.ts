/** POST /internal/bridge/status: a bridge's liveness report (protocol/bridge-status.ts), kept for GET /api/stats. */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { BridgeStatusSchema } from '../../protocol/schemas/bridge-status.ts';
import { requireServiceToken } from '../auth.ts';
import { saveBridgeStatus } from '../db/bridge-status.ts';
import { createDb } from '../db/client.ts';
import type { AppEnv } from '../types.ts';
import { ErrorSchema } from './schemas.ts';

export const bridgeStatus = new OpenAPIHono<AppEnv>();

bridgeStatus.openapi(
  createRoute({
    method: 'post',
    path: '/internal/bridge/status',
    summary: "A bridge's liveness report",
    description:
      'Each bridge process reports every `intervalMs` and at once when a partition becomes stalled or recovers. The Worker keeps the latest report per bridge ' +
      '(an hour at most, 64 bridges at most) and derives `pipeline` in `GET /api/stats` from them.',
    security: [{ serviceToken: [] }],
    middleware: [requireServiceToken()],
    request: { body: { required: true, content: { 'application/json': { schema: BridgeStatusSchema } } } },
    responses: {
      204: { description: 'Stored' },
      400: { description: 'Not a valid report (the API error shape, naming each bad field)', content: { 'application/json': { schema: ErrorSchema } } },
      401: { description: 'Missing or wrong service token', content: { 'application/json': { schema: ErrorSchema } } },
      415: { description: 'Not application/json', content: { 'application/json': { schema: ErrorSchema } } },
    },
  }),
  async (c) => {
    const report = c.req.valid('json');
    await saveBridgeStatus(createDb(c.env.DB), report, Date.now());
    c.set('logFields', {
      bridgeId: report.bridgeId,
      bridgeState: report.state,
      partitions: report.partitions.length,
      stalledPartitions: report.partitions.filter((p) => p.stalledSince !== undefined).length,
    });
    return c.body(null, 204);
  },
);
