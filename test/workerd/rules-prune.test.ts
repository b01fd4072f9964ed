/**
 * The cron prunes what rules left behind once it is RULES_KEEP_DAYS (90) old, in both storage
 * modes (archive bound or not): settled rows go, with their read marks and attempts; pending
 * deliveries, scheduled escalations, pending steps, rules and cursors stay, however old.
 */
import { createScheduledController, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../worker/index.ts';
import { createDb } from '../../worker/db/client.ts';
import { pruneRuleRecords } from '../../worker/db/rules.ts';
import { uid } from './helpers.ts';

const DAY_MS = 86_400_000;
const withoutArchive = { ...env, ARCHIVE: undefined } as unknown as Env;

/** One row of every kind at `at`, settled or not; returns the ids by table. */
async function seed(tag: string, at: number) {
  const id = (kind: string) => `${tag}-${kind}-${uid('p')}`;
  const ids = {
    notification: id('n'),
    delivered: id('dd'),
    pending: id('dp'),
    fired: id('ef'),
    scheduled: id('es'),
    stepDone: id('sd'),
    stepPending: id('sp'),
  };
  const ins = (sql: string, ...args: unknown[]) => env.DB.prepare(sql).bind(...args);
  await env.DB.batch([
    ins(
      `INSERT INTO notifications (id, recipient, rule_id, event_id, category, severity, title, kind, created_at)
       VALUES (?1, 'user:u1', NULL, 'e1', 'Ship', 'High', 't', 'rule', ?2)`,
      ids.notification,
      at,
    ),
    ins(
      `INSERT INTO notification_reads (notification_id, user_sub, read_at) VALUES (?1, 'u1', ?2)`,
      ids.notification,
      at,
    ),
    ...[
      [ids.delivered, 'delivered'],
      [ids.pending, 'pending'],
    ].map(([d, state]) =>
      ins(
        `INSERT INTO webhook_deliveries (id, rule_id, action_index, category, event_id, url, body, state, attempts, next_attempt_at, created_at)
         VALUES (?1, 'r1', 0, 'Ship', 'e1', 'https://example.com/h', '{}', ?2, 1, ?3, ?3)`,
        d,
        state,
        at,
      ),
    ),
    ins(
      `INSERT INTO webhook_attempts (delivery_id, n, at, status, latency_ms) VALUES (?1, 1, ?2, 200, 5)`,
      ids.delivered,
      at,
    ),
    ins(
      `INSERT INTO webhook_attempts (delivery_id, n, at, status, latency_ms) VALUES (?1, 1, ?2, 503, 5)`,
      ids.pending,
      at,
    ),
    ...[
      [ids.fired, 'fired', at],
      [ids.scheduled, 'scheduled', null],
    ].map(([e, state, settled]) =>
      ins(
        `INSERT INTO escalations (id, rule_id, category, event_id, seq, due_at, unless_state, action, state, settled_at)
         VALUES (?1, 'r1', 'Ship', 'e1', 1, ?2, 'acknowledged', '{}', ?3, ?4)`,
        e,
        at,
        state,
        settled,
      ),
    ),
    ...[
      [ids.stepDone, at],
      [ids.stepPending, null],
    ].map(([s, done]) =>
      ins(
        `INSERT INTO rule_steps (id, category, rule_id, event_id, seq, action, created_at, done_at, outcome)
         VALUES (?1, 'Ship', 'r1', 'e1', 1, '{}', ?2, ?3, ?4)`,
        s,
        at,
        done,
        done === null ? null : 'done',
      ),
    ),
  ]);
  return ids;
}

async function left(ids: Record<string, string>) {
  const all = JSON.stringify(Object.values(ids));
  const q = async (sql: string) =>
    (await env.DB.prepare(sql).bind(all).all<{ id: string }>()).results.map((r) => r.id).sort();
  const inList = 'IN (SELECT value FROM json_each(?1))';
  return {
    notifications: await q(`SELECT id FROM notifications WHERE id ${inList}`),
    reads: await q(`SELECT notification_id AS id FROM notification_reads WHERE notification_id ${inList}`),
    deliveries: await q(`SELECT id FROM webhook_deliveries WHERE id ${inList}`),
    attempts: await q(`SELECT delivery_id AS id FROM webhook_attempts WHERE delivery_id ${inList}`),
    escalations: await q(`SELECT id FROM escalations WHERE id ${inList}`),
    steps: await q(`SELECT id FROM rule_steps WHERE id ${inList}`),
  };
}

describe('rules > pruning by the cron', () => {
  for (const [mode, bindings] of [
    ['retention (no archive)', withoutArchive],
    ['archive', env],
  ] as const) {
    it(`deletes settled rule records older than RULES_KEEP_DAYS and keeps the rest (${mode})`, async () => {
      const now = Date.now();
      const old = await seed('old', now - 91 * DAY_MS);
      const recent = await seed('recent', now - 89 * DAY_MS);
      await worker.scheduled(createScheduledController({ scheduledTime: now, cron: '*/15 * * * *' }), bindings);
      expect(await left(old)).toEqual({
        notifications: [],
        reads: [],
        deliveries: [old.pending],
        attempts: [old.pending],
        escalations: [old.scheduled],
        steps: [old.stepPending],
      });
      const all = await left(recent);
      expect(all.notifications).toEqual([recent.notification]);
      expect(all.reads).toEqual([recent.notification]);
      expect(all.deliveries).toEqual([recent.delivered, recent.pending].sort());
      expect(all.attempts).toEqual([recent.delivered, recent.pending].sort());
      expect(all.escalations).toEqual([recent.fired, recent.scheduled].sort());
      expect(all.steps).toEqual([recent.stepDone, recent.stepPending].sort());
    });
  }

  it('deletes at most the bound a run, oldest first, and says more remain', async () => {
    const now = Date.now();
    const base = now - 400 * DAY_MS;
    const ids = Array.from({ length: 7 }, (_, i) => ({ id: `bound-${uid('n')}-${i}`, at: base + i }));
    await env.DB.batch(
      ids.map(({ id, at }) =>
        env.DB.prepare(
          `INSERT INTO notifications (id, recipient, rule_id, event_id, category, severity, title, kind, created_at)
           VALUES (?1, 'user:u2', NULL, 'e2', 'Ship', 'Low', 't', 'rule', ?2)`,
        ).bind(id, at),
      ),
    );
    const cutoff = base + 100;
    const first = await pruneRuleRecords(createDb(env.DB), cutoff, 4);
    expect(first).toMatchObject({ notifications: 4, more: true });
    const { results } = await env.DB.prepare(
      `SELECT id FROM notifications WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY created_at`,
    )
      .bind(JSON.stringify(ids.map((x) => x.id)))
      .all<{ id: string }>();
    expect(results.map((r) => r.id)).toEqual(ids.slice(4).map((x) => x.id));
    const second = await pruneRuleRecords(createDb(env.DB), cutoff, 4);
    expect(second.notifications).toBe(3);
  });
});
