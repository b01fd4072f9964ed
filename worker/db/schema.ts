/** Drizzle schema of the D1 database; the SQL lives in migrations/ (append-only, numbered). */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { Category, Severity, Status } from '../../protocol/enums.ts';
import type { HistoryAction, HistoryEntry } from '../../protocol/history.ts';
import type { DeliveryState } from '../../protocol/rules.ts';
import type { SameType } from '../../protocol/same-type.ts';

export const events = sqliteTable(
  'events',
  {
    id: text('id').primaryKey(),
    category: text('category').$type<Category>().notNull(),
    seq: integer('seq').notNull(),
    severity: text('severity').$type<Severity>().notNull(),
    priority: text('priority').$type<Severity>().notNull(),
    status: text('status').$type<Status>().notNull(),
    eventType: text('event_type').notNull(),
    title: text('title').notNull(),
    description: text('description'),
    eventTime: integer('event_time').notNull(),
    receivedAt: integer('received_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    containerId: text('container_id'),
    shipId: text('ship_id'),
    berthId: text('berth_id'),
    portId: text('port_id'),
    requiresAction: integer('requires_action', { mode: 'boolean' }).notNull().default(false),
    isResolved: integer('is_resolved', { mode: 'boolean' }).notNull().default(false),
    assignedTo: text('assigned_to'),
    deleted: integer('deleted', { mode: 'boolean' }).notNull().default(false),
    doc: text('doc').notNull(),
  },
  (t) => [
    uniqueIndex('events_room_seq').on(t.category, t.seq),
    index('events_received').on(t.receivedAt, t.id),
    index('events_category_received').on(t.category, t.receivedAt, t.id),
    index('events_severity_received').on(t.severity, t.receivedAt, t.id),
    index('events_status_received').on(t.status, t.receivedAt, t.id),
  ],
);

export type EventRow = typeof events.$inferSelect;

export const outbox = sqliteTable(
  'outbox',
  {
    eventId: text('event_id').primaryKey(),
    topic: text('topic').notNull(),
    createdAt: integer('created_at').notNull(),
    publishedAt: integer('published_at'),
  },
  (t) => [index('outbox_pending').on(t.createdAt)],
);

export const eventHistory = sqliteTable(
  'event_history',
  {
    eventId: text('event_id').notNull(),
    seq: integer('seq').notNull(),
    at: integer('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').$type<HistoryAction>().notNull(),
    fromStatus: text('from_status').$type<Status>(),
    toStatus: text('to_status').$type<Status>(),
    note: text('note'),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.seq] })],
);

export type OutboxRow = typeof outbox.$inferSelect;
export type EventHistoryRow = typeof eventHistory.$inferSelect;
true satisfies SameType<EventHistoryRow, HistoryEntry>;

/** Per-user read state (migrations/0003_api.sql); outside the changefeed: marking read changes no seq. */
export const readState = sqliteTable(
  'read_state',
  {
    userSub: text('user_sub').notNull(),
    eventId: text('event_id').notNull(),
    readAt: integer('read_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userSub, t.eventId] })],
);

/**
 * Live counts of not-deleted events per (category, severity, status, requiresAction), kept exact
 * by triggers on `events` (migrations/0003_api.sql). The FTS5 table `events_fts` over title and
 * description is also trigger-maintained; drizzle has no virtual tables, so it is queried in raw SQL.
 */
export const eventCounts = sqliteTable(
  'event_counts',
  {
    category: text('category').$type<Category>().notNull(),
    severity: text('severity').$type<Severity>().notNull(),
    status: text('status').$type<Status>().notNull(),
    requiresAction: integer('requires_action', { mode: 'boolean' }).notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.category, t.severity, t.status, t.requiresAction] })],
);

export type ReadStateRow = typeof readState.$inferSelect;
export type EventCountRow = typeof eventCounts.$inferSelect;

/**
 * The latest liveness report of each bridge process (migrations/0006_bridge_status.sql); bounded
 * by worker/db/bridge-status.ts.
 */
export const bridgeStatus = sqliteTable(
  'bridge_status',
  {
    bridgeId: text('bridge_id').primaryKey(),
    receivedAt: integer('received_at').notNull(),
    lag: integer('lag').notNull(),
    lagSince: text('lag_since'),
    report: text('report').notNull(),
  },
  (t) => [index('bridge_status_received').on(t.receivedAt)],
);

export type BridgeStatusRow = typeof bridgeStatus.$inferSelect;

// ------------------------------------------------------------------------------------------------
// Rules that act (migrations/0009_rules.sql, docs/rules.md); queries in worker/db/rules.ts.

export const rules = sqliteTable('rules', {
  id: text('id').primaryKey(),
  version: integer('version').notNull(),
  paused: integer('paused', { mode: 'boolean' }).notNull().default(false),
  doc: text('doc').notNull(),
  secret: text('secret').notNull(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
  updatedBy: text('updated_by').notNull(),
  deleted: integer('deleted', { mode: 'boolean' }).notNull().default(false),
});

export const ruleVersions = sqliteTable(
  'rule_versions',
  {
    ruleId: text('rule_id').notNull(),
    version: integer('version').notNull(),
    doc: text('doc').notNull(),
    paused: integer('paused', { mode: 'boolean' }).notNull(),
    at: integer('at').notNull(),
    actor: text('actor').notNull(),
    change: text('change').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.version] })],
);

export const ruleCursors = sqliteTable('rule_cursors', {
  category: text('category').$type<Category>().primaryKey(),
  seq: integer('seq').notNull(),
});

// DCSA TNT 2.2 event subscriptions (migrations/0016_dcsa_subscriptions.sql, docs/dcsa.md);
// queries in worker/db/dcsa-subscriptions.ts. Their callbacks are webhook_deliveries (rule_id 'dcsa:<id>').
export const dcsaSubscriptions = sqliteTable(
  'dcsa_subscriptions',
  {
    id: text('id').primaryKey(),
    callbackUrl: text('callback_url').notNull(),
    filters: text('filters').notNull(),
    secret: text('secret').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    createdBy: text('created_by').notNull(),
  },
  (t) => [index('dcsa_subscriptions_created').on(t.createdAt, t.id)],
);

export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    ruleId: text('rule_id').notNull(),
    actionIndex: integer('action_index').notNull(),
    category: text('category').$type<Category>().notNull(),
    eventId: text('event_id').notNull(),
    url: text('url').notNull(),
    body: text('body').notNull(),
    state: text('state').$type<DeliveryState>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at'),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
  },
  (t) => [
    index('webhook_deliveries_due').on(t.category, t.nextAttemptAt),
    index('webhook_deliveries_rule').on(t.ruleId, t.createdAt),
  ],
);

export const webhookAttempts = sqliteTable(
  'webhook_attempts',
  {
    deliveryId: text('delivery_id').notNull(),
    n: integer('n').notNull(),
    at: integer('at').notNull(),
    status: integer('status'),
    latencyMs: integer('latency_ms').notNull(),
    error: text('error'),
    response: text('response'),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.n] })],
);

export const webhookTargets = sqliteTable(
  'webhook_targets',
  {
    ruleId: text('rule_id').notNull(),
    actionIndex: integer('action_index').notNull(),
    disabledAt: integer('disabled_at').notNull(),
    reason: text('reason').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.actionIndex] })],
);

export const escalations = sqliteTable(
  'escalations',
  {
    id: text('id').primaryKey(),
    ruleId: text('rule_id').notNull(),
    category: text('category').$type<Category>().notNull(),
    eventId: text('event_id').notNull(),
    seq: integer('seq').notNull(),
    dueAt: integer('due_at').notNull(),
    unlessState: text('unless_state').notNull(),
    action: text('action').notNull(),
    state: text('state').$type<'scheduled' | 'fired' | 'cancelled'>().notNull(),
    settledAt: integer('settled_at'),
  },
  (t) => [index('escalations_due').on(t.category, t.dueAt), index('escalations_event').on(t.eventId)],
);

export const ruleSteps = sqliteTable(
  'rule_steps',
  {
    id: text('id').primaryKey(),
    category: text('category').$type<Category>().notNull(),
    ruleId: text('rule_id').notNull(),
    eventId: text('event_id').notNull(),
    seq: integer('seq').notNull(),
    action: text('action').notNull(),
    createdAt: integer('created_at').notNull(),
    doneAt: integer('done_at'),
    outcome: text('outcome'),
  },
  (t) => [index('rule_steps_pending').on(t.category, t.createdAt)],
);

export const notifications = sqliteTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    recipient: text('recipient').notNull(),
    ruleId: text('rule_id'),
    eventId: text('event_id').notNull(),
    category: text('category').$type<Category>().notNull(),
    severity: text('severity').$type<Severity>().notNull(),
    title: text('title').notNull(),
    kind: text('kind').$type<'rule' | 'assigned' | 'escalation'>().notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('notifications_recipient').on(t.recipient, t.createdAt)],
);

export const notificationReads = sqliteTable(
  'notification_reads',
  {
    notificationId: text('notification_id').notNull(),
    userSub: text('user_sub').notNull(),
    readAt: integer('read_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.notificationId, t.userSub] })],
);

export type RuleRow = typeof rules.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;
export type EscalationRow = typeof escalations.$inferSelect;
export type RuleStepRow = typeof ruleSteps.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;

/**
 * The index of the events holding a DCSA TNT 2.2 original (migrations/0015_dcsa_events.sql), kept
 * by triggers on `events`; `GET /v2/events` reads it in `k` order (worker/db/dcsa-events.ts, raw SQL).
 * The four indexes are partial in the SQL (`WHERE <column> IS NOT NULL`); the view
 * `dcsa_event_fields` that the trigger and the backfill read has no drizzle form.
 */
export const dcsaEvents = sqliteTable(
  'dcsa_events',
  {
    k: integer('k').primaryKey({ autoIncrement: true }),
    eventId: text('event_id').notNull().unique(),
    category: text('category').$type<Category>().notNull(),
    eventType: text('event_type').$type<'EQUIPMENT' | 'TRANSPORT' | 'SHIPMENT'>().notNull(),
    typeCode: text('type_code'),
    equipmentRef: text('equipment_ref'),
    vesselImo: text('vessel_imo'),
    eventLocode: text('event_locode'),
    callLocode: text('call_locode'),
    createdAt: integer('created_at'),
  },
  (t) => [
    index('dcsa_events_equipment').on(t.equipmentRef),
    index('dcsa_events_vessel').on(t.vesselImo),
    index('dcsa_events_event_locode').on(t.eventLocode),
    index('dcsa_events_call_locode').on(t.callLocode),
  ],
);

export type DcsaEventRow = typeof dcsaEvents.$inferSelect;

/** Web Push subscriptions (migrations/0017_push_subscriptions.sql, docs/push.md). */
export const pushSubscriptions = sqliteTable(
  'push_subscriptions',
  {
    endpoint: text('endpoint').primaryKey(),
    userSub: text('user_sub').notNull(),
    role: text('role').notNull(),
    p256dh: text('p256dh').notNull(),
    auth: text('auth').notNull(),
    createdAt: integer('created_at').notNull(),
    lastSuccessAt: integer('last_success_at'),
    failures: integer('failures').notNull().default(0),
  },
  (t) => [index('push_subscriptions_user').on(t.userSub, t.createdAt), index('push_subscriptions_role').on(t.role)],
);
export type PushSubscriptionRow = typeof pushSubscriptions.$inferSelect;
