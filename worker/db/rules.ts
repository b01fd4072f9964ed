/**
 * The rules' SQL (docs/rules.md): rules and their versions, the runner's cursor and its reads of
 * the changefeed, the effects a page records in one transaction with the cursor, webhook
 * deliveries and attempts, escalation timers, workflow steps, notifications. Multi-row inserts
 * pass their rows as one JSON parameter (json_each): D1 binds at most 100 parameters.
 */
import { CATEGORIES, type Category, type Status } from '../../protocol/enums.ts';
import type { QuaycastEvent } from '../../protocol/event.ts';
import type { Rule, RuleInput } from '../../protocol/rules.ts';
import { ROLES, type Role } from '../../protocol/roles.ts';
import type { Db } from './client.ts';
import type { EscalationRow, RuleStepRow, WebhookAttemptRow, WebhookDeliveryRow } from './schema.ts';

type RawRule = {
  id: string;
  version: number;
  paused: number;
  doc: string;
  secret: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
};

function toRule(r: RawRule): Rule & { secret: string } {
  const doc = JSON.parse(r.doc) as RuleInput;
  return {
    ...doc,
    id: r.id,
    paused: r.paused === 1,
    version: r.version,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    updatedBy: r.updated_by,
    secret: r.secret,
  };
}

const RULE_COLUMNS = 'id, version, paused, doc, secret, created_at, updated_at, updated_by';

/** Every rule not deleted, oldest first (with its secret: the caller decides who sees it). */
export async function listRules(db: Db): Promise<(Rule & { secret: string })[]> {
  const { results } = await db.$client
    .prepare(`SELECT ${RULE_COLUMNS} FROM rules WHERE deleted = 0 ORDER BY created_at, id`)
    .all<RawRule>();
  return results.map(toRule);
}

/** The rules that run: not deleted, not paused. */
export async function activeRules(db: Db): Promise<(Rule & { secret: string })[]> {
  const { results } = await db.$client
    .prepare(`SELECT ${RULE_COLUMNS} FROM rules WHERE deleted = 0 AND paused = 0 ORDER BY created_at, id`)
    .all<RawRule>();
  return results.map(toRule);
}

export async function findRule(db: Db, id: string): Promise<(Rule & { secret: string }) | undefined> {
  const row = await db.$client
    .prepare(`SELECT ${RULE_COLUMNS} FROM rules WHERE id = ?1 AND deleted = 0`)
    .bind(id)
    .first<RawRule>();
  return row ? toRule(row) : undefined;
}

export type RuleVersion = {
  version: number;
  at: string;
  actor: string;
  change: string;
  paused: boolean;
  rule: RuleInput;
};

export async function ruleVersions(db: Db, id: string): Promise<RuleVersion[]> {
  const { results } = await db.$client
    .prepare('SELECT version, doc, paused, at, actor, change FROM rule_versions WHERE rule_id = ?1 ORDER BY version')
    .bind(id)
    .all<{ version: number; doc: string; paused: number; at: number; actor: string; change: string }>();
  return results.map((r) => ({
    version: r.version,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    change: r.change,
    paused: r.paused === 1,
    rule: JSON.parse(r.doc) as RuleInput,
  }));
}

/**
 * Creates a rule (version 1) with its first version row, and starts every room's rule cursor at
 * the room's current seq if it has none: a rule acts on changes from its creation on, never on
 * the past.
 */
export async function insertRule(
  db: Db,
  r: { id: string; input: RuleInput; secret: string; at: number; actor: string },
): Promise<void> {
  const d1 = db.$client;
  const doc = JSON.stringify(r.input);
  const paused = r.input.paused ? 1 : 0;
  await d1.batch([
    d1
      .prepare(
        `INSERT INTO rules (id, version, paused, doc, secret, created_at, updated_at, updated_by) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?5, ?6)`,
      )
      .bind(r.id, paused, doc, r.secret, r.at, r.actor),
    d1
      .prepare(
        `INSERT INTO rule_versions (rule_id, version, doc, paused, at, actor, change) VALUES (?1, 1, ?2, ?3, ?4, ?5, 'created')`,
      )
      .bind(r.id, doc, paused, r.at, r.actor),
    startAllCursors(d1),
  ]);
}

/**
 * Starts every room's rule cursor at the room's current seq if it has none (batched with the write
 * that creates the first rule or subscription): what acts on changes does so from its creation on.
 */
export function startAllCursors(d1: D1Database): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO rule_cursors (category, seq)
       SELECT c.value, COALESCE((SELECT MAX(seq) FROM events WHERE category = c.value), 0) FROM json_each(?1) c WHERE true
       ON CONFLICT (category) DO NOTHING`,
    )
    .bind(JSON.stringify(CATEGORIES));
}

/**
 * A new version of a rule (an edit, a pause, a resume, a delete), if it is still at `expectedVersion`.
 * Saving a rule re-enables its webhook targets that a 410 disabled. Returns the new version, or
 * undefined when the rule is gone or was changed meanwhile.
 */
export async function updateRule(
  db: Db,
  r: {
    id: string;
    expectedVersion: number;
    input: RuleInput;
    at: number;
    actor: string;
    change: 'updated' | 'paused' | 'resumed' | 'deleted';
  },
): Promise<number | undefined> {
  const d1 = db.$client;
  const doc = JSON.stringify(r.input);
  const paused = r.input.paused ? 1 : 0;
  const next = r.expectedVersion + 1;
  const [updated] = await d1.batch<{ version: number }>([
    d1
      .prepare(
        `UPDATE rules SET version = ?1, paused = ?2, doc = ?3, updated_at = ?4, updated_by = ?5, deleted = ?6
         WHERE id = ?7 AND version = ?8 AND deleted = 0 RETURNING version`,
      )
      .bind(next, paused, doc, r.at, r.actor, r.change === 'deleted' ? 1 : 0, r.id, r.expectedVersion),
    d1
      .prepare(
        `INSERT INTO rule_versions (rule_id, version, doc, paused, at, actor, change)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM rules WHERE id = ?1 AND version = ?2 AND updated_at = ?5)`,
      )
      .bind(r.id, next, doc, paused, r.at, r.actor, r.change),
    d1
      .prepare(
        `DELETE FROM webhook_targets WHERE rule_id = ?1 AND EXISTS (SELECT 1 FROM rules WHERE id = ?1 AND version = ?2 AND deleted = 0)`,
      )
      .bind(r.id, next),
  ]);
  return updated?.results[0]?.version;
}

// -------------------------------------------------------------------------------------------------
// The runner's reads

/** The room's rule cursor, or undefined when no rule was ever created. */
export async function ruleCursor(db: Db, category: Category): Promise<number | undefined> {
  const row = await db.$client
    .prepare('SELECT seq FROM rule_cursors WHERE category = ?1')
    .bind(category)
    .first<{ seq: number }>();
  return row?.seq;
}

/** A change of the changefeed as the runner reads it: the row and the history entry of that seq. */
export type FeedChange = {
  id: string;
  seq: number;
  deleted: boolean;
  event: QuaycastEvent | undefined;
  actor: string | null;
  fromStatus: Status | null;
  toStatus: Status | null;
  /** True when a history entry exists for this seq: a workflow change, not a new event. */
  changed: boolean;
  /** The history entry's action (assign, acknowledge, …), null for a new event. */
  action: string | null;
};

/**
 * The room's changes with seq > after (and <= upTo), in seq order, with the history entry of each
 * seq; `onlyAssigned`: only events that have an assignee (all the built-in notification needs).
 */
export async function feedAfter(
  db: Db,
  category: Category,
  after: number,
  limit: number,
  opts: { onlyAssigned?: boolean; upTo?: number | undefined } = {},
): Promise<FeedChange[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT e.id, e.seq, e.deleted, e.doc, h.actor, h.from_status, h.to_status, h.action, h.event_id AS h_id
       FROM events e LEFT JOIN event_history h ON h.event_id = e.id AND h.seq = e.seq
       WHERE e.category = ?1 AND e.seq > ?2 AND e.seq <= ?4 AND (?5 = 0 OR e.assigned_to IS NOT NULL)
       ORDER BY e.seq LIMIT ?3`,
    )
    .bind(category, after, limit, opts.upTo ?? Number.MAX_SAFE_INTEGER, opts.onlyAssigned ? 1 : 0)
    .all<{
      id: string;
      seq: number;
      deleted: number;
      doc: string;
      actor: string | null;
      from_status: Status | null;
      to_status: Status | null;
      action: string | null;
      h_id: string | null;
    }>();
  return results.map((r) => ({
    id: r.id,
    seq: r.seq,
    deleted: r.deleted === 1,
    event: r.deleted === 1 ? undefined : { ...(JSON.parse(r.doc) as Omit<QuaycastEvent, 'seq'>), seq: r.seq },
    actor: r.actor,
    fromStatus: r.from_status,
    toStatus: r.to_status,
    changed: r.h_id !== null,
    action: r.action,
  }));
}

/** The stored events received since `since` (newest first, at most `limit`), for a rule's try. */
export async function recentEvents(db: Db, since: number, limit: number): Promise<QuaycastEvent[]> {
  const { results } = await db.$client
    .prepare(
      'SELECT seq, doc FROM events WHERE deleted = 0 AND received_at >= ?1 ORDER BY received_at DESC, id DESC LIMIT ?2',
    )
    .bind(since, limit)
    .all<{ seq: number; doc: string }>();
  return results.map((r) => ({ ...(JSON.parse(r.doc) as Omit<QuaycastEvent, 'seq'>), seq: r.seq }));
}

/** One event's current state (undefined when gone or deleted). */
export async function currentEvent(db: Db, id: string): Promise<QuaycastEvent | undefined> {
  const row = await db.$client
    .prepare('SELECT seq, doc FROM events WHERE id = ?1 AND deleted = 0')
    .bind(id)
    .first<{ seq: number; doc: string }>();
  return row ? { ...(JSON.parse(row.doc) as Omit<QuaycastEvent, 'seq'>), seq: row.seq } : undefined;
}

// -------------------------------------------------------------------------------------------------
// Effects, recorded in one transaction

export type NotificationInsert = {
  id: string;
  recipient: string;
  ruleId: string | null;
  eventId: string;
  category: Category;
  severity: string;
  title: string;
  kind: 'rule' | 'assigned' | 'escalation';
  createdAt: number;
};
export type DeliveryInsert = {
  id: string;
  ruleId: string;
  actionIndex: number;
  category: Category;
  eventId: string;
  url: string;
  body: string;
  createdAt: number;
};
export type EscalationInsert = {
  id: string;
  ruleId: string;
  category: Category;
  eventId: string;
  seq: number;
  dueAt: number;
  unlessState: string;
  action: string;
};
export type StepInsert = {
  id: string;
  category: Category;
  ruleId: string;
  eventId: string;
  seq: number;
  action: string;
  createdAt: number;
};

export type Effects = {
  notifications: NotificationInsert[];
  deliveries: DeliveryInsert[];
  escalations: EscalationInsert[];
  steps: StepInsert[];
  /** Escalations of these events to cancel, by the state that cancels them. */
  cancel: { eventId: string; unless: ('acknowledged' | 'resolved')[] }[];
};

export const noEffects = (): Effects => ({ notifications: [], deliveries: [], escalations: [], steps: [], cancel: [] });

function effectStatements(d1: D1Database, e: Effects, now: number): D1PreparedStatement[] {
  const s: D1PreparedStatement[] = [];
  if (e.notifications.length > 0)
    s.push(
      d1
        .prepare(
          `INSERT INTO notifications (id, recipient, rule_id, event_id, category, severity, title, kind, created_at)
           SELECT json_extract(value, '$.id'), json_extract(value, '$.recipient'), json_extract(value, '$.ruleId'),
             json_extract(value, '$.eventId'), json_extract(value, '$.category'), json_extract(value, '$.severity'),
             json_extract(value, '$.title'), json_extract(value, '$.kind'), json_extract(value, '$.createdAt')
           FROM json_each(?1) WHERE true ON CONFLICT (id) DO NOTHING`,
        )
        .bind(JSON.stringify(e.notifications)),
    );
  if (e.deliveries.length > 0)
    s.push(
      d1
        .prepare(
          `INSERT INTO webhook_deliveries (id, rule_id, action_index, category, event_id, url, body, state, next_attempt_at, created_at)
           SELECT json_extract(j.value, '$.id'), json_extract(j.value, '$.ruleId'), json_extract(j.value, '$.actionIndex'),
             json_extract(j.value, '$.category'), json_extract(j.value, '$.eventId'), json_extract(j.value, '$.url'),
             json_extract(j.value, '$.body'),
             CASE WHEN EXISTS (SELECT 1 FROM webhook_targets t WHERE t.rule_id = json_extract(j.value, '$.ruleId')
               AND t.action_index = json_extract(j.value, '$.actionIndex')) THEN 'disabled' ELSE 'pending' END,
             json_extract(j.value, '$.createdAt'), json_extract(j.value, '$.createdAt')
           FROM json_each(?1) j WHERE true ON CONFLICT (id) DO NOTHING`,
        )
        .bind(JSON.stringify(e.deliveries)),
    );
  if (e.escalations.length > 0)
    s.push(
      d1
        .prepare(
          `INSERT INTO escalations (id, rule_id, category, event_id, seq, due_at, unless_state, action, state)
           SELECT json_extract(value, '$.id'), json_extract(value, '$.ruleId'), json_extract(value, '$.category'),
             json_extract(value, '$.eventId'), json_extract(value, '$.seq'), json_extract(value, '$.dueAt'),
             json_extract(value, '$.unlessState'), json_extract(value, '$.action'), 'scheduled'
           FROM json_each(?1) WHERE true ON CONFLICT (id) DO NOTHING`,
        )
        .bind(JSON.stringify(e.escalations)),
    );
  if (e.steps.length > 0)
    s.push(
      d1
        .prepare(
          `INSERT INTO rule_steps (id, category, rule_id, event_id, seq, action, created_at)
           SELECT json_extract(value, '$.id'), json_extract(value, '$.category'), json_extract(value, '$.ruleId'),
             json_extract(value, '$.eventId'), json_extract(value, '$.seq'), json_extract(value, '$.action'),
             json_extract(value, '$.createdAt')
           FROM json_each(?1) WHERE true ON CONFLICT (id) DO NOTHING`,
        )
        .bind(JSON.stringify(e.steps)),
    );
  const cancel = e.cancel.flatMap((c) => c.unless.map((u) => ({ eventId: c.eventId, unless: u })));
  if (cancel.length > 0)
    s.push(
      d1
        .prepare(
          `UPDATE escalations SET state = 'cancelled', settled_at = ?2
           WHERE state = 'scheduled' AND EXISTS (SELECT 1 FROM json_each(?1) j
             WHERE json_extract(j.value, '$.eventId') = escalations.event_id AND json_extract(j.value, '$.unless') = escalations.unless_state)`,
        )
        .bind(JSON.stringify(cancel), now),
    );
  return s;
}

/**
 * Records a page's effects and moves the room's cursor from `from` to `to`, in one transaction:
 * both or neither. Effect ids are deterministic, so a page recorded twice creates nothing twice.
 */
export async function recordPage(
  db: Db,
  page: { category: Category; from: number; to: number; effects: Effects; now: number },
): Promise<boolean> {
  const d1 = db.$client;
  const results = await d1.batch([
    ...effectStatements(d1, page.effects, page.now),
    d1
      .prepare('UPDATE rule_cursors SET seq = ?3 WHERE category = ?1 AND seq = ?2')
      .bind(page.category, page.from, page.to),
  ]);
  // False when the cursor was not at `from` (moved by someone else): the caller reads it again.
  return (results.at(-1)?.meta.changes ?? 0) > 0;
}

/** Starts a room's cursor (no rule existed when its changes were made; nothing to evaluate). */
export async function startCursor(db: Db, category: Category, seq: number): Promise<void> {
  await db.$client
    .prepare('INSERT INTO rule_cursors (category, seq) VALUES (?1, ?2) ON CONFLICT (category) DO NOTHING')
    .bind(category, seq)
    .run();
}

// -------------------------------------------------------------------------------------------------
// The runner's schedule

/** The earliest time something of this room is due: a delivery attempt, an escalation, or a pending step (now). */
export async function nextDue(db: Db, category: Category): Promise<number | undefined> {
  const row = await db.$client
    .prepare(
      `SELECT MIN(t) AS t FROM (
         SELECT MIN(next_attempt_at) AS t FROM webhook_deliveries WHERE category = ?1 AND state = 'pending'
         UNION ALL SELECT MIN(due_at) FROM escalations WHERE category = ?1 AND state = 'scheduled'
         UNION ALL SELECT MIN(created_at) FROM rule_steps WHERE category = ?1 AND done_at IS NULL)`,
    )
    .bind(category)
    .first<{ t: number | null }>();
  return row?.t ?? undefined;
}

type RawDelivery = {
  id: string;
  rule_id: string;
  action_index: number;
  category: Category;
  event_id: string;
  url: string;
  body: string;
  state: WebhookDeliveryRow['state'];
  attempts: number;
  next_attempt_at: number | null;
  created_at: number;
  delivered_at: number | null;
  last_status: number | null;
  last_error: string | null;
};
const toDelivery = (r: RawDelivery): WebhookDeliveryRow => ({
  id: r.id,
  ruleId: r.rule_id,
  actionIndex: r.action_index,
  category: r.category,
  eventId: r.event_id,
  url: r.url,
  body: r.body,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
});

export async function dueDeliveries(
  db: Db,
  category: Category,
  now: number,
  limit: number,
): Promise<WebhookDeliveryRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT * FROM webhook_deliveries WHERE category = ?1 AND state = 'pending' AND next_attempt_at <= ?2
       ORDER BY next_attempt_at LIMIT ?3`,
    )
    .bind(category, now, limit)
    .all<RawDelivery>();
  return results.map(toDelivery);
}

export type AttemptOutcome = {
  at: number;
  status: number | null;
  latencyMs: number;
  error: string | null;
  response: string | null;
  /** The delivery after the attempt. */
  state: WebhookDeliveryRow['state'];
  nextAttemptAt: number | null;
  /** 410: the target is disabled, with this reason. */
  disableTarget?: string;
};

/**
 * Records attempts and the deliveries' new states (and, on 410, disables the target), all in one
 * transaction: a run's attempts cost one D1 round trip.
 */
export async function recordAttempts(
  db: Db,
  attempts: { delivery: WebhookDeliveryRow; outcome: AttemptOutcome }[],
): Promise<void> {
  if (attempts.length === 0) return;
  const d1 = db.$client;
  const statements: D1PreparedStatement[] = [];
  for (const { delivery: d, outcome: o } of attempts) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO webhook_attempts (delivery_id, n, at, status, latency_ms, error, response)
           VALUES (?1, (SELECT COALESCE(MAX(n), 0) + 1 FROM webhook_attempts WHERE delivery_id = ?1), ?2, ?3, ?4, ?5, ?6)`,
        )
        .bind(d.id, o.at, o.status, o.latencyMs, o.error, o.response),
      d1
        .prepare(
          `UPDATE webhook_deliveries SET state = ?2, attempts = attempts + 1, next_attempt_at = ?3, last_status = ?4,
             last_error = ?5, delivered_at = CASE WHEN ?2 = 'delivered' THEN ?6 ELSE delivered_at END
           WHERE id = ?1`,
        )
        .bind(d.id, o.state, o.nextAttemptAt, o.status, o.error, o.at),
    );
    if (o.disableTarget !== undefined)
      statements.push(
        d1
          .prepare(
            `INSERT INTO webhook_targets (rule_id, action_index, disabled_at, reason) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (rule_id, action_index) DO NOTHING`,
          )
          .bind(d.ruleId, d.actionIndex, o.at, o.disableTarget),
        d1
          .prepare(
            `UPDATE webhook_deliveries SET state = 'disabled', next_attempt_at = NULL
             WHERE rule_id = ?1 AND action_index = ?2 AND state = 'pending'`,
          )
          .bind(d.ruleId, d.actionIndex),
      );
  }
  await d1.batch(statements);
}

/** Puts a failed or disabled delivery back to pending with a fresh attempt budget; its category, or undefined. */
export async function replayDelivery(db: Db, id: string, now: number): Promise<Category | undefined> {
  const row = await db.$client
    .prepare(
      `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?2
       WHERE id = ?1 AND state IN ('failed', 'disabled') RETURNING category`,
    )
    .bind(id, now)
    .first<{ category: Category }>();
  return row?.category;
}

export async function findDelivery(db: Db, id: string): Promise<WebhookDeliveryRow | undefined> {
  const row = await db.$client.prepare('SELECT * FROM webhook_deliveries WHERE id = ?1').bind(id).first<RawDelivery>();
  return row ? toDelivery(row) : undefined;
}

/** A rule's newest deliveries with their attempts (oldest attempt first). */
export async function deliveriesOfRule(
  db: Db,
  ruleId: string,
  limit: number,
): Promise<(WebhookDeliveryRow & { attemptLog: Omit<WebhookAttemptRow, 'deliveryId'>[] })[]> {
  const d1 = db.$client;
  const { results } = await d1
    .prepare('SELECT * FROM webhook_deliveries WHERE rule_id = ?1 ORDER BY created_at DESC, id LIMIT ?2')
    .bind(ruleId, limit)
    .all<RawDelivery>();
  if (results.length === 0) return [];
  const attempts = await d1
    .prepare(
      `SELECT delivery_id, n, at, status, latency_ms, error, response FROM webhook_attempts
       WHERE delivery_id IN (SELECT value FROM json_each(?1)) ORDER BY delivery_id, n`,
    )
    .bind(JSON.stringify(results.map((r) => r.id)))
    .all<{
      delivery_id: string;
      n: number;
      at: number;
      status: number | null;
      latency_ms: number;
      error: string | null;
      response: string | null;
    }>();
  const byDelivery = new Map<string, Omit<WebhookAttemptRow, 'deliveryId'>[]>();
  for (const a of attempts.results) {
    const list = byDelivery.get(a.delivery_id) ?? [];
    list.push({ n: a.n, at: a.at, status: a.status, latencyMs: a.latency_ms, error: a.error, response: a.response });
    byDelivery.set(a.delivery_id, list);
  }
  return results.map((r) => ({ ...toDelivery(r), attemptLog: byDelivery.get(r.id) ?? [] }));
}

// -------------------------------------------------------------------------------------------------
// Escalations and steps

export async function dueEscalations(db: Db, category: Category, now: number, limit: number): Promise<EscalationRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT id, rule_id AS ruleId, category, event_id AS eventId, seq, due_at AS dueAt, unless_state AS unlessState,
         action, state, settled_at AS settledAt
       FROM escalations WHERE category = ?1 AND state = 'scheduled' AND due_at <= ?2 ORDER BY due_at LIMIT ?3`,
    )
    .bind(category, now, limit)
    .all<EscalationRow>();
  return results;
}

/**
 * Settles an escalation: `fired` with the effects of its steps (recorded in the same transaction,
 * deterministic ids: settling twice creates nothing twice), or `cancelled`. Only a scheduled one moves.
 */
export async function settleEscalation(
  db: Db,
  id: string,
  outcome: 'fired' | 'cancelled',
  effects: Effects,
  now: number,
): Promise<void> {
  const d1 = db.$client;
  await d1.batch([
    ...(outcome === 'fired' ? effectStatements(d1, effects, now) : []),
    d1
      .prepare(`UPDATE escalations SET state = ?2, settled_at = ?3 WHERE id = ?1 AND state = 'scheduled'`)
      .bind(id, outcome, now),
  ]);
}

export async function pendingSteps(db: Db, category: Category, limit: number): Promise<RuleStepRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT id, category, rule_id AS ruleId, event_id AS eventId, seq, action, created_at AS createdAt,
         done_at AS doneAt, outcome
       FROM rule_steps WHERE category = ?1 AND done_at IS NULL ORDER BY created_at, id LIMIT ?2`,
    )
    .bind(category, limit)
    .all<RuleStepRow>();
  return results;
}

export async function finishStep(db: Db, id: string, outcome: string, now: number): Promise<void> {
  await db.$client
    .prepare('UPDATE rule_steps SET done_at = ?2, outcome = ?3 WHERE id = ?1')
    .bind(id, now, outcome)
    .run();
}

// -------------------------------------------------------------------------------------------------
// Notifications

/** The recipients a user reads: their own, and their role's and every role below it. */
export function recipientsOf(sub: string, role: Role): string[] {
  return [`user:${sub}`, ...ROLES.slice(0, ROLES.indexOf(role) + 1).map((r) => `role:${r}`)];
}

export type NotificationView = {
  id: string;
  ruleId: string | null;
  eventId: string;
  category: Category;
  severity: string;
  title: string;
  kind: string;
  createdAt: string;
  read: boolean;
};

/** A user's newest notifications and their unread count (over all of them, not the page). */
export async function notificationsFor(
  db: Db,
  user: { sub: string; role: Role },
  limit: number,
): Promise<{ unread: number; data: NotificationView[] }> {
  const d1 = db.$client;
  const recipients = JSON.stringify(recipientsOf(user.sub, user.role));
  const [list, count] = await d1.batch<Record<string, unknown>>([
    d1
      .prepare(
        `SELECT n.id, n.rule_id, n.event_id, n.category, n.severity, n.title, n.kind, n.created_at, r.read_at
         FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_sub = ?2
         WHERE n.recipient IN (SELECT value FROM json_each(?1)) ORDER BY n.created_at DESC, n.id LIMIT ?3`,
      )
      .bind(recipients, user.sub, limit),
    d1
      .prepare(
        `SELECT COUNT(*) AS n FROM notifications n WHERE n.recipient IN (SELECT value FROM json_each(?1))
         AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_sub = ?2)`,
      )
      .bind(recipients, user.sub),
  ]);
  const data = (list?.results ?? []).map((r) => ({
    id: r.id as string,
    ruleId: r.rule_id as string | null,
    eventId: r.event_id as string,
    category: r.category as Category,
    severity: r.severity as string,
    title: r.title as string,
    kind: r.kind as string,
    createdAt: new Date(r.created_at as number).toISOString(),
    read: r.read_at !== null,
  }));
  return { unread: Number(count?.results[0]?.n ?? 0), data };
}

/** Marks these notifications (or all of the user's, `ids` undefined) read for the user. */
export async function markNotificationsRead(
  db: Db,
  user: { sub: string; role: Role },
  ids: string[] | undefined,
  now: number,
): Promise<void> {
  const recipients = JSON.stringify(recipientsOf(user.sub, user.role));
  await db.$client
    .prepare(
      `INSERT INTO notification_reads (notification_id, user_sub, read_at)
       SELECT n.id, ?2, ?3 FROM notifications n WHERE n.recipient IN (SELECT value FROM json_each(?1))
         AND (?4 IS NULL OR n.id IN (SELECT value FROM json_each(?4)))
       ON CONFLICT (notification_id, user_sub) DO NOTHING`,
    )
    .bind(recipients, user.sub, now, ids === undefined ? null : JSON.stringify(ids))
    .run();
}

/** What one prune run deleted, per table. */
export type RulePruneReport = {
  notifications: number;
  deliveries: number;
  attempts: number;
  escalations: number;
  steps: number;
  /** True when a table had more old rows than one run deletes: the next run continues. */
  more: boolean;
};

/**
 * Deletes, oldest first and at most `limit` rows a table, what rules left behind before `cutoff`
 * (ms): notifications (read or not) with their read marks, webhook deliveries no longer pending
 * with their attempts, settled escalations, and workflow steps carried out. Pending deliveries,
 * scheduled escalations, pending steps, rules, their versions and the runners' cursors stay. One
 * D1 transaction.
 */
export async function pruneRuleRecords(db: Db, cutoff: number, limit: number): Promise<RulePruneReport> {
  const d1 = db.$client;
  const oldNotifications = `SELECT id FROM notifications WHERE created_at < ?1 ORDER BY created_at LIMIT ?2`;
  const oldDeliveries = `SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND created_at < ?1 ORDER BY created_at LIMIT ?2`;
  const results = await d1.batch([
    d1.prepare(`DELETE FROM notification_reads WHERE notification_id IN (${oldNotifications})`).bind(cutoff, limit),
    d1.prepare(`DELETE FROM notifications WHERE id IN (${oldNotifications})`).bind(cutoff, limit),
    d1.prepare(`DELETE FROM webhook_attempts WHERE delivery_id IN (${oldDeliveries})`).bind(cutoff, limit),
    d1.prepare(`DELETE FROM webhook_deliveries WHERE id IN (${oldDeliveries})`).bind(cutoff, limit),
    d1
      .prepare(
        `DELETE FROM escalations WHERE id IN (SELECT id FROM escalations WHERE state <> 'scheduled' AND settled_at < ?1 ORDER BY settled_at LIMIT ?2)`,
      )
      .bind(cutoff, limit),
    d1
      .prepare(
        `DELETE FROM rule_steps WHERE id IN (SELECT id FROM rule_steps WHERE done_at IS NOT NULL AND done_at < ?1 ORDER BY done_at LIMIT ?2)`,
      )
      .bind(cutoff, limit),
  ]);
  const changed = results.map((r) => r.meta.changes ?? 0);
  const [, notifications = 0, attempts = 0, deliveries = 0, escalations = 0, steps = 0] = changed;
  return {
    notifications,
    deliveries,
    attempts,
    escalations,
    steps,
    more: [notifications, deliveries, escalations, steps].some((n) => n >= limit),
  };
}
