import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { IngestBatchSchema } from '../../protocol/schemas/ingest.ts';
import { requireServiceToken } from '../auth.ts';
import { ingestRecords } from '../ingest.ts';
import type { AppEnv } from '../types.ts';
import { ErrorSchema } from './schemas.ts';

const IngestResultSchema = z.union([
  z.object({ status: z.literal('stored'), id: z.string(), seq: z.number().int(), category: z.string() }),
  z.object({ status: z.literal('duplicate'), id: z.string(), category: z.string() }),
  z.object({ status: z.literal('rejected'), reason: z.string() }),
]);

export const ingest = new OpenAPIHono<AppEnv>();

ingest.use('/internal/*', requireServiceToken());

ingest.openapi(
  createRoute({
    method: 'post',
    path: '/internal/ingest',
    summary: 'A batch of Kafka records from the bridge',
    description:
      'Answers one result per record, in order: stored (with its seq), duplicate (id seen before) or rejected (with the reason; the bridge dead-letters it). ' +
      'Each record is judged alone: nothing a record contains makes the batch fail.',
    security: [{ serviceToken: [] }],
    request: { body: { required: true, content: { 'application/json': { schema: IngestBatchSchema } } } },
    responses: {
      200: { description: 'Per-record results', content: { 'application/json': { schema: z.object({ results: z.array(IngestResultSchema) }) } } },
      400: { description: 'The batch itself is malformed', content: { 'application/json': { schema: ErrorSchema } } },
      401: { description: 'Missing or wrong service token', content: { 'application/json': { schema: ErrorSchema } } },
      503: { description: 'A room could not store (`room_unavailable`, `details.rooms`, `Retry-After: 1`): the other rooms stored theirs; retry the batch', content: { 'application/json': { schema: ErrorSchema } } },
    },
  }),
  async (c) => {
    const { records } = c.req.valid('json');
    const results = await ingestRecords(c.env, records);
    const counts = { stored: 0, duplicate: 0, rejected: 0 };
    const rooms: Record<string, number> = {};
    for (const r of results) {
      counts[r.status]++;
      if (r.status !== 'rejected') rooms[r.category] = (rooms[r.category] ?? 0) + 1;
    }
    // Sizes and Kafka coordinates, never values: enough to find a batch in `wrangler tail` and the topic.
    const partitions = [...new Set(records.map((r) => `${r.topic}:${r.partition}`))];
    c.set('logFields', {
      records: records.length,
      ...counts,
      valueChars: records.reduce((n, r) => n + r.value.length, 0),
      rooms,
      partitions: partitions.slice(0, 8),
      firstOffset: records[0]!.offset,
      lastOffset: records[records.length - 1]!.offset,
    });
    return c.json({ results }, 200);
  },
);
