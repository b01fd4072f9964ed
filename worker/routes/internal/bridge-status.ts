/** POST /internal/bridge/status: a bridge's liveness report (protocol/bridge-status.ts), kept for GET /api/stats. */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { BridgeStatusSchema } from '../../../protocol/schemas/bridge-status.ts';
import { saveBridgeStatus } from '../../db/bridge-status.ts';
import { createDb } from '../../db/client.ts';
import type { AppEnv } from '../../types.ts';
import { SERVICE, errors } from '../openapi.ts';

export const bridgeStatus = new OpenAPIHono<AppEnv>();

bridgeStatus.openapi(
  createRoute({
    method: 'post',
    path: '/',
    summary: "A bridge's liveness report",
    description:
      'Each bridge process reports every `intervalMs` and at once when a partition becomes stalled or recovers. The Worker keeps the latest report per bridge ' +
      '(an hour at most, 64 bridges at most) and derives `pipeline` in `GET /api/stats` from them.',
    security: SERVICE,
    request: { body: { required: true, content: { 'application/json': { schema: BridgeStatusSchema } } } },
    responses: {
      204: { description: 'Stored' },
      ...errors({
        400: 'Not a valid report (the API error shape, naming each bad field)',
        401: 'Missing or wrong service token',
        415: 'Not application/json',
      }),
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
