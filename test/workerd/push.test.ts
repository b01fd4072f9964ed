/**
 * /api/push in workerd (docs/push.md): the key route for any role and `enabled: false` without
 * keys; subscriptions validated strictly (400 naming the field), saved per user with the cap (the
 * oldest replaced), deleted by endpoint for their owner only, 503 `push_disabled` without keys;
 * a fast-check hostile-body property: never a 5xx.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../protocol/roles.ts';
import { MAX_SUBSCRIPTIONS_PER_USER } from '../../worker/db/push.ts';
import worker from '../../worker/index.ts';
import { DEV_VAPID_PRIVATE_KEY } from '../../worker/secret-policy.ts';
import { BASE, token, uid } from './helpers.ts';
import { expectNoServerError, plainJson } from './fuzz-support.ts';

/** The bindings with these vars over them (a new object: its own cached config). */
function envWith(vars: Record<string, string | undefined>): Env {
  const out = Object.create(env) as object;
  for (const [k, v] of Object.entries(vars)) Object.defineProperty(out, k, { value: v, enumerable: true });
  return out as Env;
}
const ON = envWith({ VAPID_PRIVATE_KEY: DEV_VAPID_PRIVATE_KEY });
const OFF = envWith({ VAPID_PUBLIC_KEY: undefined, VAPID_PRIVATE_KEY: undefined });
/** Outside development the secrets must be strong (worker/secret-policy.ts). */
const deployed = (environment: string, vars: Record<string, string>) =>
  envWith({ ENVIRONMENT: environment, JWT_SECRET: 'j'.repeat(40), INGEST_TOKEN: 'i'.repeat(40), ...vars });

async function call(e: Env, role: Role | null, sub: string, method: string, path: string, body?: unknown) {
  const headers = new Headers({ 'content-type': 'application/json' });
  if (role) headers.set('authorization', `Bearer ${await token(role, sub, { secret: e.JWT_SECRET })}`);
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${BASE}/api/push${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    }),
    e,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

const b64u = (b: Uint8Array) =>
  btoa(String.fromCharCode(...b))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** A subscription as a browser makes it: a real P-256 key and a 16-byte auth secret. */
async function browserSubscription(endpoint = `https://push.example.test/${uid('ep')}`) {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
    'deriveBits',
  ])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey('raw', pair.publicKey)) as ArrayBuffer);
  return {
    endpoint,
    expirationTime: null,
    keys: { p256dh: b64u(raw), auth: b64u(crypto.getRandomValues(new Uint8Array(16))) },
  };
}

const rows = (sub: string) =>
  env.DB.prepare('SELECT endpoint, role FROM push_subscriptions WHERE user_sub = ? ORDER BY created_at, endpoint')
    .bind(sub)
    .all<{ endpoint: string; role: string }>()
    .then((r) => r.results);

describe('push > routes', () => {
  it('gives the VAPID public key to every signed-in role, and nobody else', async () => {
    for (const role of ['viewer', 'producer', 'operator', 'admin'] as const) {
      const res = await call(ON, role, uid(role), 'GET', '/key');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ enabled: true, publicKey: env.VAPID_PUBLIC_KEY });
    }
    expect((await call(ON, null, 'x', 'GET', '/key')).status).toBe(401);
  });

  it('says enabled: false without keys, and refuses subscriptions with 503 push_disabled', async () => {
    const res = await call(OFF, 'viewer', uid('v'), 'GET', '/key');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ enabled: false, publicKey: null });
    const post = await call(OFF, 'viewer', uid('v'), 'POST', '/subscriptions', await browserSubscription());
    expect(post.status).toBe(503);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('push_disabled');
    // The development key outside development: off too.
    const prod = deployed('production', { VAPID_PRIVATE_KEY: DEV_VAPID_PRIVATE_KEY });
    expect(await (await call(prod, 'viewer', uid('v'), 'GET', '/key')).json()).toMatchObject({ enabled: false });
  });

  it('saves a subscription with the caller and role, and updates it when saved again', async () => {
    const sub = uid('op');
    const s = await browserSubscription();
    const res = await call(ON, 'operator', sub, 'POST', '/subscriptions', s);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ endpoint: s.endpoint, replaced: 0 });
    expect(await rows(sub)).toEqual([{ endpoint: s.endpoint, role: 'operator' }]);
    const again = await call(ON, 'operator', sub, 'POST', '/subscriptions', {
      ...s,
      keys: (await browserSubscription()).keys,
    });
    expect(again.status).toBe(201);
    expect(await rows(sub)).toHaveLength(1);
  });

  it('refuses bad subscriptions with 400 naming the field', async () => {
    const sub = uid('v');
    const good = await browserSubscription();
    const cases: [unknown, string][] = [
      [{ ...good, endpoint: 'ftp://push.example.test/x' }, 'endpoint'],
      [{ ...good, endpoint: 'https://user:pw@push.example.test/x' }, 'endpoint'],
      [{ ...good, endpoint: `https://push.example.test/${'a'.repeat(2100)}` }, 'endpoint'],
      [{ ...good, keys: { ...good.keys, p256dh: good.keys.p256dh.slice(1) } }, 'keys.p256dh'],
      [{ ...good, keys: { ...good.keys, p256dh: `A${good.keys.p256dh.slice(1)}` } }, 'keys.p256dh'],
      [
        { ...good, keys: { ...good.keys, p256dh: b64u(new Uint8Array([4, ...new Uint8Array(64).fill(1)])) } },
        'keys.p256dh',
      ],
      [{ ...good, keys: { ...good.keys, auth: b64u(new Uint8Array(15)) } }, 'keys.auth'],
      [{ ...good, keys: { ...good.keys, auth: '!!!!!!!!!!!!!!!!!!!!!!' } }, 'keys.auth'],
      [{ ...good, extra: 1 }, '(root)'],
      [{ endpoint: good.endpoint }, 'keys'],
    ];
    for (const [body, field] of cases) {
      const res = await call(ON, 'viewer', sub, 'POST', '/subscriptions', body);
      expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      const { error } = (await res.json()) as { error: { details: { path: string }[] } };
      expect(error.details.map((d) => d.path)).toContain(field);
    }
    expect(await rows(sub)).toEqual([]);
  });

  it('accepts a plain-http loopback endpoint in development only', async () => {
    const s = await browserSubscription('http://127.0.0.1:9/push/1');
    expect((await call(ON, 'viewer', uid('v'), 'POST', '/subscriptions', s)).status).toBe(201);
    const staging = deployed('staging', {
      VAPID_PRIVATE_KEY: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    const res = await call(
      staging,
      'viewer',
      uid('v'),
      'POST',
      '/subscriptions',
      await browserSubscription('http://127.0.0.1:9/push/2'),
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('endpoint');
  });

  it(`keeps at most ${MAX_SUBSCRIPTIONS_PER_USER} per user, replacing the oldest`, async () => {
    const sub = uid('cap');
    const made: string[] = [];
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_USER + 2; i++) {
      const s = await browserSubscription(`https://push.example.test/cap-${sub}-${String(i).padStart(2, '0')}`);
      made.push(s.endpoint);
      const res = await call(ON, 'viewer', sub, 'POST', '/subscriptions', s);
      expect(res.status).toBe(201);
      expect(((await res.json()) as { replaced: number }).replaced).toBe(i < MAX_SUBSCRIPTIONS_PER_USER ? 0 : 1);
      await new Promise((r) => setTimeout(r, 2)); // distinct created_at
    }
    expect((await rows(sub)).map((r) => r.endpoint)).toEqual(made.slice(2));
  });

  it('deletes by endpoint, only the caller’s own', async () => {
    const owner = uid('owner');
    const s = await browserSubscription();
    expect((await call(ON, 'viewer', owner, 'POST', '/subscriptions', s)).status).toBe(201);
    const other = await call(ON, 'admin', uid('other'), 'DELETE', '/subscriptions', { endpoint: s.endpoint });
    expect(other.status).toBe(404);
    expect(await rows(owner)).toHaveLength(1);
    // Push off does not keep anyone subscribed.
    expect((await call(OFF, 'viewer', owner, 'DELETE', '/subscriptions', { endpoint: s.endpoint })).status).toBe(204);
    expect(await rows(owner)).toEqual([]);
    expect((await call(ON, 'viewer', owner, 'DELETE', '/subscriptions', { endpoint: s.endpoint })).status).toBe(404);
    expect((await call(ON, 'viewer', owner, 'DELETE', '/subscriptions', {})).status).toBe(400);
  });

  it('never answers a hostile body with a 5xx', async () => {
    const good = await browserSubscription();
    const sub = uid('fuzz');
    const hostile = fc.oneof(
      plainJson(3).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 300 }),
      fc
        .record({
          endpoint: fc.oneof(fc.webUrl(), fc.string({ maxLength: 80 }), fc.constant(good.endpoint)),
          keys: fc.oneof(
            plainJson(2),
            fc.record({
              p256dh: fc.oneof(
                fc.string({ maxLength: 100 }),
                fc.base64String({ maxLength: 120 }),
                fc.constant(good.keys.p256dh),
              ),
              auth: fc.oneof(
                fc.string({ maxLength: 30 }),
                fc.base64String({ maxLength: 30 }),
                fc.constant(good.keys.auth),
              ),
            }),
          ),
        })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(hostile, fc.constantFrom('POST', 'DELETE'), async (body, method) => {
        await expectNoServerError(await call(ON, 'viewer', sub, method, '/subscriptions', body));
      }),
      { numRuns: 60 },
    );
  });
});
