import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { getConfig } from '../config.ts';
import { createDb, pingDb } from '../db/client.ts';
import type { AppEnv } from '../types.ts';

const HealthSchema = z.object({
  ok: z.literal(true),
  service: z.string(),
  environment: z.string(),
  time: z.string(),
  db: z.enum(['ok', 'error']),
});
const UnhealthySchema = z.object({
  ok: z.literal(false),
  service: z.string(),
  environment: z.string(),
  problem: z
    .string()
    .openapi({ description: 'Why the Worker refuses to authenticate anyone (names the variable, never its value)' }),
});

export const health = new OpenAPIHono<AppEnv>();

health.openapi(
  createRoute({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness, D1 reachability and a secure configuration',
    responses: {
      200: { description: 'The Worker is up', content: { 'application/json': { schema: HealthSchema } } },
      503: {
        description:
          'Insecure configuration (a short or published secret outside development): nobody can be authenticated',
        content: { 'application/json': { schema: UnhealthySchema } },
      },
    },
  }),
  async (c) => {
    const config = getConfig(c.env);
    // A Worker that can authenticate nobody is not healthy: deploy probes and monitors must see it.
    if (config.insecure)
      return c.json(
        { ok: false as const, service: 'quaycast', environment: config.environment, problem: config.insecure },
        503,
      );
    let db: 'ok' | 'error' = 'ok';
    try {
      await pingDb(createDb(c.env.DB));
    } catch {
      db = 'error'; // reported in the body; liveness itself stays true
    }
    return c.json(
      { ok: true as const, service: 'quaycast', environment: config.environment, time: new Date().toISOString(), db },
      200,
    );
  },
);
