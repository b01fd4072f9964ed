/**
 * Tokens that end, through the real app in workerd: a signed exp far in the future, a string exp,
 * no exp, a lifetime over JWT_MAX_LIFETIME_S, nbf/iat in the future, and iss/aud when configured.
 * Each is a 401 naming the check that failed — never a 500 — on every way a token arrives
 * (header, WebSocket subprotocol, POST /api/session).
 */
import { SELF, createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signJwt, type TokenClaims } from '../../protocol/jwt.ts';
import worker from '../../worker/index.ts';
import { BASE, uid, type ApiErrorBody } from './helpers.ts';

const now = () => Math.floor(Date.now() / 1000);

/** Signs claims as given (hostile values included) with the project's test secret. */
const sign = (claims: Record<string, unknown>, secret = env.JWT_SECRET) =>
  signJwt(claims as unknown as TokenClaims, secret);

/** The three doors a token goes through, each answered by the same verifier. */
async function doors(jwt: string): Promise<Response[]> {
  return [
    await SELF.fetch(`${BASE}/api/events?limit=1`, { headers: { authorization: `Bearer ${jwt}` } }),
    await SELF.fetch(`${BASE}/api/session`, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } }),
    await SELF.fetch(`${BASE}/api/rooms/Port/ws`, {
      headers: { upgrade: 'websocket', 'sec-websocket-protocol': `quaycast.v1, bearer.${jwt}` },
    }),
  ];
}

function envWith(vars: Record<string, string>): Env {
  const out = Object.create(env) as object;
  for (const [k, v] of Object.entries(vars)) Object.defineProperty(out, k, { value: v, enumerable: true });
  return out as Env;
}

async function call(e: Env, jwt: string): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${BASE}/api/events?limit=1`, { headers: { authorization: `Bearer ${jwt}` } }),
    e,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe('security > tokens that end', () => {
  it.each([
    ['exp 1e20', () => ({ exp: 1e20 }), 'lifetime_too_long'],
    ['exp 2^63', () => ({ exp: 2 ** 63 }), 'lifetime_too_long'],
    ['exp 1e308 with iat', () => ({ iat: now(), exp: 1e308 }), 'lifetime_too_long'],
    ['exp as a string', () => ({ exp: String(now() + 60) }), 'missing_exp'],
    ['no exp', () => ({}), 'missing_exp'],
    ['expired two minutes ago', () => ({ iat: now() - 600, exp: now() - 120 }), 'expired'],
    ['25 h from iat', () => ({ iat: now(), exp: now() + 25 * 3600 }), 'lifetime_too_long'],
    ['nbf in an hour', () => ({ nbf: now() + 3600, exp: now() + 7200 }), 'not_yet_valid'],
    ['iat in an hour', () => ({ iat: now() + 3600, exp: now() + 7200 }), 'not_yet_valid'],
  ])(
    '%s: 401 naming the check on the header, the session and the socket subprotocol, never a 500',
    async (_label, times, check) => {
      const jwt = await sign({ sub: uid('tok'), role: 'admin', ...times() });
      for (const res of await doors(jwt)) {
        expect(res.status).toBe(401);
        const body = (await res.json()) as ApiErrorBody;
        expect(body.error.code).toBe('unauthorized');
        expect(body.error.details).toEqual({ check });
        expect(body.error.message).toMatch(/^the token /);
      }
    },
  );

  // Found by reading the code before this branch (not by a fuzzer): verifyJwt accepted any numeric
  // exp, and POST /api/session then computed new Date(exp * 1000).toISOString(), which throws a
  // RangeError for exp = 1e20 — a 500. The lifetime cap refuses such a token before anything else.
  it('regression: POST /api/session with a signed exp of 1e20 is a 401, not a RangeError 500', async () => {
    const res = await SELF.fetch(`${BASE}/api/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await sign({ sub: uid('far'), role: 'viewer', exp: 1e20 })}` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as ApiErrorBody).error.message).toBe(
      'the token lives longer than the 86400 s this API accepts (exp − iat)',
    );
  });

  it('never answers 5xx for any numeric or odd time claims through the HTTP door (fast-check)', async () => {
    const time = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.constantFrom(1e20, 2 ** 63, -1e20, 0),
      fc.jsonValue({ maxDepth: 1 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ exp: time, iat: time, nbf: time }, { requiredKeys: [] }), async (times) => {
        const res = await SELF.fetch(`${BASE}/api/session`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await sign({ sub: uid('odd'), role: 'viewer', ...times })}` },
        });
        expect(res.status === 200 || res.status === 401, `status ${res.status}`).toBe(true);
        await res.body?.cancel();
      }),
      { numRuns: 60 },
    );
  });

  it('honours a smaller JWT_MAX_LIFETIME_S', async () => {
    const twoHours = await sign({ sub: uid('life'), role: 'viewer', iat: now(), exp: now() + 7200 });
    expect((await call(envWith({ JWT_MAX_LIFETIME_S: '3600' }), twoHours)).status).toBe(401);
    expect((await call(envWith({ JWT_MAX_LIFETIME_S: '10800' }), twoHours)).status).toBe(200);
  });

  it('checks iss and aud only when JWT_ISSUER / JWT_AUDIENCE are configured', async () => {
    const base = { sub: uid('idp'), role: 'viewer', iat: now(), exp: now() + 600 };
    const right = await sign({ ...base, iss: 'https://idp.port.example', aud: 'quaycast' });
    const wrongIss = await sign({ ...base, iss: 'https://evil.example', aud: 'quaycast' });
    const noAud = await sign({ ...base, iss: 'https://idp.port.example' });
    const strict = envWith({ JWT_ISSUER: 'https://idp.port.example', JWT_AUDIENCE: 'quaycast' });
    expect((await call(strict, right)).status).toBe(200);
    const a = await call(strict, wrongIss);
    expect(a.status).toBe(401);
    expect(((await a.json()) as ApiErrorBody).error.details).toEqual({ check: 'bad_issuer' });
    const b = await call(strict, noAud);
    expect(b.status).toBe(401);
    expect(((await b.json()) as ApiErrorBody).error.details).toEqual({ check: 'bad_audience' });
    // Not configured (the project's bindings): iss and aud are not looked at.
    expect(
      (await SELF.fetch(`${BASE}/api/events?limit=1`, { headers: { authorization: `Bearer ${wrongIss}` } })).status,
    ).toBe(200);
  });

  it('the bridge’s service token opens no people’s route, and a people token no /internal route', async () => {
    for (const path of ['/api/events?limit=1', '/api/stats', '/api/rooms/Port/sse']) {
      const res = await SELF.fetch(`${BASE}${path}`, { headers: { authorization: `Bearer ${env.INGEST_TOKEN}` } });
      expect(res.status, path).toBe(401);
    }
    const admin = await sign({ sub: uid('adm'), role: 'admin', iat: now(), exp: now() + 600 });
    expect(
      (await SELF.fetch(`${BASE}/internal/outbox`, { headers: { authorization: `Bearer ${admin}` } })).status,
    ).toBe(401);
  });
});
