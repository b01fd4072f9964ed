/**
 * HS256 JSON Web Tokens with WebCrypto (works in workerd, Node 22 and browsers). Only what
 * Quaycast needs: sign for the token script and tests, verify for the Worker.
 */
import { isRole, type Role } from './roles.ts';

export type Claims = { sub: string; name?: string; role: Role; exp?: number; iat?: number };

export type VerifyFailure = 'malformed' | 'bad_signature' | 'expired' | 'bad_claims';
export type VerifyResult = { ok: true; claims: Claims } | { ok: false; reason: VerifyFailure };

const enc = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, key);
  }
  return key;
}

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export async function signJwt(claims: Claims, secret: string): Promise<string> {
  const header = b64url(enc.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));
  const payload = b64url(enc.encode(JSON.stringify(claims)));
  const sig = await crypto.subtle.sign('HMAC', await hmacKey(secret), enc.encode(`${header}.${payload}`));
  return `${header}.${payload}.${b64url(new Uint8Array(sig))}`;
}

export async function verifyJwt(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<VerifyResult> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return { ok: false, reason: 'malformed' };
  const [header, payload, sig] = parts as [string, string, string];
  let head: unknown;
  let body: unknown;
  let signature: Uint8Array<ArrayBuffer>;
  try {
    head = JSON.parse(new TextDecoder().decode(fromB64url(header)));
    body = JSON.parse(new TextDecoder().decode(fromB64url(payload)));
    signature = fromB64url(sig); // atob throws on an impossible length (4n+1 characters)
  } catch {
    return { ok: false, reason: 'malformed' }; // not base64url JSON: a malformed token, not an error
  }
  if (typeof head !== 'object' || head === null || (head as { alg?: unknown }).alg !== 'HS256') return { ok: false, reason: 'malformed' };
  const valid = await crypto.subtle.verify('HMAC', await hmacKey(secret), signature, enc.encode(`${header}.${payload}`));
  if (!valid) return { ok: false, reason: 'bad_signature' };
  const c = body as Partial<Claims> | null;
  if (!c || typeof c !== 'object' || typeof c.sub !== 'string' || !isRole(c.role)) return { ok: false, reason: 'bad_claims' };
  if (typeof c.exp === 'number' && c.exp <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { sub: c.sub, role: c.role, ...(typeof c.name === 'string' ? { name: c.name } : {}), ...(typeof c.exp === 'number' ? { exp: c.exp } : {}) } };
}
