/**
 * People's tokens: HS256 JSON Web Tokens, signed and verified with `jose` (WebCrypto: workerd,
 * Node 22 and browsers alike). Only HS256 is accepted; a token must carry a numeric `exp`, may
 * live at most `maxLifetimeSeconds`, and its `nbf`/`iat` are judged with a small clock tolerance.
 * Every refusal names the check that failed (the Worker's 401 message), and nothing a signed
 * payload holds makes this throw.
 */
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { CATEGORIES, type Category } from './enums.ts';
import { isRole, type Role } from './roles.ts';

/**
 * The verified claims, as the Worker puts them in `c.get('user')` (contract 1). `categories`
 * absent = every category the role allows; `sid` is set by the Worker (never taken from a
 * token) when a session cookie authenticated the request.
 */
export type Claims = {
  sub: string;
  role: Role;
  name?: string;
  exp: number;
  iat?: number;
  categories?: Category[];
  sid?: string;
};

/** What signJwt writes: the claims plus the registered ones a deployment may check. */
export type TokenClaims = Omit<Claims, 'sid'> & { nbf?: number; iss?: string; aud?: string | string[] };

export type VerifyFailure =
  | 'malformed'
  | 'bad_algorithm'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_exp'
  | 'lifetime_too_long'
  | 'bad_issuer'
  | 'bad_audience'
  | 'bad_claims';

/** `secretIndex`: which of the secrets verified the signature (0 = the current one). */
export type VerifyResult =
  | { ok: true; claims: Claims; secretIndex: number }
  | { ok: false; reason: VerifyFailure; message: string };

export type VerifyOptions = {
  /** The clock, seconds since the epoch (tests); default now. */
  nowSeconds?: number;
  /** Longest lifetime accepted: exp − iat, or exp − now without iat (JWT_MAX_LIFETIME_S). */
  maxLifetimeSeconds?: number;
  /** Slack for clocks that disagree, applied to exp, nbf and iat. */
  clockToleranceSeconds?: number;
  /** When set, `iss` must equal it (JWT_ISSUER). */
  issuer?: string;
  /** When set, `aud` must be or contain it (JWT_AUDIENCE). */
  audience?: string;
};

/** Default of JWT_MAX_LIFETIME_S: a working day and then some; a stolen token is worth a day at most. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 86_400;
/** Clock tolerance for exp, nbf and iat (docs/security.md). */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** Longest token read at all: ours are a few hundred characters. */
export const MAX_TOKEN_CHARS = 8192;

const enc = new TextEncoder();
/** Imported keys by secret; a handful of secrets are ever live, the cap keeps hostile callers (tests) from growing it. */
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 8;

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value!);
    key = crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** Signs claims as an HS256 JWT (the token script, `npm start`, tests). */
export async function signJwt(claims: TokenClaims, secret: string): Promise<string> {
  return new SignJWT({ ...claims } as JWTPayload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(await hmacKey(secret));
}

const fail = (reason: VerifyFailure, message: string): VerifyResult => ({ ok: false, reason, message });

/** jose's refusal as one of ours, with a message naming the check. */
function joseFailure(err: unknown): VerifyResult {
  if (err instanceof errors.JWTExpired) {
    return err.claim === 'exp'
      ? fail('expired', 'the token has expired (exp is in the past)')
      : fail('lifetime_too_long', 'the token is too old (iat)');
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf')
      return err.reason === 'invalid'
        ? fail('bad_claims', 'the token nbf claim is not a number')
        : fail('not_yet_valid', 'the token is not valid yet (nbf is in the future)');
    if (err.claim === 'iss')
      return fail(
        'bad_issuer',
        err.reason === 'missing'
          ? 'the token has no iss claim; this API requires one'
          : 'the token iss claim names another issuer',
      );
    if (err.claim === 'aud')
      return fail(
        'bad_audience',
        err.reason === 'missing'
          ? 'the token has no aud claim; this API requires one'
          : 'the token aud claim names another audience',
      );
    if (err.claim === 'exp') return fail('missing_exp', 'the token exp claim is not a number');
    return fail('bad_claims', `the token ${err.claim} claim is invalid`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return fail('bad_algorithm', 'the token is not signed with HS256');
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return fail('bad_signature', 'the token signature is invalid');
  // JWSInvalid, JWTInvalid, JOSENotSupported (e.g. crit), a TypeError from a hostile header: not a token we read.
  return fail('malformed', 'the token is not a well-formed JWT');
}

/** The `categories` claim as a scope: undefined when absent; null when present but not a non-empty list of known categories. */
function scopeOf(value: unknown): Category[] | undefined | null {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > 64) return null;
  const set = new Set<string>();
  for (const v of value) {
    if (typeof v !== 'string' || !(CATEGORIES as readonly string[]).includes(v)) return null;
    set.add(v);
  }
  return CATEGORIES.filter((c) => set.has(c)); // de-duplicated, in the canonical order
}

/**
 * Verifies an HS256 token against the secret (or, during a rotation, any of `secrets`, newest
 * first) and the options; never throws.
 */
export async function verifyJwt(
  token: string,
  secrets: string | readonly string[],
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const list = (typeof secrets === 'string' ? [secrets] : secrets).filter((s) => s.length > 0);
  if (list.length === 0) return fail('bad_signature', 'no secret to verify the token with');
  if (token.length > MAX_TOKEN_CHARS)
    return fail('malformed', `the token is longer than ${MAX_TOKEN_CHARS} characters`);
  // Compact JWS is three base64url segments; base64 decoders skip whitespace and padding, we do not.
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token))
    return fail('malformed', 'the token is not a well-formed JWT');
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS;
  let payload: JWTPayload | undefined;
  let secretIndex = 0;
  let last: VerifyResult = fail('malformed', 'the token is not a well-formed JWT');
  for (const [i, secret] of list.entries()) {
    secretIndex = i;
    try {
      ({ payload } = await jwtVerify(token, await hmacKey(secret), {
        algorithms: ['HS256'],
        currentDate: new Date(now * 1000),
        clockTolerance: tolerance,
        requiredClaims: ['exp'],
        ...(options.issuer ? { issuer: options.issuer } : {}),
        ...(options.audience ? { audience: options.audience } : {}),
      }));
      break;
    } catch (err) {
      last =
        err instanceof errors.JWTClaimValidationFailed && err.claim === 'exp' && err.reason === 'missing'
          ? fail('missing_exp', 'the token has no exp claim; tokens must expire')
          : joseFailure(err);
      // Only a bad signature may mean "signed with the other secret": any other refusal is final.
      if (last.ok || last.reason !== 'bad_signature') return last;
    }
  }
  if (!payload) return last;
  const { exp, iat } = payload as { exp: number; iat?: number };
  if (iat !== undefined && iat > now + tolerance)
    return fail('not_yet_valid', 'the token was issued in the future (iat)');
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  // exp far in the future (1e20, 2^63) ends here, long before anything turns it into a Date.
  if (exp - Math.min(iat ?? now, now) > maxLifetime)
    return fail('lifetime_too_long', `the token lives longer than the ${maxLifetime} s this API accepts (exp − iat)`);
  const { sub, role, name } = payload as { sub?: unknown; role?: unknown; name?: unknown };
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200)
    return fail('bad_claims', 'the token sub claim must be a string of 1 to 200 characters');
  if (!isRole(role)) return fail('bad_claims', 'the token role claim must be viewer, producer, operator or admin');
  const categories = scopeOf((payload as { categories?: unknown }).categories);
  if (categories === null)
    return fail(
      'bad_claims',
      'the token categories claim must be a non-empty list of Container, Ship, Berth, Port, System',
    );
  return {
    ok: true,
    secretIndex,
    claims: {
      sub,
      role,
      ...(typeof name === 'string' && name.length <= 200 ? { name } : {}),
      exp,
      ...(iat !== undefined ? { iat } : {}),
      ...(categories ? { categories } : {}),
    },
  };
}
