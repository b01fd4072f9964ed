/**
 * What a page of changes produces (docs/rules.md): for each change, the rules that fire and their
 * actions as effect rows with deterministic ids (`<ruleId>:<eventId>:<seq>:<action index>`), the
 * built-in "assigned to you" notification, and the escalations it cancels. Pure: no I/O.
 */
import type { Category, Status } from '../../protocol/enums.ts';
import type { QuaycastEvent } from '../../protocol/event.ts';
import {
  ruleFires,
  type EscalateAction,
  type Rule,
  type RuleChange,
  type StepAction,
  type WebhookBody,
} from '../../protocol/rules.ts';
import { noEffects, type Effects, type FeedChange } from '../db/rules.ts';

/** The change of a feed row as rules see it, or undefined for a delete. */
export function ruleChangeOf(f: FeedChange): RuleChange | undefined {
  if (f.deleted || !f.event) return undefined;
  return {
    kind: f.changed ? 'changed' : 'created',
    seq: f.seq,
    fromStatus: f.changed ? f.fromStatus : null,
    toStatus: f.event.status,
    actor: f.changed ? f.actor : null,
    event: f.event,
  };
}

/** Which escalations a change ends: acknowledging ends `unless: acknowledged`, resolving ends both. */
export function cancelledBy(f: FeedChange): ('acknowledged' | 'resolved')[] {
  return f.deleted || !f.event ? ['acknowledged', 'resolved'] : ends(f.event.status);
}

/** The escalations an event in this status no longer needs. */
export function ends(s: Status): ('acknowledged' | 'resolved')[] {
  if (s === 'Resolved' || s === 'Closed') return ['acknowledged', 'resolved'];
  return s === 'New' ? [] : ['acknowledged'];
}

type Context = { category: Category; now: number; minuteMs: number };

/** The effects of `steps` (a rule's actions, or an escalation's) for one change; ids start with `base`. */
export function stepEffects(
  effects: Effects,
  steps: readonly (StepAction | EscalateAction)[],
  rule: Pick<Rule, 'id' | 'name' | 'version'>,
  change: RuleChange,
  base: string,
  ctx: Context,
  escalation: WebhookBody['escalation'] = null,
): void {
  const e = change.event;
  steps.forEach((action, i) => {
    const id = `${base}:${i}`;
    switch (action.type) {
      case 'webhook': {
        const body: WebhookBody = {
          deliveryId: id,
          rule: { id: rule.id, name: rule.name, version: rule.version },
          change: {
            kind: change.kind,
            seq: change.seq,
            fromStatus: change.fromStatus,
            toStatus: change.toStatus,
            actor: change.actor,
          },
          event: e,
          escalation,
        };
        effects.deliveries.push({
          id,
          ruleId: rule.id,
          actionIndex: escalation ? 100 + i : i,
          category: ctx.category,
          eventId: e.id,
          url: action.url,
          body: JSON.stringify(body),
          createdAt: ctx.now,
        });
        break;
      }
      case 'notify': {
        const recipients = new Set<string>();
        for (const u of action.users ?? []) recipients.add(`user:${u}`);
        for (const r of action.roles ?? []) recipients.add(`role:${r}`);
        if (action.assignee && e.assignedTo) recipients.add(`user:${e.assignedTo}`);
        for (const recipient of recipients)
          effects.notifications.push({
            id: `${id}:${recipient}`,
            recipient,
            ruleId: rule.id,
            eventId: e.id,
            category: e.category,
            severity: e.severity,
            title: `${escalation ? 'Escalated: ' : ''}${rule.name}: ${e.title}`.slice(0, 300),
            kind: escalation ? 'escalation' : 'rule',
            createdAt: ctx.now,
          });
        break;
      }
      case 'escalate': {
        // An event already acknowledged (or resolved) has nothing to escalate.
        if (ends(e.status).includes(action.unless)) break;
        const changedAt = Date.parse(e.updatedAt);
        effects.escalations.push({
          id,
          ruleId: rule.id,
          category: ctx.category,
          eventId: e.id,
          seq: change.seq,
          dueAt: (Number.isFinite(changedAt) ? changedAt : ctx.now) + action.afterMinutes * ctx.minuteMs,
          unlessState: action.unless,
          action: JSON.stringify(action),
        });
        break;
      }
      default:
        effects.steps.push({
          id,
          category: ctx.category,
          ruleId: rule.id,
          eventId: e.id,
          seq: change.seq,
          action: JSON.stringify({ ...action, ruleName: rule.name }),
          createdAt: ctx.now,
        });
    }
  });
}

/** The effects of a page of feed changes under the active rules. */
export function pageEffects(
  changes: readonly FeedChange[],
  rules: readonly Pick<Rule, 'id' | 'name' | 'version' | 'paused' | 'match' | 'actions'>[],
  ctx: Context,
): Effects {
  const effects = noEffects();
  for (const f of changes) {
    const ends = cancelledBy(f);
    if (ends.length > 0) effects.cancel.push({ eventId: f.id, unless: ends });
    const change = ruleChangeOf(f);
    if (!change) continue;
    assignedToYou(effects, f, change.event, ctx);
    for (const rule of rules) {
      if (!ruleFires(rule, change)) continue;
      stepEffects(effects, rule.actions, rule, change, `${rule.id}:${f.id}:${f.seq}`, ctx);
    }
  }
  return effects;
}

/** Built in: a change that assigns an event to someone (or a new event that names one) tells them. */
function assignedToYou(effects: Effects, f: FeedChange, e: QuaycastEvent, ctx: Context): void {
  if (!e.assignedTo) return;
  if (f.changed && f.action !== 'assign') return;
  effects.notifications.push({
    id: `assigned:${e.id}:${f.seq}`,
    recipient: `user:${e.assignedTo}`,
    ruleId: null,
    eventId: e.id,
    category: ctx.category,
    severity: e.severity,
    title: `Assigned to you: ${e.title}`.slice(0, 300),
    kind: 'assigned',
    createdAt: ctx.now,
  });
}
