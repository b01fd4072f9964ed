import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt, type Claims } from './jwt.ts';

const SECRET = 'unit-test-secret';
const NOW = 1_800_000_000;

const enc = new TextEncoder();
const b64url = (bytes: Uint8Array) => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const b64urlJson = (value: unknown) => b64url(enc.encode(JSON.stringify(value)));

/** Signs any header and payload with HS256, for tokens signJwt would never make. */
async function signRaw(header: unknown, payload: unknown, secret = SECRET): Promise<string> {
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const head = `${b64urlJson(header)}.${b64urlJson(payload)}`;
  const sig = await crypto.subtle.sign('HMAC', key, enc.encode(head));
  return `${head}.${b64url(new Uint8Array(sig))}`;
}

const HS256 = { alg: 'HS256', typ: 'JWT' };

describe('protocol > signJwt / verifyJwt', () => {
  it.each<Claims>([
    { sub: 'alice', role: 'viewer' },
    { sub: 'bob', role: 'producer', name: 'Bob Builder' },
    { sub: 'carol', role: 'operator', exp: NOW + 60 },
    { sub: 'dave', role: 'admin', name: 'Dåve ✓ 🚢', exp: NOW + 3600 },
  ])('round-trips %o', async (claims) => {
    const token = await signJwt(claims, SECRET);
    expect(token.split('.')).toHaveLength(3);
    expect(await verifyJwt(token, SECRET, NOW)).toEqual({ ok: true, claims });
  });

  it('writes an HS256 JWT header', async () => {
    const token = await signJwt({ sub: 'a', role: 'viewer' }, SECRET);
    expect(JSON.parse(atob(token.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/')))).toEqual(HS256);
  });

  it('accepts a token from another HS256 implementation (signed by hand)', async () => {
    const token = await signRaw(HS256, { sub: 'x', role: 'operator', iat: NOW - 10 });
    expect(await verifyJwt(token, SECRET, NOW)).toEqual({ ok: true, claims: { sub: 'x', role: 'operator' } });
  });

  it('drops claims it does not know', async () => {
    const token = await signRaw(HS256, { sub: 'x', role: 'viewer', scope: 'everything', name: 42 });
    expect(await verifyJwt(token, SECRET, NOW)).toEqual({ ok: true, claims: { sub: 'x', role: 'viewer' } });
  });

  describe('bad signature', () => {
    it('is reported for another secret', async () => {
      const token = await signJwt({ sub: 'a', role: 'admin' }, 'other-secret');
      expect(await verifyJwt(token, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    });

    it('is reported for a tampered payload (role raised)', async () => {
      const [header, , sig] = (await signJwt({ sub: 'a', role: 'viewer' }, SECRET)).split('.');
      const forged = `${header}.${b64urlJson({ sub: 'a', role: 'admin' })}.${sig}`;
      expect(await verifyJwt(forged, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    });

    it('is reported for a flipped signature character', async () => {
      const token = await signJwt({ sub: 'a', role: 'viewer' }, SECRET);
      const last = token.at(-2) === 'A' ? 'B' : 'A';
      const tampered = `${token.slice(0, -2)}${last}${token.slice(-1)}`;
      expect(await verifyJwt(tampered, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    });

    it('is reported for an empty signature', async () => {
      const [header, payload] = (await signJwt({ sub: 'a', role: 'viewer' }, SECRET)).split('.');
      expect(await verifyJwt(`${header}.${payload}.`, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    });
  });

  describe('expiry', () => {
    it.each([
      ['one second ago', NOW - 1],
      ['exactly now', NOW],
      ['long ago', 1],
    ])('rejects a token that expired %s', async (_label, exp) => {
      const token = await signJwt({ sub: 'a', role: 'viewer', exp }, SECRET);
      expect(await verifyJwt(token, SECRET, NOW)).toEqual({ ok: false, reason: 'expired' });
    });

    it('accepts a token that expires one second from now', async () => {
      const token = await signJwt({ sub: 'a', role: 'viewer', exp: NOW + 1 }, SECRET);
      expect((await verifyJwt(token, SECRET, NOW)).ok).toBe(true);
    });

    it('checks the signature before the expiry', async () => {
      const token = await signJwt({ sub: 'a', role: 'viewer', exp: NOW - 1 }, 'other-secret');
      expect(await verifyJwt(token, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    });

    it('uses the current time by default', async () => {
      const past = await signJwt({ sub: 'a', role: 'viewer', exp: Math.floor(Date.now() / 1000) - 5 }, SECRET);
      const future = await signJwt({ sub: 'a', role: 'viewer', exp: Math.floor(Date.now() / 1000) + 300 }, SECRET);
      expect(await verifyJwt(past, SECRET)).toEqual({ ok: false, reason: 'expired' });
      expect((await verifyJwt(future, SECRET)).ok).toBe(true);
    });
  });

  describe('claims', () => {
    it.each([
      ['missing role', { sub: 'a' }],
      ['unknown role', { sub: 'a', role: 'root' }],
      ['role in the wrong case', { sub: 'a', role: 'Admin' }],
      ['roles as an array', { sub: 'a', roles: ['admin'] }],
      ['missing sub', { role: 'admin' }],
      ['numeric sub', { sub: 7, role: 'admin' }],
      ['a JSON array payload', ['admin']],
      ['a JSON null payload', null],
      ['a JSON string payload', 'admin'],
    ])('rejects %s as bad_claims', async (_label, payload) => {
      expect(await verifyJwt(await signRaw(HS256, payload), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_claims' });
    });
  });

  describe('malformed', () => {
    const header = b64urlJson(HS256);
    const payload = b64urlJson({ sub: 'a', role: 'admin' });

    it.each([
      ['an empty string', ''],
      ['one part', 'abc'],
      ['two parts', `${header}.${payload}`],
      ['four parts', `${header}.${payload}.sig.extra`],
      ['standard base64 characters', `${header}.${payload}.ab+/cd==`],
      ['whitespace', `${header} .${payload}.sig`],
      ['a header that is not JSON', `${b64url(enc.encode('not json'))}.${payload}.sig`],
      ['a payload that is not JSON', `${header}.${b64url(enc.encode('{nope'))}.sig`],
      ['a header of impossible base64 length', `A.${payload}.sig`],
      ['a JSON null header', `${b64urlJson(null)}.${payload}.sig`],
    ])('rejects %s', async (_label, token) => {
      expect(await verifyJwt(token, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    });

    it.each([
      ['alg none', { alg: 'none', typ: 'JWT' }],
      ['alg HS512', { alg: 'HS512', typ: 'JWT' }],
      ['alg RS256', { alg: 'RS256' }],
      ['no alg', { typ: 'JWT' }],
    ])('rejects %s even when signed with the secret', async (_label, head) => {
      expect(await verifyJwt(await signRaw(head, { sub: 'a', role: 'admin' }), SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('rejects an unsigned alg-none token', async () => {
      const token = `${b64urlJson({ alg: 'none' })}.${payload}.`;
      expect(await verifyJwt(token, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('answers (never throws) for a signature of impossible base64 length', async () => {
      // One base64url character carries 6 bits, not a byte: decoding it fails.
      await expect(verifyJwt(`${header}.${payload}.A`, SECRET, NOW)).resolves.toEqual({ ok: false, reason: 'malformed' });
    });
  });
});
