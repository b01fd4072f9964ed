/**
 * Sign-out signs out (contract 3): POST /api/session stores a server-side session and sets
 * `qc_session` to an opaque id; DELETE /api/session ends it on the server. A cookie replayed after
 * sign-out, an expired or rotated-out session, the old `qc_token` cookie, and any malformed cookie
 * are 401 on list, SSE and long-poll — never a 500.
 */
import { SELF, env } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signJwt } from '../../protocol/jwt.ts';
import { createDb } from '../../worker/db/client.ts';
import { MAX_SESSIONS_PER_SUB, createSession, findSession, keyTag } from '../../worker/db/sessions.ts';
import { BASE, token, uid, type ApiErrorBody } from './helpers.ts';
import { RUNS, headerText } from './fuzz-support.ts';

/** The three ways a browser reads with its cookie: a list, an SSE stream, a long-poll. */
const READS = ['/api/events?limit=1', '/api/rooms/System/sse', '/api/events?category=System&after=0&wait=1'] as const;

async function startSession(
  jwt: string,
  url = `${BASE}/api/session`,
): Promise<{ res: Response; cookie: string; id: string }> {
  const res = await SELF.fetch(url, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } });
  const setCookie = res.headers.get('set-cookie') ?? '';
  const pair = setCookie.split(';')[0]!;
  return { res, cookie: pair, id: pair.slice('qc_session='.length) };
}

async function read(path: string, cookie: string): Promise<Response> {
  const res = await SELF.fetch(`${BASE}${path}`, { headers: { cookie } });
  if (res.status === 200 && path.includes('/sse')) await res.body?.cancel(); // an open stream: we only needed the status
  return res;
}

describe('security > sessions', () => {
  it('sets qc_session to an opaque id (not the JWT), HttpOnly, SameSite=Strict, Secure, Path=/api, for the token’s lifetime', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const jwt = await token('viewer', uid('browser'), { exp, categories: ['Ship'] });
    const { res, cookie, id } = await startSession(jwt);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      role: 'viewer',
      categories: ['Ship'],
      expiresAt: new Date(exp * 1000).toISOString(),
    });
    const header = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^qc_session=[A-Za-z0-9_-]{43}$/);
    expect(id).not.toContain(jwt.split('.')[1]!);
    for (const attr of ['Path=/api', 'HttpOnly', 'SameSite=Strict', 'Secure']) expect(header).toContain(attr);
    const maxAge = Number(/Max-Age=(\d+)/.exec(header)![1]);
    expect(maxAge).toBeGreaterThan(3590);
    expect(maxAge).toBeLessThanOrEqual(3600);
    // D1 holds a hash of the id, never the id or the token.
    const rows = await env.DB.prepare('SELECT * FROM sessions WHERE sub = ?1')
      .bind(JSON.parse(atob(jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).sub)
      .all();
    expect(rows.results).toHaveLength(1);
    expect(JSON.stringify(rows.results)).not.toContain(id);
    expect(JSON.stringify(rows.results)).not.toContain(jwt);
    expect(rows.results[0]).toMatchObject({ role: 'viewer', categories: '["Ship"]', expires_at: exp });
  });

  it('authenticates list, SSE and long-poll with the cookie until sign-out; the same cookie replayed after DELETE is 401 on all three', async () => {
    const { cookie } = await startSession(await token('viewer', uid('signout')));
    for (const path of READS) expect((await read(path, cookie)).status, `before sign-out: ${path}`).toBe(200);
    const out = await SELF.fetch(`${BASE}/api/session`, { method: 'DELETE', headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^qc_session=; .*Max-Age=0/);
    for (const path of READS) {
      const res = await read(path, cookie);
      expect(res.status, `replayed after sign-out: ${path}`).toBe(401);
      expect(((await res.json()) as ApiErrorBody).error.message).toBe(
        'the session has ended or never existed; sign in again',
      );
    }
    // Signing out again (or with no session) is harmless.
    expect((await SELF.fetch(`${BASE}/api/session`, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
    expect((await SELF.fetch(`${BASE}/api/session`, { method: 'DELETE' })).status).toBe(204);
  });

  it('a browser starting a new session replaces its old one: the old id stops working', async () => {
    const jwt = await token('viewer', uid('renew'));
    const first = await startSession(jwt);
    const res = await SELF.fetch(`${BASE}/api/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, cookie: first.cookie },
    });
    expect(res.status).toBe(200);
    const second = res.headers.get('set-cookie')!.split(';')[0]!;
    expect(second).not.toBe(first.cookie);
    expect((await read(READS[0], first.cookie)).status).toBe(401);
    expect((await read(READS[0], second)).status).toBe(200);
  });

  it('ends only the session signed out: another session of the same token keeps working', async () => {
    const jwt = await token('viewer', uid('two-tabs'));
    const a = await startSession(jwt);
    const b = await startSession(jwt);
    expect(a.id).not.toBe(b.id);
    await SELF.fetch(`${BASE}/api/session`, { method: 'DELETE', headers: { cookie: a.cookie } });
    expect((await read(READS[0], a.cookie)).status).toBe(401);
    expect((await read(READS[0], b.cookie)).status).toBe(200);
  });

  it('refuses an expired session (and deletes its row), and a session whose secret was rotated out', async () => {
    const db = createDb(env.DB);
    const now = Math.floor(Date.now() / 1000);
    const tag = await keyTag(env.JWT_SECRET);
    const sub = uid('expired');
    // Time passes: the row's token ran out (set directly in D1; starting a session with a past exp would be cleaned at once).
    const expired = await createSession(db, { sub, role: 'viewer', exp: now + 600 }, tag);
    await env.DB.prepare('UPDATE sessions SET expires_at = ?1 WHERE sub = ?2')
      .bind(now - 1, sub)
      .run();
    const res = await read(READS[0], `qc_session=${expired}`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as ApiErrorBody).error.message).toBe(
      'the session has expired with its token; sign in again',
    );
    expect(
      (await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE sub = ?1').bind(sub).first<{ n: number }>())!.n,
    ).toBe(0);
    const rotated = await createSession(
      db,
      { sub, role: 'viewer', exp: now + 600 },
      await keyTag('a-secret-no-longer-configured'),
    );
    const r2 = await read(READS[1], `qc_session=${rotated}`);
    expect(r2.status).toBe(401);
    expect(((await r2.json()) as ApiErrorBody).error.message).toContain('rotated out');
  });

  it('carries the token’s scope: a session of a Ship-only token cannot open another room or list another category', async () => {
    const { cookie } = await startSession(await token('viewer', uid('scoped-session'), { categories: ['Ship'] }));
    expect((await read('/api/rooms/Ship/sse', cookie)).status).toBe(200);
    expect((await read('/api/rooms/Container/sse', cookie)).status).toBe(403);
    expect((await read('/api/events?category=Container', cookie)).status).toBe(403);
    expect((await read('/api/events?category=Ship', cookie)).status).toBe(200);
  });

  it('starts a session only from a bearer header; the cookie authenticates reads only (no writes by cookie)', async () => {
    const { cookie } = await startSession(await token('admin', uid('cookie-writes')));
    expect((await SELF.fetch(`${BASE}/api/session`, { method: 'POST', headers: { cookie } })).status).toBe(401);
    const post = await SELF.fetch(`${BASE}/api/events`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ eventType: 'X', title: 'by cookie' }),
    });
    expect(post.status).toBe(401);
    expect(((await post.json()) as ApiErrorBody).error.message).toContain('authenticates reads only');
    const subproto = await SELF.fetch(`${BASE}/api/session`, {
      method: 'POST',
      headers: { 'sec-websocket-protocol': `bearer.${await token('viewer')}` },
    });
    expect(subproto.status).toBe(401);
  });

  it('no longer accepts the old qc_token cookie, even holding a valid JWT', async () => {
    const jwt = await token('admin');
    for (const path of READS) expect((await read(path, `qc_token=${jwt}`)).status, path).toBe(401);
  });

  it('keeps at most MAX_SESSIONS_PER_SUB sessions per sub: starting one more ends the oldest', async () => {
    const db = createDb(env.DB);
    const sub = uid('many-tabs');
    const tag = await keyTag(env.JWT_SECRET);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const t0 = Date.now() - 1_000_000;
    const first = await createSession(db, { sub, role: 'viewer', exp }, tag, t0);
    for (let i = 1; i < MAX_SESSIONS_PER_SUB; i++) await createSession(db, { sub, role: 'viewer', exp }, tag, t0 + i);
    expect((await findSession(db, first, [tag])).ok).toBe(true);
    const { cookie } = await startSession(await signJwt({ sub, role: 'viewer', exp }, env.JWT_SECRET));
    expect(
      (await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE sub = ?1').bind(sub).first<{ n: number }>())!.n,
    ).toBe(MAX_SESSIONS_PER_SUB);
    expect((await findSession(db, first, [tag])).ok).toBe(false);
    expect((await read(READS[0], cookie)).status).toBe(200);
  });

  it('cleans expired rows when sessions start', async () => {
    const db = createDb(env.DB);
    const tag = await keyTag(env.JWT_SECRET);
    const sub = uid('stale');
    for (let i = 0; i < 5; i++)
      await createSession(db, { sub, role: 'viewer', exp: Math.floor(Date.now() / 1000) - 10 }, tag);
    await startSession(await token('viewer', uid('cleaner')));
    expect(
      (await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE sub = ?1').bind(sub).first<{ n: number }>())!.n,
    ).toBe(0);
  });
});

describe('security > malformed session cookies (fast-check)', () => {
  /** Cookie headers with odd separators, repeated names, bad percent-encoding, huge values. */
  const cookieHeader = fc.oneof(
    fc
      .tuple(
        headerText(30),
        fc.oneof(
          headerText(60),
          fc.constantFrom(
            '%E0%A4%A',
            '%',
            '%ZZ',
            '%C0',
            '%ED%A0%80',
            '"quoted"',
            ' ',
            '=',
            ';',
            'a'.repeat(43),
            `${'A'.repeat(42)}%`,
            'A'.repeat(44),
          ),
        ),
        headerText(30),
      )
      .map(([a, v, b]) => `${a}; qc_session=${v}; ${b}`),
    fc
      .integer({ min: 2, max: 50 })
      .map((n) =>
        Array.from({ length: n }, (_, i) => `qc_session=${'B'.repeat(43 - String(i).length)}${i}`).join('; '),
      ),
    fc.integer({ min: 8200, max: 60_000 }).map((n) => `qc_session=${'C'.repeat(43)}; pad=${'x'.repeat(n)}`),
    fc
      .integer({ min: 1, max: 300 })
      .map((n) => `${Array.from({ length: n }, (_, i) => `c${i}=v`).join('; ')}; qc_session=${'D'.repeat(43)}`),
    fc.constantFrom(
      'qc_session',
      'qc_session=',
      'qc_session;',
      ';;;qc_session=;;;',
      `qc_session = ${'E'.repeat(43)}`,
      `qc_session=\t${'F'.repeat(43)}\t`,
      `QC_SESSION=${'G'.repeat(43)}`,
      `qc_session=${'H'.repeat(43)},qc_session=x`,
    ),
  );

  it('answers 401 in the error shape, never a 5xx, on list, SSE and long-poll, for any cookie that names no live session', async () => {
    await fc.assert(
      fc.asyncProperty(cookieHeader, fc.constantFrom(...READS), async (cookie, path) => {
        const res = await SELF.fetch(`${BASE}${path}`, { headers: { cookie } });
        expect(res.status).toBe(401);
        const body = (await res.json()) as ApiErrorBody;
        expect(body.error.code).toBe('unauthorized');
      }),
      { numRuns: RUNS.headers },
    );
  });

  it('still finds a live session among other cookies and odd spacing', async () => {
    const { id } = await startSession(await token('viewer', uid('jar')));
    for (const cookie of [
      `a=1; qc_session=${id}; b=2`,
      `qc_session=${id}`,
      `  qc_session=${id}  `,
      `theme=dark;qc_session=${id}`,
      `qc_session="${id}"`,
    ]) {
      expect((await read(READS[0], cookie)).status, cookie).toBe(200);
    }
  });
});
