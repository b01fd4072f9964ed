/**
 * Rules that act (docs/rules.md): the rule document, the change a rule sees, the pure bounded
 * evaluator, and the webhook signature format. Zod-free core: the Worker's runner evaluates with
 * it, the dashboard previews with it; protocol/schemas/rules.ts validates the document.
 */
import { type Category, SEVERITIES, type Severity, type Status } from './enums.ts';
import type { QuaycastEvent } from './event.ts';

/** Bounds of a rule document (the schema enforces them; the evaluator relies on them). */
export const RULE_LIMITS = {
  nameChars: 120,
  conditions: 20,
  pathSegments: 6,
  segmentChars: 64,
  inValues: 50,
  stringValueChars: 200,
  listItems: 50,
  actions: 10,
  escalationActions: 5,
  recipients: 20,
  maxEscalateMinutes: 7 * 24 * 60,
  urlChars: 2000,
  emailRecipients: 10,
} as const;

/** Path segments a condition may never name (prototype pollution and lookups of inherited members). */
export const FORBIDDEN_SEGMENTS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export const CONDITION_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'startsWith', 'contains', 'exists'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];
export type Scalar = string | number | boolean | null;

export type Condition =
  | { path: string; op: 'eq' | 'ne'; value: Scalar }
  | { path: string; op: 'gt' | 'gte' | 'lt' | 'lte'; value: number | string }
  | { path: string; op: 'in'; value: Scalar[] }
  | { path: string; op: 'startsWith' | 'contains'; value: string }
  | { path: string; op: 'exists'; value: boolean };

export const CHANGE_KINDS = ['created', 'changed'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
export const MATCH_ON = ['created', 'changed', 'any'] as const;

export type RuleMatch = {
  categories?: Category[];
  severities?: Severity[];
  statuses?: Status[];
  eventTypes?: string[];
  on?: (typeof MATCH_ON)[number];
  transition?: { from?: Status[]; to?: Status[] };
  assignee?: string;
  conditions?: Condition[];
};

/** The workflow transitions a rule may make (setStatus). */
export const RULE_STATUS_ACTIONS = ['acknowledge', 'start', 'close'] as const;
export const ESCALATE_UNLESS = ['acknowledged', 'resolved'] as const;

export type WebhookAction = { type: 'webhook'; url: string };
export type NotifyAction = { type: 'notify'; users?: string[]; roles?: string[]; assignee?: boolean };
export type CreateEventAction = {
  type: 'createEvent';
  eventType: string;
  title: string;
  severity?: Severity;
  category?: Category;
  description?: string;
};
export type AssignAction = { type: 'assign'; assignee: string };
export type SetStatusAction = { type: 'setStatus'; action: (typeof RULE_STATUS_ACTIONS)[number] };
/**
 * Raises the event's severity in place (docs/rules.md, "Actions"): to `to`, or one level up
 * without it; never lowers it (an event already at or above the target is left alone).
 */
export type RaiseSeverityAction = { type: 'raiseSeverity'; to?: Severity };
/** An email through the platform's `send_email` binding (docs/rules.md, "Email"). */
export type EmailAction = { type: 'email'; to: string[] };
/** What an escalation may do when it fires (everything but another escalation). */
export type StepAction =
  | WebhookAction
  | NotifyAction
  | CreateEventAction
  | AssignAction
  | SetStatusAction
  | RaiseSeverityAction
  | EmailAction;
export type EscalateAction = {
  type: 'escalate';
  afterMinutes: number;
  unless: (typeof ESCALATE_UNLESS)[number];
  steps: StepAction[];
};
export type RuleAction = StepAction | EscalateAction;

/** The severity a raise leads to: `to`, or one level up; undefined when that is not higher (never lowers). */
export function raisedSeverity(current: Severity, to: Severity | undefined): Severity | undefined {
  const at = SEVERITIES.indexOf(current); // SEVERITIES runs Critical first
  const target = to ?? SEVERITIES[Math.max(0, at - 1)]!;
  return SEVERITIES.indexOf(target) < at ? target : undefined;
}

/** A rule as operators write it (POST/PUT /api/rules). */
export type RuleInput = {
  name: string;
  paused?: boolean;
  match: RuleMatch;
  actions: RuleAction[];
};

/** A stored rule (GET /api/rules). `secret` (the webhook signing key) only for operators and admins. */
export type Rule = RuleInput & {
  id: string;
  paused: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  secret?: string;
};

/** One change as a rule sees it: the event after the change, and what the change was. */
export type RuleChange = {
  kind: ChangeKind;
  seq: number;
  /** The status before the change (null for a new event). */
  fromStatus: Status | null;
  toStatus: Status;
  /** Who made the change (the history's actor; null for a new event). */
  actor: string | null;
  event: QuaycastEvent;
};

/** The actor of every change a rule makes, and the `source` of every event it creates. */
export function ruleActor(ruleId: string): string {
  return `rule:${ruleId}`;
}

/** True when a rule made this change (or created this event): rules never match those. */
export function madeByRule(change: Pick<RuleChange, 'actor' | 'event'>): boolean {
  return (change.actor?.startsWith('rule:') ?? false) || (change.event.source?.startsWith('rule:') ?? false);
}

/**
 * The value at a dotted path of the event, reading own properties only, or undefined. Bounded:
 * at most RULE_LIMITS.pathSegments segments are followed, whatever the path holds.
 */
export function valueAt(event: QuaycastEvent, path: string): unknown {
  const segments = path.split('.', RULE_LIMITS.pathSegments + 1);
  if (segments.length > RULE_LIMITS.pathSegments) return undefined;
  let at: unknown = event;
  for (const s of segments) {
    if (FORBIDDEN_SEGMENTS.includes(s)) return undefined;
    if (at === null || typeof at !== 'object') return undefined;
    if (Array.isArray(at)) {
      if (!/^\d{1,4}$/.test(s)) return undefined;
      at = at[Number(s)];
      continue;
    }
    if (!Object.hasOwn(at, s)) return undefined;
    at = (at as Record<string, unknown>)[s];
  }
  return at;
}

function compare(actual: unknown, value: number | string): number | undefined {
  if (typeof value === 'number')
    return typeof actual === 'number' && Number.isFinite(actual) ? actual - value : undefined;
  if (typeof actual !== 'string') return undefined;
  return actual < value ? -1 : actual > value ? 1 : 0;
}

/** One condition against the event (a missing value makes it false, except `ne` and `exists: false`). */
export function conditionHolds(event: QuaycastEvent, c: Condition): boolean {
  const actual = valueAt(event, c.path);
  switch (c.op) {
    case 'exists':
      return (actual !== undefined && actual !== null) === c.value;
    case 'eq':
      return actual === c.value;
    case 'ne':
      return actual !== c.value;
    case 'in':
      return c.value.some((v) => v === actual);
    case 'startsWith':
      return typeof actual === 'string' && actual.startsWith(c.value);
    case 'contains':
      return typeof actual === 'string' && actual.includes(c.value);
    default: {
      const d = compare(actual, c.value);
      if (d === undefined) return false;
      if (c.op === 'gt') return d > 0;
      if (c.op === 'gte') return d >= 0;
      if (c.op === 'lt') return d < 0;
      return d <= 0;
    }
  }
}

const within = <T>(list: readonly T[] | undefined, v: T) => list === undefined || list.includes(v);

/** True when the rule's `match` holds for the change (pause and loop prevention are the caller's: see `ruleFires`). */
export function matchRule(match: RuleMatch, change: RuleChange): boolean {
  const e = change.event;
  if (!within(match.categories, e.category)) return false;
  if (!within(match.severities, e.severity)) return false;
  if (!within(match.statuses, e.status)) return false;
  if (!within(match.eventTypes, e.eventType)) return false;
  if (match.on && match.on !== 'any' && match.on !== change.kind) return false;
  if (match.transition) {
    const { from, to } = match.transition;
    if (from && (change.fromStatus === null || !from.includes(change.fromStatus))) return false;
    if (to && !to.includes(change.toStatus)) return false;
  }
  if (match.assignee !== undefined && e.assignedTo !== match.assignee) return false;
  const conditions = match.conditions ?? [];
  for (let i = 0; i < conditions.length && i < RULE_LIMITS.conditions; i++)
    if (!conditionHolds(e, conditions[i]!)) return false;
  return true;
}

/** True when the rule runs its actions for this change: not paused, not a change a rule made, and matching. */
export function ruleFires(rule: Pick<Rule, 'paused' | 'match'>, change: RuleChange): boolean {
  return !rule.paused && !madeByRule(change) && matchRule(rule.match, change);
}

/** The webhook headers (docs/rules.md, "Webhooks"). */
export const WEBHOOK_HEADERS = { delivery: 'quaycast-delivery', signature: 'quaycast-signature' } as const;

/** The bytes the signature covers: `<t>.<raw body>`. */
export function signedPayload(timestampSeconds: number, rawBody: string): string {
  return `${timestampSeconds}.${rawBody}`;
}

/** The signature header's value from a timestamp and the hex HMAC. */
export function signatureHeader(timestampSeconds: number, hexMac: string): string {
  return `t=${timestampSeconds},v1=${hexMac}`;
}

/** A webhook body (docs/rules.md): what a receiver is sent. */
export type WebhookBody = {
  deliveryId: string;
  rule: { id: string; name: string; version: number };
  change: { kind: ChangeKind; seq: number; fromStatus: Status | null; toStatus: Status; actor: string | null };
  event: QuaycastEvent;
  escalation: { id: string; afterMinutes: number; unless: EscalateAction['unless'] } | null;
};

export const DELIVERY_STATES = ['pending', 'delivered', 'failed', 'disabled'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
