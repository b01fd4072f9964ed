import fc from 'fast-check';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppEnv } from '../../types.ts';
import { requestContext } from './index.ts';

const env = { LOG_LEVEL: 'info', ENVIRONMENT: 'development' } as unknown as Env;

function appWithContext(options?: Parameters<typeof requestContext>[0]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requestContext(options));
  app.get('/events/:id', (c) => {
    c.set('logFields', { eventId: c.req.param('id') });
    return c.json({ requestId: c.get('requestId') });
  });
  return app;
}

/** The request log lines written while `run` runs (worker/log.ts writes info lines with console.log). */
async function requestLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
}

afterEach(() => vi.restoreAllMocks());

describe('worker > middleware > request-context', () => {
  it('keeps a plain caller id, answers it, and logs one line with the route and the handler’s fields', async () => {
    const app = appWithContext();
    let res!: Response;
    const lines = await requestLines(async () => {
      res = await app.request('/events/e1', { headers: { 'x-request-id': 'trace-1.a_b' } }, env);
    });
    expect(res.headers.get('x-request-id')).toBe('trace-1.a_b');
    expect(await res.json()).toEqual({ requestId: 'trace-1.a_b' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestId: 'trace-1.a_b',
      method: 'GET',
      route: '/events/:id',
      path: '/events/e1',
      status: 200,
      eventId: 'e1',
    });
  });

  it('replaces any caller id that is not 1–64 of [A-Za-z0-9_.-] (it could forge log lines) with a new one', async () => {
    const app = appWithContext({ newId: () => 'fresh' });
    const quiet = { ...env, LOG_LEVEL: 'warn' } as unknown as Env;
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 100 }), async (given) => {
        const res = await Promise.resolve()
          .then(() => app.request('/events/x', { headers: { 'x-request-id': given } }, quiet))
          .catch(() => undefined);
        if (!res) return; // a header value fetch itself refuses (e.g. a newline) never reaches the middleware
        const sent = given.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, ''); // what Headers keeps of it
        expect(res.headers.get('x-request-id')).toBe(/^[\w.-]{1,64}$/.test(sent) ? sent : 'fresh');
      }),
      { numRuns: 200 },
    );
  });

  it('gives a request without an id a new one per request', async () => {
    const app = appWithContext();
    const [a, b] = await Promise.all([app.request('/events/x', {}, env), app.request('/events/x', {}, env)]);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });
});
