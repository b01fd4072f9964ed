import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, api, apiAs, postEvents, token, uid, type ApiErrorBody } from './helpers.ts';
import { getConfig } from '../../worker/config.ts';
import { rateLimiterStub } from '../../worker/limiter/stub.ts';
import { env } from 'cloudflare:test';

describe('api > guards', () => {
  it('answers a CORS preflight from an allowed origin, and refuses others', async () => {
    const preflight = (origin: string) =>
      SELF.fetch(`${BASE}/api/events`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
    const allowed = await preflight('http://127.0.0.1:5173');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await api('/api/events?limit=1', { role: 'viewer', headers: { origin: 'https://evil.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await api('/api/events', {
      method: 'POST',
      role: 'producer',
      body: JSON.stringify({ eventType: 'X', title: 'x', description: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ApiErrorBody).error.code).toBe('payload_too_large');
  });

  it('limits writes per token sub with 429 and Retry-After, without touching other tokens', async () => {
    const sub = uid('hasty');
    // Drain this sub's bucket through the real Durable Object, then write over HTTP.
    const budget = getConfig(env).writeRatePerMinute;
    const drained = await rateLimiterStub(env, sub).take(budget, budget);
    expect(drained.ok).toBe(true);
    // 100 events cost 100 writes: a second of refill (WRITE_RATE_PER_MINUTE / 60 a second) between
    // the drain and the POST, as on a loaded machine, must not let one event's cost through.
    const hundred = Array.from({ length: 100 }, (_, i) => ({ eventType: 'X', title: `x${i}` }));
    const res = await apiAs('producer', sub, '/api/events', { method: 'POST', body: JSON.stringify(hundred) });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as ApiErrorBody).error.code).toBe('rate_limited');
    // reads are not limited; another token is not affected
    expect((await apiAs('viewer', sub, '/api/events?limit=1')).status).toBe(200);
    expect(
      (
        await apiAs('producer', uid('calm'), '/api/events', {
          method: 'POST',
          body: JSON.stringify({ eventType: 'X', title: 'x' }),
        })
      ).status,
    ).toBe(201);
  });

  it('refills the bucket over time (token bucket)', async () => {
    const stub = rateLimiterStub(env, uid('bucket'));
    const t0 = 1_000_000;
    expect(await stub.take(60, 60, t0)).toEqual({ ok: true, remaining: 0 });
    expect(await stub.take(60, 1, t0 + 500)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect((await stub.take(60, 1, t0 + 1000)).ok).toBe(true);
    expect(await stub.take(60, 5, t0 + 1000)).toEqual({ ok: false, retryAfterSeconds: 5 });
  });

  it('answers 405 with Allow for a known path and a wrong method, JSON 404 for unknown paths', async () => {
    const put = await api('/api/events', { method: 'PUT', role: 'admin', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toContain('GET');
    expect(put.headers.get('allow')).toContain('POST');
    expect(((await put.json()) as ApiErrorBody).error.code).toBe('method_not_allowed');
    const post = await api('/api/stats', { method: 'POST', role: 'admin' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const unknown = await api('/api/nothing-here', { role: 'admin' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ApiErrorBody).error.code).toBe('not_found');
  });

  it('sets security headers and the request id on every response, success or error', async () => {
    for (const res of [
      await api('/healthz'),
      await api('/api/events'),
      await api('/api/nope'),
      await api('/api/stats', { method: 'DELETE' }),
    ]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('strict-transport-security')).toContain('max-age');
      expect(res.headers.get('x-request-id')).toMatch(/^[\w.-]+$/);
    }
    const echoed = await api('/api/events?limit=1', { role: 'viewer', headers: { 'x-request-id': 'trace-abc.1' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-abc.1');
    const bogus = await api('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(bogus.headers.get('x-request-id')).not.toBe('bad id with spaces');
  });

  it('never leaks stacks or SQL in errors', async () => {
    const res = await api(
      `/api/events?q=${encodeURIComponent('" OR 1=1; DROP TABLE events; --')}&cursor=${encodeURIComponent("'; SELECT")}`,
      { role: 'viewer' },
    );
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).not.toMatch(/SELECT|sqlite|at .*\.ts:\d+/i);
    const q = await api(`/api/events?q=${encodeURIComponent('"unbalanced * NEAR( AND')}`, { role: 'viewer' });
    expect(q.status).toBe(200);
  });

  it('keeps concurrent workflow changes consistent (conflicts retried)', async () => {
    const id = uid('race');
    await postEvents({ id, eventType: 'T', title: 't', category: 'System' });
    const results = await Promise.all(
      ['a', 'b', 'c'].map((who) =>
        api(`/api/events/${id}`, {
          method: 'PATCH',
          role: 'operator',
          body: JSON.stringify({ action: 'assign', assignee: who }),
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const seqs = await Promise.all(results.map(async (r) => ((await r.json()) as { seq: number }).seq));
    expect(new Set(seqs).size).toBe(3);
    const history = (await (await api(`/api/events/${id}/history`, { role: 'viewer' })).json()) as {
      data: { seq: number }[];
    };
    expect(history.data.map((h) => h.seq).sort()).toEqual([...seqs].sort());
  });
});

describe('api > /api/session', () => {
  it('omits Secure on plain-http loopback, refuses a session without a bearer header, and clears the cookie on DELETE', async () => {
    const local = await SELF.fetch('http://127.0.0.1:8787/api/session', {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('viewer')}` },
    });
    expect(local.status).toBe(200);
    expect(local.headers.get('set-cookie')).toMatch(/^qc_session=[\w-]{43}; /);
    expect(local.headers.get('set-cookie')).not.toContain('Secure');
    const cookieOnly = await SELF.fetch(`${BASE}/api/session`, {
      method: 'POST',
      headers: { cookie: local.headers.get('set-cookie')!.split(';')[0]! },
    });
    expect(cookieOnly.status).toBe(401);
    expect((await SELF.fetch(`${BASE}/api/session`, { method: 'POST' })).status).toBe(401);
    const out = await SELF.fetch(`${BASE}/api/session`, { method: 'DELETE' });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^qc_session=; .*Max-Age=0/);
  });
});

describe('api > GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document covering every route, with the security schemes', async () => {
    const res = await api('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /api/openapi.json',
        'POST /api/events',
        'GET /api/events',
        'GET /api/events/export.csv',
        'GET /api/events/{id}',
        'GET /api/events/{id}/history',
        'PATCH /api/events/{id}',
        'DELETE /api/events/{id}',
        'GET /api/stats',
        'POST /api/session',
        'DELETE /api/session',
        'GET /api/rooms/{category}/ws',
        'POST /internal/ingest',
      ]),
    );
    expect(Object.keys(doc.components.securitySchemes)).toEqual(
      expect.arrayContaining(['bearer', 'serviceToken', 'cookie']),
    );
    expect(doc.components.schemas).toHaveProperty('EventInput');
  });
});
