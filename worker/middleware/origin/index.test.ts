import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { answerError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { allowedOrigin, apiCors } from './index.ts';

const LISTED = 'https://dash.example';
const env = {
  ENVIRONMENT: 'development',
  CORS_ORIGINS: `${LISTED}, https://other.example`,
  LOG_LEVEL: 'error',
  JWT_SECRET: 'origin-test-jwt-secret-0123456789abcdef',
  INGEST_TOKEN: 'origin-test-ingest-token-0123456789abcdef',
} as unknown as Env;

function roomsApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/rooms/*', allowedOrigin());
  app.get('/rooms/Port/ws', (c) => c.text('opened'));
  app.onError(answerError);
  return app;
}

describe('worker > middleware > origin > allowedOrigin', () => {
  it('lets no Origin, this host and a listed origin through', async () => {
    const app = roomsApp();
    for (const headers of [{}, { origin: 'http://localhost' }, { origin: LISTED }] as Record<string, string>[]) {
      const res = await app.request('http://localhost/rooms/Port/ws', { headers }, env);
      expect(res.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('refuses every other origin with 403 forbidden_origin before the route runs', async () => {
    const app = roomsApp();
    await fc.assert(
      fc.asyncProperty(
        fc.webUrl({ withQueryParameters: false, withFragments: false }).map((u) => new URL(u).origin),
        async (origin) => {
          fc.pre(origin !== LISTED && origin !== 'https://other.example' && origin !== 'http://localhost');
          const res = await app.request('http://localhost/rooms/Port/ws', { headers: { origin } }, env);
          expect(res.status).toBe(403);
          expect(await res.json()).toMatchObject({ error: { code: 'forbidden_origin' } });
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('worker > middleware > origin > apiCors', () => {
  it('answers a listed origin’s preflight with credentials and the max age, and no other origin', async () => {
    const app = new Hono<AppEnv>();
    app.use('/api/*', apiCors({ maxAgeSeconds: 60 }));
    app.get('/api/events', (c) => c.json([]));
    const preflight = (origin: string) =>
      app.request(
        'http://localhost/api/events',
        { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } },
        env,
      );
    const listed = await preflight(LISTED);
    expect(listed.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(listed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(listed.headers.get('access-control-max-age')).toBe('60');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
