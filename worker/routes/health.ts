import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from '../types.ts';

const HealthSchema = z.object({ ok: z.literal(true), service: z.string(), time: z.string(), db: z.enum(['ok', 'error']) });

export const health = new OpenAPIHono<AppEnv>();

health.openapi(
  createRoute({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness and D1 reachability',
    responses: { 200: { description: 'The Worker is up', content: { 'application/json': { schema: HealthSchema } } } },
  }),
  async (c) => {
    let db: 'ok' | 'error' = 'ok';
    try {
      await c.env.DB.prepare('SELECT 1').first();
    } catch {
      db = 'error'; // reported in the body; liveness itself stays true
    }
    return c.json({ ok: true as const, service: 'quaycast', time: new Date().toISOString(), db }, 200);
  },
);
