/**
 * DCSA TNT 2.2 event subscriptions' SQL (migrations/0016_dcsa_subscriptions.sql, docs/dcsa.md):
 * create (starting the rule runners' cursors, as a first rule does), read, page, alter, rotate the
 * secret, delete. Their callbacks live in webhook_deliveries (worker/rules/dcsa-callback.ts).
 */
import { type DcsaSubscriptionFilters, filtersOf } from '../../protocol/schemas/dcsa-subscription.ts';
import { dcsaRuleId } from '../rules/dcsa-callback.ts';
import type { Db } from './client.ts';
import { startAllCursors } from './rules.ts';

/** A stored subscription (the secret only for the runner: never answered). */
export type StoredSubscription = {
  id: string;
  callbackUrl: string;
  filters: DcsaSubscriptionFilters;
  secret: string;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
};

type Raw = {
  id: string;
  callback_url: string;
  filters: string;
  secret: string;
  created_at: number;
  updated_at: number;
  created_by: string;
};
const COLUMNS = 'id, callback_url, filters, secret, created_at, updated_at, created_by';
const toSubscription = (r: Raw): StoredSubscription => ({
  id: r.id,
  callbackUrl: r.callback_url,
  filters: filtersOf(JSON.parse(r.filters) as Record<string, unknown>),
  secret: r.secret,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  createdBy: r.created_by,
});

export async function insertSubscription(
  db: Db,
  s: { id: string; callbackUrl: string; filters: DcsaSubscriptionFilters; secret: string; at: number; actor: string },
): Promise<void> {
  const d1 = db.$client;
  await d1.batch([
    d1
      .prepare(`INSERT INTO dcsa_subscriptions (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)`)
      .bind(s.id, s.callbackUrl, JSON.stringify(s.filters), s.secret, s.at, s.actor),
    startAllCursors(d1),
  ]);
}

export async function findSubscription(db: Db, id: string): Promise<StoredSubscription | undefined> {
  const row = await db.$client.prepare(`SELECT ${COLUMNS} FROM dcsa_subscriptions WHERE id = ?1`).bind(id).first<Raw>();
  return row ? toSubscription(row) : undefined;
}

/** Every subscription, oldest first (the runner's read; a small table). */
export async function allSubscriptions(db: Db): Promise<StoredSubscription[]> {
  const { results } = await db.$client
    .prepare(`SELECT ${COLUMNS} FROM dcsa_subscriptions ORDER BY created_at, id`)
    .all<Raw>();
  return results.map(toSubscription);
}

/** How many subscriptions there are (the create route's limit). */
export async function countSubscriptions(db: Db): Promise<number> {
  const row = await db.$client.prepare('SELECT COUNT(*) AS n FROM dcsa_subscriptions').first<{ n: number }>();
  return row?.n ?? 0;
}

/** Position of a page of subscriptions: after this (created_at, id), or from the start. */
export type SubscriptionPosition = { createdAt: number; id: string } | undefined;

/** Up to `limit` subscriptions after `after`, oldest first, and whether more follow. */
export async function pageSubscriptions(
  db: Db,
  after: SubscriptionPosition,
  limit: number,
): Promise<{ rows: StoredSubscription[]; more: boolean }> {
  const { results } = await db.$client
    .prepare(
      `SELECT ${COLUMNS} FROM dcsa_subscriptions WHERE (created_at, id) > (?1, ?2) ORDER BY created_at, id LIMIT ?3`,
    )
    .bind(after?.createdAt ?? -1, after?.id ?? '', limit + 1)
    .all<Raw>();
  return { rows: results.slice(0, limit).map(toSubscription), more: results.length > limit };
}

/** Alters callback and filters; false when the subscription is gone. */
export async function updateSubscription(
  db: Db,
  s: { id: string; callbackUrl: string; filters: DcsaSubscriptionFilters; at: number },
): Promise<boolean> {
  const d1 = db.$client;
  // A callback moved elsewhere: the old target's 410 no longer holds, as when a rule is saved.
  const [updated] = await d1.batch([
    d1
      .prepare('UPDATE dcsa_subscriptions SET callback_url = ?2, filters = ?3, updated_at = ?4 WHERE id = ?1')
      .bind(s.id, s.callbackUrl, JSON.stringify(s.filters), s.at),
    d1.prepare('DELETE FROM webhook_targets WHERE rule_id = ?1').bind(dcsaRuleId(s.id)),
  ]);
  return (updated?.meta.changes ?? 0) > 0;
}

/** Rotates the secret (later attempts, including retries of earlier callbacks, sign with it); false when gone. */
export async function setSubscriptionSecret(db: Db, id: string, secret: string, at: number): Promise<boolean> {
  const res = await db.$client
    .prepare('UPDATE dcsa_subscriptions SET secret = ?2, updated_at = ?3 WHERE id = ?1')
    .bind(id, secret, at)
    .run();
  return res.meta.changes > 0;
}

/** Deletes a subscription; its pending callbacks fail at their next attempt ("the subscription was deleted"). */
export async function deleteSubscription(db: Db, id: string): Promise<boolean> {
  const res = await db.$client.prepare('DELETE FROM dcsa_subscriptions WHERE id = ?1').bind(id).run();
  return res.meta.changes > 0;
}
