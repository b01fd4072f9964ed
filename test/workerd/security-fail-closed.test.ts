/**
 * Fail closed (contract 2): the real app in workerd, called with the bindings a production
 * deploy would have — ENVIRONMENT=production (or staging, or missing) with a published dev secret
 * or a short one. Every authenticated route answers 503 insecure_configuration, /healthz answers
 * 503 with the problem, one error line per problem per isolate names it, and the secret never
 * appears anywhere. Each test builds its own env object (the Worker reads its config once per
 * env object), so the project's own development bindings stay untouched for the other files.
 */
import { SELF, createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signJwt } from '../../protocol/jwt.ts';
import worker from '../../worker/index.ts';
import { DEV_VARS_EXAMPLE } from '../../worker/secret-policy.ts';
import { BASE, uid, type ApiErrorBody } from './helpers.ts';

const STRONG_JWT = 'j'.repeat(24) + crypto.randomUUID(); // 60 bytes
const STRONG_INGEST = 'i'.repeat(24) + crypto.randomUUID();

/**
 * The project's bindings with these vars over them (a new object: its own cached config).
 * defineProperty, not assignment: assigning through a prototype that is a Proxy (the test env)
 * would write to the shared env itself.
 */
function envWith(vars: Record<string, string | undefined>): Env {
  const out = Object.create(env) as object;
  for (const [k, v] of Object.entries(vars)) Object.defineProperty(out, k, { value: v, enumerable: true });
  return out as Env;
}

async function call(e: Env, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function bearer(secret: string, role: 'viewer' | 'admin' = 'admin'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return `Bearer ${await signJwt({ sub: uid('fc'), role, iat: now, exp: now + 600 }, secret)}`;
}

/** Every route that authenticates, people's and the bridge's, with a credential that would pass. */
async function authenticatedRequests(secret: string, ingest: string): Promise<[string, RequestInit][]> {
  const people = await bearer(secret);
  const json = { authorization: people, 'content-type': 'application/json' };
  return [
    ['/api/events?limit=1', { headers: { authorization: people } }],
    ['/api/events', { method: 'POST', headers: json, body: JSON.stringify({ eventType: 'X', title: 'x' }) }],
    ['/api/events/export.csv', { headers: { authorization: people } }],
    ['/api/events/some-id', { headers: { authorization: people } }],
    ['/api/events/some-id/history', { headers: { authorization: people } }],
    ['/api/events/some-id', { method: 'PATCH', headers: json, body: JSON.stringify({ action: 'acknowledge' }) }],
    ['/api/events/some-id', { method: 'DELETE', headers: { authorization: people } }],
    ['/api/stats', { headers: { authorization: people } }],
    ['/api/session', { method: 'POST', headers: { authorization: people } }],
    ['/api/session', { method: 'DELETE' }],
    ['/api/rooms/Port/sse', { headers: { authorization: people } }],
    ['/api/rooms/Port/ws', { headers: { authorization: people, upgrade: 'websocket' } }],
    ['/api/rooms/Port/drain', { method: 'POST', headers: { authorization: people } }],
    [
      '/internal/ingest',
      {
        method: 'POST',
        headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' },
        body: '{"records":[]}',
      },
    ],
    ['/internal/outbox', { headers: { authorization: `Bearer ${ingest}` } }],
    [
      '/internal/outbox/ack',
      {
        method: 'POST',
        headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' },
        body: '{"ids":[]}',
      },
    ],
    [
      '/internal/bridge/status',
      {
        method: 'POST',
        headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' },
        body: '{}',
      },
    ],
  ];
}

afterEach(() => vi.restoreAllMocks());

describe('security > fail closed outside development', () => {
  it.each([
    [
      'production',
      'the published JWT_SECRET',
      { ENVIRONMENT: 'production', JWT_SECRET: DEV_VARS_EXAMPLE.JWT_SECRET, INGEST_TOKEN: STRONG_INGEST },
      'JWT_SECRET is a published development value',
    ],
    [
      'production',
      'the published INGEST_TOKEN',
      { ENVIRONMENT: 'production', JWT_SECRET: STRONG_JWT, INGEST_TOKEN: DEV_VARS_EXAMPLE.INGEST_TOKEN },
      'INGEST_TOKEN is a published development value',
    ],
    [
      'staging',
      'a 31-byte JWT_SECRET',
      { ENVIRONMENT: 'staging', JWT_SECRET: 's'.repeat(31), INGEST_TOKEN: STRONG_INGEST },
      'JWT_SECRET is 31 bytes long',
    ],
    [
      '(missing = production)',
      'the whole .dev.vars.example',
      { ENVIRONMENT: undefined, ...DEV_VARS_EXAMPLE },
      'JWT_SECRET is a published development value',
    ],
    [
      '"Production" (unknown = production)',
      'a short INGEST_TOKEN',
      { ENVIRONMENT: 'Production', JWT_SECRET: STRONG_JWT, INGEST_TOKEN: 'short' },
      'INGEST_TOKEN is 5 bytes long',
    ],
    [
      'production',
      'a short JWT_SECRET_PREVIOUS',
      { ENVIRONMENT: 'production', JWT_SECRET: STRONG_JWT, INGEST_TOKEN: STRONG_INGEST, JWT_SECRET_PREVIOUS: 'old' },
      'JWT_SECRET_PREVIOUS is 3 bytes long',
    ],
  ])(
    'ENVIRONMENT %s with %s: every authenticated route is 503 insecure_configuration, /healthz 503 naming it',
    async (_envName, _what, vars, problem) => {
      const e = envWith(vars);
      const secrets = Object.entries(vars)
        .filter(([k]) => k !== 'ENVIRONMENT')
        .map(([, v]) => v!)
        .filter(Boolean);
      const jwtSecret = vars.JWT_SECRET ?? STRONG_JWT;
      for (const [path, init] of await authenticatedRequests(jwtSecret, vars.INGEST_TOKEN ?? STRONG_INGEST)) {
        const res = await call(e, path, init);
        const text = await res.text();
        expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(503);
        const body = JSON.parse(text) as ApiErrorBody;
        expect(body.error.code).toBe('insecure_configuration');
        expect(body.error.message).toContain(problem);
        for (const s of secrets) expect(text, 'the answer quotes a secret').not.toContain(s);
      }
      const health = await call(e, '/healthz');
      expect(health.status).toBe(503);
      const h = (await health.json()) as { ok: boolean; problem: string };
      expect(h.ok).toBe(false);
      expect(h.problem).toContain(problem);
      // Unauthenticated routes still answer: the OpenAPI document is public.
      expect((await call(e, '/api/openapi.json')).status).toBe(200);
    },
  );

  it('logs one error line per problem per isolate, naming the variable and never the secret', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
    const marker = `m${crypto.randomUUID().replace(/-/g, '')}`; // 33 bytes: long enough, but reused below as a PREVIOUS that is too short
    const vars = {
      ENVIRONMENT: 'production',
      JWT_SECRET: DEV_VARS_EXAMPLE.JWT_SECRET,
      INGEST_TOKEN: STRONG_INGEST,
      INGEST_TOKEN_PREVIOUS: marker.slice(0, 20),
    };
    const e = envWith(vars);
    for (let i = 0; i < 5; i++)
      expect((await call(e, '/api/stats', { headers: { authorization: await bearer(vars.JWT_SECRET) } })).status).toBe(
        503,
      );
    expect((await call(e, '/healthz')).status).toBe(503);
    // A second env object with the same problem (another request's bindings in the same isolate): still one line.
    expect(
      (await call(envWith(vars), '/api/events', { headers: { authorization: await bearer(vars.JWT_SECRET) } })).status,
    ).toBe(503);
    const insecure = lines.filter((l) => l.includes('insecure configuration'));
    expect(insecure).toHaveLength(1);
    const entry = JSON.parse(insecure[0]!) as { level: string; problem: string };
    expect(entry.level).toBe('error');
    expect(entry.problem).toContain('JWT_SECRET is a published development value');
    expect(entry.problem).toContain('INGEST_TOKEN_PREVIOUS is 20 bytes long');
    for (const l of lines) {
      expect(l).not.toContain(DEV_VARS_EXAMPLE.JWT_SECRET);
      expect(l).not.toContain(marker.slice(0, 20));
      expect(l).not.toContain(STRONG_INGEST);
    }
  });

  it('authenticates normally in production with strong secrets, and the previous ones during a rotation', async () => {
    const previous = 'p'.repeat(40);
    const e = envWith({
      ENVIRONMENT: 'production',
      JWT_SECRET: STRONG_JWT,
      INGEST_TOKEN: STRONG_INGEST,
      JWT_SECRET_PREVIOUS: previous,
      INGEST_TOKEN_PREVIOUS: `${previous}-ingest`,
    });
    const health = await call(e, '/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, environment: 'production', db: 'ok' });
    expect(
      (await call(e, '/api/events?limit=1', { headers: { authorization: await bearer(STRONG_JWT, 'viewer') } })).status,
    ).toBe(200);
    expect(
      (await call(e, '/api/events?limit=1', { headers: { authorization: await bearer(previous, 'viewer') } })).status,
    ).toBe(200);
    expect(
      (
        await call(e, '/api/events?limit=1', {
          headers: { authorization: await bearer(DEV_VARS_EXAMPLE.JWT_SECRET, 'viewer') },
        })
      ).status,
    ).toBe(401);
    for (const ingest of [STRONG_INGEST, `${previous}-ingest`]) {
      const res = await call(e, '/internal/outbox', { headers: { authorization: `Bearer ${ingest}` } });
      expect(res.status).toBe(200);
    }
    expect(
      (await call(e, '/internal/outbox', { headers: { authorization: `Bearer ${DEV_VARS_EXAMPLE.INGEST_TOKEN}` } }))
        .status,
    ).toBe(401);
  });

  it('accepts the short test secrets in development (the project’s own bindings), and says so in /healthz', async () => {
    expect(env.ENVIRONMENT).toBe('development');
    const health = await SELF.fetch(`${BASE}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, environment: 'development' });
  });

  it('answers 503, not 500, in development too when a secret is missing altogether', async () => {
    const e = envWith({ JWT_SECRET: undefined });
    const res = await call(e, '/api/events?limit=1', { headers: { authorization: await bearer('whatever-secret') } });
    expect(res.status).toBe(503);
    expect(((await res.json()) as ApiErrorBody).error.message).toContain('JWT_SECRET is not set');
  });
});
