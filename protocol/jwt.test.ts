import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES } from './enums.ts';
import { CLOCK_TOLERANCE_SECONDS, DEFAULT_MAX_LIFETIME_SECONDS, signJwt, verifyJwt, type TokenClaims } from './jwt.ts';
import { ROLES } from './roles.ts';

const SECRET = 'unit-test-secret-of-at-least-32-bytes!';
const NOW = 1_800_000_000;
const AT = { nowSeconds: NOW };
const HOUR = 3600;

const enc = new TextEncoder();
const b64url = (bytes: Uint8Array) => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const b64urlJson = (value: unknown) => b64url(enc.encode(JSON.stringify(value)));

/** Signs any header and payload text with HS256 by hand, for tokens signJwt would never make. */
async function signRaw(
  header: unknown,
  payload: unknown,
  secret = SECRET,
  payloadText = JSON.stringify(payload),
): Promise<string> {
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const head = `${b64urlJson(header)}.${b64url(enc.encode(payloadText))}`;
  const sig = await crypto.subtle.sign('HMAC', key, enc.encode(head));
  return `${head}.${b64url(new Uint8Array(sig))}`;
}

const HS256 = { alg: 'HS256', typ: 'JWT' };
const valid = (extra: Record<string, unknown> = {}) => ({
  sub: 'a',
  role: 'viewer',
  iat: NOW - 10,
  exp: NOW + HOUR,
  ...extra,
});

describe('protocol > signJwt / verifyJwt (jose, HS256)', () => {
  it.each<TokenClaims>([
    { sub: 'alice', role: 'viewer', exp: NOW + 60 },
    { sub: 'bob', role: 'producer', name: 'Bob Builder', exp: NOW + HOUR, iat: NOW },
    { sub: 'carol', role: 'operator', exp: NOW + 60, categories: ['Container'] },
    {
      sub: 'dave',
      role: 'admin',
      name: 'Dåve ✓ 🚢',
      iat: NOW - 5,
      exp: NOW + 23 * HOUR,
      categories: ['Ship', 'Berth'],
    },
  ])('round-trips %o', async (claims) => {
    const token = await signJwt(claims, SECRET);
    expect(token.split('.')).toHaveLength(3);
    expect(await verifyJwt(token, SECRET, AT)).toEqual({ ok: true, secretIndex: 0, claims });
  });

  it('writes an HS256 JWT header', async () => {
    const token = await signJwt({ sub: 'a', role: 'viewer', exp: NOW + 60 }, SECRET);
    expect(JSON.parse(atob(token.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/')))).toEqual(HS256);
  });

  it('accepts a token from another HS256 implementation (signed by hand) and drops claims it does not know', async () => {
    const token = await signRaw(HS256, {
      sub: 'x',
      role: 'operator',
      iat: NOW - 10,
      exp: NOW + 60,
      scope: 'everything',
      name: 42,
      sid: 'forged',
    });
    expect(await verifyJwt(token, SECRET, AT)).toEqual({
      ok: true,
      secretIndex: 0,
      claims: { sub: 'x', role: 'operator', iat: NOW - 10, exp: NOW + 60 },
    });
  });

  describe('signature and algorithm', () => {
    it('refuses another secret', async () => {
      const token = await signJwt({ sub: 'a', role: 'admin', exp: NOW + 60 }, 'other-secret');
      expect(await verifyJwt(token, SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'bad_signature',
        message: 'the token signature is invalid',
      });
    });

    it('refuses a tampered payload (role raised)', async () => {
      const [header, , sig] = (await signJwt({ sub: 'a', role: 'viewer', exp: NOW + 60 }, SECRET)).split('.');
      const forged = `${header}.${b64urlJson({ sub: 'a', role: 'admin', exp: NOW + 60 })}.${sig}`;
      expect(await verifyJwt(forged, SECRET, AT)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('refuses an empty signature', async () => {
      const [header, payload] = (await signJwt({ sub: 'a', role: 'viewer', exp: NOW + 60 }, SECRET)).split('.');
      expect(await verifyJwt(`${header}.${payload}.`, SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'bad_signature',
      });
    });

    it.each([
      ['alg none', { alg: 'none', typ: 'JWT' }],
      ['alg HS512', { alg: 'HS512', typ: 'JWT' }],
      ['alg RS256', { alg: 'RS256' }],
      ['alg hs256 (case)', { alg: 'hs256' }],
    ])('refuses %s even when the HMAC is made with the secret', async (_label, head) => {
      expect(await verifyJwt(await signRaw(head, valid()), SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'bad_algorithm',
        message: 'the token is not signed with HS256',
      });
    });

    it('refuses an unsigned alg-none token and a header without alg', async () => {
      expect(await verifyJwt(`${b64urlJson({ alg: 'none' })}.${b64urlJson(valid())}.`, SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'bad_algorithm',
      });
      expect(await verifyJwt(await signRaw({ typ: 'JWT' }, valid()), SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'malformed',
      });
    });

    it('refuses a critical header it does not understand', async () => {
      expect(
        await verifyJwt(await signRaw({ alg: 'HS256', crit: ['exp'], exp: 1 }, valid()), SECRET, AT),
      ).toMatchObject({ ok: false, reason: 'malformed' });
    });

    it('checks the signature before any claim (an expired forgery is a bad signature)', async () => {
      const token = await signJwt({ sub: 'a', role: 'viewer', exp: NOW - 3600 }, 'other-secret');
      expect(await verifyJwt(token, SECRET, AT)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });
  });

  describe('rotation: several secrets', () => {
    it('accepts a token of the previous secret and says which secret verified it', async () => {
      const old = await signJwt({ sub: 'a', role: 'viewer', exp: NOW + 60 }, 'previous-secret');
      const current = await signJwt({ sub: 'a', role: 'viewer', exp: NOW + 60 }, SECRET);
      expect(await verifyJwt(old, [SECRET, 'previous-secret'], AT)).toMatchObject({ ok: true, secretIndex: 1 });
      expect(await verifyJwt(current, [SECRET, 'previous-secret'], AT)).toMatchObject({ ok: true, secretIndex: 0 });
      expect(await verifyJwt(old, [SECRET], AT)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('does not try the next secret after a refusal other than the signature (an expired token stays expired)', async () => {
      const expired = await signJwt({ sub: 'a', role: 'viewer', exp: NOW - 3600 }, SECRET);
      expect(await verifyJwt(expired, [SECRET, 'previous-secret'], AT)).toMatchObject({ ok: false, reason: 'expired' });
    });

    it('refuses everything with no secret at all', async () => {
      const token = await signJwt({ sub: 'a', role: 'viewer', exp: NOW + 60 }, SECRET);
      expect(await verifyJwt(token, [], AT)).toMatchObject({ ok: false, reason: 'bad_signature' });
      expect(await verifyJwt(token, '', AT)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });
  });

  describe('time', () => {
    it('requires a numeric exp', async () => {
      expect(await verifyJwt(await signRaw(HS256, { sub: 'a', role: 'viewer' }), SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'missing_exp',
        message: 'the token has no exp claim; tokens must expire',
      });
      for (const exp of ['4102444800', null, true, [NOW + 60], { at: NOW }]) {
        expect(await verifyJwt(await signRaw(HS256, valid({ exp })), SECRET, AT), JSON.stringify(exp)).toMatchObject({
          ok: false,
          reason: 'missing_exp',
        });
      }
    });

    it.each([
      ['just past the tolerance', NOW - CLOCK_TOLERANCE_SECONDS],
      ['an hour ago', NOW - HOUR],
      ['at the epoch', 0],
      ['before the epoch', -1e20],
    ])('refuses a token that expired %s', async (_label, exp) => {
      expect(await verifyJwt(await signRaw(HS256, { sub: 'a', role: 'viewer', exp }), SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'expired',
        message: 'the token has expired (exp is in the past)',
      });
    });

    it(`accepts a token that expired less than the ${CLOCK_TOLERANCE_SECONDS} s clock tolerance ago`, async () => {
      expect(
        (
          await verifyJwt(
            await signRaw(HS256, { sub: 'a', role: 'viewer', exp: NOW - CLOCK_TOLERANCE_SECONDS + 1 }),
            SECRET,
            AT,
          )
        ).ok,
      ).toBe(true);
    });

    it.each([
      ['1e20', 1e20],
      ['2^63', 2 ** 63],
      ['1e308', 1e308],
      ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
      ['a day and a second', NOW + DEFAULT_MAX_LIFETIME_SECONDS + 1],
    ])('refuses an exp far in the future (%s) as a lifetime too long, without throwing', async (_label, exp) => {
      expect(await verifyJwt(await signRaw(HS256, { sub: 'a', role: 'viewer', exp }), SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'lifetime_too_long',
      });
      expect(
        await verifyJwt(await signRaw(HS256, { sub: 'a', role: 'viewer', iat: NOW, exp }), SECRET, AT),
      ).toMatchObject({ ok: false, reason: 'lifetime_too_long' });
    });

    it('measures the lifetime from iat, so an old long-lived token is refused even near its end', async () => {
      const token = await signRaw(HS256, { sub: 'a', role: 'viewer', iat: NOW - 30 * HOUR, exp: NOW + 60 });
      expect(await verifyJwt(token, SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'lifetime_too_long',
        message: 'the token lives longer than the 86400 s this API accepts (exp − iat)',
      });
      expect((await verifyJwt(token, SECRET, { ...AT, maxLifetimeSeconds: 31 * HOUR })).ok).toBe(true);
    });

    it('accepts exactly the maximum lifetime, and honours a smaller configured one', async () => {
      const day = await signRaw(HS256, { sub: 'a', role: 'viewer', iat: NOW, exp: NOW + DEFAULT_MAX_LIFETIME_SECONDS });
      expect((await verifyJwt(day, SECRET, AT)).ok).toBe(true);
      expect(await verifyJwt(day, SECRET, { ...AT, maxLifetimeSeconds: HOUR })).toMatchObject({
        ok: false,
        reason: 'lifetime_too_long',
      });
    });

    it('refuses nbf and iat in the future beyond the tolerance, accepts them within it', async () => {
      const tol = CLOCK_TOLERANCE_SECONDS;
      expect(await verifyJwt(await signRaw(HS256, valid({ nbf: NOW + tol + 1 })), SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'not_yet_valid',
        message: 'the token is not valid yet (nbf is in the future)',
      });
      expect((await verifyJwt(await signRaw(HS256, valid({ nbf: NOW + tol })), SECRET, AT)).ok).toBe(true);
      expect(await verifyJwt(await signRaw(HS256, valid({ iat: NOW + tol + 1 })), SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'not_yet_valid',
        message: 'the token was issued in the future (iat)',
      });
      expect((await verifyJwt(await signRaw(HS256, valid({ iat: NOW + tol })), SECRET, AT)).ok).toBe(true);
    });

    it('refuses a non-numeric iat or nbf', async () => {
      expect(await verifyJwt(await signRaw(HS256, valid({ iat: 'yesterday' })), SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'bad_claims',
      });
      expect(await verifyJwt(await signRaw(HS256, valid({ nbf: '0' })), SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'bad_claims',
      });
    });

    it('uses the current time by default', async () => {
      const now = Math.floor(Date.now() / 1000);
      expect(
        await verifyJwt(await signJwt({ sub: 'a', role: 'viewer', exp: now - 120 }, SECRET), SECRET),
      ).toMatchObject({ ok: false, reason: 'expired' });
      expect(
        (await verifyJwt(await signJwt({ sub: 'a', role: 'viewer', iat: now, exp: now + 300 }, SECRET), SECRET)).ok,
      ).toBe(true);
    });
  });

  describe('issuer and audience, when configured', () => {
    it('checks iss only when an issuer is configured', async () => {
      const token = await signRaw(HS256, valid({ iss: 'https://idp.example' }));
      expect((await verifyJwt(token, SECRET, AT)).ok).toBe(true);
      expect((await verifyJwt(token, SECRET, { ...AT, issuer: 'https://idp.example' })).ok).toBe(true);
      expect(await verifyJwt(token, SECRET, { ...AT, issuer: 'https://other.example' })).toMatchObject({
        ok: false,
        reason: 'bad_issuer',
        message: 'the token iss claim names another issuer',
      });
      expect(
        await verifyJwt(await signRaw(HS256, valid()), SECRET, { ...AT, issuer: 'https://idp.example' }),
      ).toMatchObject({
        ok: false,
        reason: 'bad_issuer',
        message: 'the token has no iss claim; this API requires one',
      });
    });

    it('checks aud (a string or a list) only when an audience is configured', async () => {
      expect(
        (
          await verifyJwt(await signRaw(HS256, valid({ aud: ['quaycast', 'other'] })), SECRET, {
            ...AT,
            audience: 'quaycast',
          })
        ).ok,
      ).toBe(true);
      expect(
        await verifyJwt(await signRaw(HS256, valid({ aud: 'other' })), SECRET, { ...AT, audience: 'quaycast' }),
      ).toMatchObject({ ok: false, reason: 'bad_audience' });
      expect(await verifyJwt(await signRaw(HS256, valid()), SECRET, { ...AT, audience: 'quaycast' })).toMatchObject({
        ok: false,
        reason: 'bad_audience',
        message: 'the token has no aud claim; this API requires one',
      });
    });
  });

  describe('claims', () => {
    it.each([
      ['missing role', { sub: 'a', exp: NOW + 60 }, 'role'],
      ['unknown role', { sub: 'a', role: 'root', exp: NOW + 60 }, 'role'],
      ['role in the wrong case', { sub: 'a', role: 'Admin', exp: NOW + 60 }, 'role'],
      ['roles as an array', { sub: 'a', roles: ['admin'], exp: NOW + 60 }, 'role'],
      ['missing sub', { role: 'admin', exp: NOW + 60 }, 'sub'],
      ['numeric sub', { sub: 7, role: 'admin', exp: NOW + 60 }, 'sub'],
      ['empty sub', { sub: '', role: 'admin', exp: NOW + 60 }, 'sub'],
      ['a 201-character sub', { sub: 's'.repeat(201), role: 'admin', exp: NOW + 60 }, 'sub'],
      ['empty categories', { sub: 'a', role: 'viewer', exp: NOW + 60, categories: [] }, 'categories'],
      [
        'an unknown category',
        { sub: 'a', role: 'viewer', exp: NOW + 60, categories: ['Container', 'Secret'] },
        'categories',
      ],
      [
        'a category in the wrong case',
        { sub: 'a', role: 'viewer', exp: NOW + 60, categories: ['container'] },
        'categories',
      ],
      ['categories as a string', { sub: 'a', role: 'viewer', exp: NOW + 60, categories: 'Container' }, 'categories'],
      ['categories null', { sub: 'a', role: 'viewer', exp: NOW + 60, categories: null }, 'categories'],
    ])('refuses %s as bad_claims naming the claim', async (_label, payload, claim) => {
      const result = await verifyJwt(await signRaw(HS256, payload), SECRET, AT);
      expect(result).toMatchObject({ ok: false, reason: 'bad_claims' });
      expect(!result.ok && result.message).toContain(`${claim} claim`);
    });

    it('de-duplicates categories and puts them in the canonical order', async () => {
      const token = await signRaw(HS256, valid({ categories: ['Port', 'Container', 'Port', 'Container'] }));
      expect(await verifyJwt(token, SECRET, AT)).toMatchObject({
        ok: true,
        claims: { categories: ['Container', 'Port'] },
      });
    });

    it.each([
      ['a JSON array payload', '["admin"]'],
      ['a JSON null payload', 'null'],
      ['a JSON string payload', '"admin"'],
      ['a payload that is not JSON', '{nope'],
      ['a payload that is not UTF-8', '\udc80'],
    ])('refuses %s as malformed', async (_label, text) => {
      expect(await verifyJwt(await signRaw(HS256, undefined, SECRET, text), SECRET, AT)).toMatchObject({
        ok: false,
        reason: 'malformed',
      });
    });
  });

  describe('malformed', () => {
    const header = b64urlJson(HS256);
    const payload = b64urlJson(valid());

    it.each([
      ['an empty string', ''],
      ['one part', 'abc'],
      ['two parts', `${header}.${payload}`],
      ['four parts', `${header}.${payload}.sig.extra`],
      ['standard base64 characters', `${header}.${payload}.ab+/cd==`],
      ['whitespace', `${header} .${payload}.sig`],
      ['a header that is not JSON', `${b64url(enc.encode('not json'))}.${payload}.sig`],
      ['a header of impossible base64 length', `A.${payload}.sig`],
      ['a JSON null header', `${b64urlJson(null)}.${payload}.sig`],
      ['a signature of impossible base64 length', `${header}.${payload}.A`],
      ['a token over 8192 characters', `${header}.${'A'.repeat(9000)}.sig`],
    ])('refuses %s', async (_label, token) => {
      await expect(verifyJwt(token, SECRET, AT)).resolves.toMatchObject({ ok: false, reason: 'malformed' });
    });
  });

  describe('properties (fast-check)', () => {
    const claimsArb = fc.record(
      {
        sub: fc.string({ minLength: 1, maxLength: 200 }),
        role: fc.constantFrom(...ROLES),
        name: fc.string({ maxLength: 40 }),
        iat: fc.integer({ min: NOW - HOUR, max: NOW }),
        lifetime: fc.integer({ min: 1, max: DEFAULT_MAX_LIFETIME_SECONDS - HOUR }),
        categories: fc.uniqueArray(fc.constantFrom(...CATEGORIES), { minLength: 1 }),
      },
      { requiredKeys: ['sub', 'role', 'lifetime'] },
    );

    it('round-trips every well-formed token: the same claims come back', async () => {
      await fc.assert(
        fc.asyncProperty(claimsArb, async ({ lifetime, ...rest }) => {
          const base = rest.iat ?? NOW;
          const claims = { ...rest, exp: Math.max(base, NOW) + lifetime } as TokenClaims;
          const result = await verifyJwt(await signJwt(claims, SECRET), SECRET, AT);
          const categories = claims.categories ? CATEGORIES.filter((c) => claims.categories!.includes(c)) : undefined;
          expect(result).toEqual({
            ok: true,
            secretIndex: 0,
            claims: { ...claims, ...(categories ? { categories } : {}) },
          });
        }),
        { numRuns: 200 },
      );
    });

    /** Hostile values for each claim: wrong types, huge and tiny numbers, nested JSON. */
    const hostileValue = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        1e20,
        2 ** 63,
        1e308,
        -1e308,
        Number.MAX_SAFE_INTEGER,
        0,
        -1,
        NOW,
        NOW + 60,
        NOW - 60,
        NOW + DEFAULT_MAX_LIFETIME_SECONDS,
        '1800000060',
        null,
        true,
        [],
        {},
      ),
      fc.integer({ min: NOW - 2 * DEFAULT_MAX_LIFETIME_SECONDS, max: NOW + 2 * DEFAULT_MAX_LIFETIME_SECONDS }),
    );
    const hostilePayload = fc.record(
      {
        sub: fc.oneof(fc.string({ maxLength: 5 }), hostileValue),
        role: fc.oneof(fc.constantFrom(...ROLES, 'Admin', 'root', ''), hostileValue),
        exp: hostileValue,
        iat: hostileValue,
        nbf: hostileValue,
        categories: fc.oneof(fc.array(fc.constantFrom(...CATEGORIES, 'Secret', 'container')), hostileValue),
      },
      { requiredKeys: [] },
    );

    /** What a correct verifier decides, written out independently of jose. */
    function oracle(p: Record<string, unknown>): boolean {
      const num = (v: unknown): v is number => typeof v === 'number';
      if (!num(p.exp) || p.exp <= NOW - CLOCK_TOLERANCE_SECONDS) return false;
      if (p.iat !== undefined && (!num(p.iat) || p.iat > NOW + CLOCK_TOLERANCE_SECONDS)) return false;
      if (p.nbf !== undefined && (!num(p.nbf) || p.nbf > NOW + CLOCK_TOLERANCE_SECONDS)) return false;
      if (p.exp - Math.min(num(p.iat) ? p.iat : NOW, NOW) > DEFAULT_MAX_LIFETIME_SECONDS) return false;
      if (typeof p.sub !== 'string' || p.sub.length === 0 || p.sub.length > 200) return false;
      if (!(ROLES as readonly unknown[]).includes(p.role)) return false;
      if (p.categories !== undefined) {
        if (!Array.isArray(p.categories) || p.categories.length === 0) return false;
        if (!p.categories.every((c) => (CATEGORIES as readonly unknown[]).includes(c))) return false;
      }
      return true;
    }

    it('judges any signed payload as the rules say, and never throws', async () => {
      await fc.assert(
        fc.asyncProperty(hostilePayload, async (payload) => {
          const result = await verifyJwt(await signRaw(HS256, payload), SECRET, AT);
          expect(result.ok).toBe(oracle(payload));
          if (!result.ok) expect(result.message).toMatch(/^(the token|no secret)/);
        }),
        { numRuns: 500 },
      );
    });

    it('never accepts, and never throws for, arbitrary text as a token', async () => {
      const text = fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((parts) => parts.join('.')),
        fc.stringMatching(/^[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,44}$/),
      );
      await fc.assert(
        fc.asyncProperty(text, async (token) => {
          expect((await verifyJwt(token, SECRET, AT)).ok).toBe(false);
        }),
        { numRuns: 300 },
      );
    });

    it('refuses a valid token with any one character changed (except a segment’s last, whose spare bits may not count)', async () => {
      const token = await signJwt({ sub: 'a', role: 'viewer', exp: NOW + 60 }, SECRET);
      const last = new Set([token.indexOf('.') - 1, token.lastIndexOf('.') - 1, token.length - 1]);
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: token.length - 1 }),
          fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'),
          async (at, ch) => {
            fc.pre(!last.has(at) && token[at] !== ch && token[at] !== '.');
            const changed = token.slice(0, at) + ch + token.slice(at + 1);
            expect((await verifyJwt(changed, SECRET, AT)).ok).toBe(false);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
