/** POST /internal/ingest: a batch of Kafka records from the bridge, each judged alone. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { IngestBatchSchema } from '../../../protocol/schemas/ingest.ts';
import { ingestRecords } from '../../ingest.ts';
import type { AppEnv } from '../../types.ts';
import { SERVICE, errors } from '../openapi.ts';

const IngestResultSchema = z.union([
  z.object({ status: z.literal('stored'), id: z.string(), seq: z.number().int(), category: z.string() }),
  z.object({ status: z.literal('duplicate'), id: z.string(), category: z.string() }),
  z.object({ status: z.literal('rejected'), reason: z.string() }),
]);

export const ingest = new OpenAPIHono<AppEnv>();

ingest.openapi(
  createRoute({
    method: 'post',
    path: '/',
    summary: 'A batch of Kafka records from the bridge',
    description:
      'Answers one result per record, in order: stored (with its seq), duplicate (id seen before) or rejected (with the reason; the bridge dead-letters it). ' +
      'Each record is judged alone: nothing a record contains makes the batch fail. ' +
      "An empty batch is the bridge's probe of the ingest path: answered `{ results: [] }`, nothing stored.",
    security: SERVICE,
    request: { body: { required: true, content: { 'application/json': { schema: IngestBatchSchema } } } },
    responses: {
      200: {
        description: 'Per-record results',
        content: { 'application/json': { schema: z.object({ results: z.array(IngestResultSchema) }) } },
      },
      ...errors({
        400: 'The batch itself is malformed',
        401: 'Missing or wrong service token',
        503: 'A room could not store (`room_unavailable`, `details.rooms`, `Retry-After: 1`): the other rooms stored theirs; retry the batch',
      }),
    },
  }),
  async (c) => {
    const { records } = c.req.valid('json');
    if (records.length === 0) {
      // The bridge's probe: the ingest path answers (auth, parsing, this handler), nothing is done.
      c.set('logFields', { records: 0, probe: true });
      return c.json({ results: [] }, 200);
    }
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
