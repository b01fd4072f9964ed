/**
 * Server-side browser sessions (migrations/0007_sessions.sql). The cookie carries a random id; the
 * table keys rows by its SHA-256, so the id is a bearer secret that exists only in the browser.
 * A session holds the claims of the token that started it and ends with that token, on
 * DELETE /api/session, or when the JWT secret that verified the token is rotated out.
 */
import { CATEGORIES, type Category } from '../../protocol/enums.ts';
import type { Claims } from '../../protocol/jwt.ts';
import { isRole } from '../../protocol/roles.ts';
import type { Db } from './client.ts';

/** Sessions kept per token sub; starting one more ends the oldest (a wall of screens may share one token). */
export const MAX_SESSIONS_PER_SUB = 100;
/** Expired rows deleted per session start (the table is cleaned as it is used). */
const CLEANUP_ROWS = 100;

/** The cookie's id: 32 random bytes, base64url (43 characters). */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** A new session id (what the cookie holds). */
export function newSessionId(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function sha256(text: string): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

/** A short fingerprint of a JWT secret: which secret verified a session's token, without storing it. */
export async function keyTag(secret: string): Promise<string> {
  return (await sha256(`quaycast-session-key:${secret}`)).slice(0, 16);
}

/**
 * Stores a session for verified claims (exp included) and returns its id. In the same transaction:
 * expired rows (a bounded number) and this sub's sessions beyond MAX_SESSIONS_PER_SUB are deleted.
 */
export async function createSession(db: Db, claims: Claims, tag: string, now = Date.now()): Promise<string> {
  const id = newSessionId();
  const d1 = db.$client;
  await d1.batch([
    d1
      .prepare(
        'INSERT INTO sessions (id_hash, sub, role, name, categories, token_iat, expires_at, key_tag, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)',
      )
      .bind(
        await sha256(id),
        claims.sub,
        claims.role,
        claims.name ?? null,
        claims.categories ? JSON.stringify(claims.categories) : null,
        claims.iat ?? null,
        claims.exp,
        tag,
        now,
      ),
    d1
      .prepare('DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at <= ?1 LIMIT ?2)')
      .bind(Math.floor(now / 1000), CLEANUP_ROWS),
    d1
      .prepare(
        'DELETE FROM sessions WHERE sub = ?1 AND rowid NOT IN (SELECT rowid FROM sessions WHERE sub = ?1 ORDER BY created_at DESC LIMIT ?2)',
      )
      .bind(claims.sub, MAX_SESSIONS_PER_SUB),
  ]);
  return id;
}

export type SessionLookup = { ok: true; claims: Claims } | { ok: false; reason: 'unknown' | 'expired' | 'rotated' };

type Row = {
  sub: string;
  role: string;
  name: string | null;
  categories: string | null;
  token_iat: number | null;
  expires_at: number;
  key_tag: string;
};

function scopeOf(text: string | null): Category[] | undefined | null {
  if (text === null) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.length > 0 && v.every((c) => (CATEGORIES as readonly unknown[]).includes(c))
      ? (v as Category[])
      : null;
  } catch {
    return null;
  }
}

/**
 * The claims of a live session (with `sid`), or why there is none. An expired row is deleted
 * when it is found; `tags` are the fingerprints of the JWT secrets configured now.
 */
export async function findSession(
  db: Db,
  id: string,
  tags: readonly string[],
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SessionLookup> {
  const hash = await sha256(id);
  const row = await db.$client
    .prepare('SELECT sub, role, name, categories, token_iat, expires_at, key_tag FROM sessions WHERE id_hash = ?1')
    .bind(hash)
    .first<Row>();
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.expires_at <= nowSeconds) {
    await endSession(db, id);
    return { ok: false, reason: 'expired' };
  }
  if (!tags.includes(row.key_tag)) return { ok: false, reason: 'rotated' };
  const categories = scopeOf(row.categories);
  // A row this Worker did not write in this shape: no session (fail closed), never a wider one.
  if (!isRole(row.role) || categories === null) return { ok: false, reason: 'unknown' };
  return {
    ok: true,
    claims: {
      sub: row.sub,
      role: row.role,
      ...(row.name !== null ? { name: row.name } : {}),
      exp: row.expires_at,
      ...(row.token_iat !== null ? { iat: row.token_iat } : {}),
      ...(categories ? { categories } : {}),
      sid: hash.slice(0, 16),
    },
  };
}

/** Ends a session (deletes its row); true when there was one. */
export async function endSession(db: Db, id: string): Promise<boolean> {
  const result = await db.$client
    .prepare('DELETE FROM sessions WHERE id_hash = ?1')
    .bind(await sha256(id))
    .run();
  return (result.meta.changes ?? 0) > 0;
}
