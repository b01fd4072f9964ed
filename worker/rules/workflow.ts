/**
 * The workflow steps of rules (docs/rules.md, "Actions"): a follow-up event, an assignment, a
 * status change, carried out through the event's room after they were recorded. Each is
 * idempotent, so a redo after a crash changes nothing twice: the follow-up's id is derived from
 * the step's id, and an assign/setStatus leaves the step id in its history note, which a redo
 * finds first.
 */
import { type Category, SEVERITIES } from '../../protocol/enums.ts';
import { isTombstone, type NewEvent, type QuaycastEvent } from '../../protocol/event.ts';
import { raisedSeverity, ruleActor, type StepAction } from '../../protocol/rules.ts';
import { normalizeEvent } from '../../protocol/schemas/normalize.ts';
import { transition } from '../../protocol/workflow.ts';
import { getConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import { currentEvent } from '../db/rules.ts';
import type { RuleStepRow } from '../db/schema.ts';
import { commitEvents } from '../ingest.ts';
import type { ChangeResult } from '../room/rpc.ts';
import { roomStub } from '../room/stubs.ts';

type Step = Extract<StepAction, { type: 'createEvent' | 'assign' | 'setStatus' | 'raiseSeverity' | 'email' }> & {
  ruleName: string;
};

/** Attempts of a change that keeps meeting concurrent changes. */
const CHANGE_ATTEMPTS = 3;

/** The follow-up event's id: `rule:` and a hash of the step id (an event id is at most 200 characters). */
export async function followUpId(stepId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(stepId)));
  return `rule:${[...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The plain-text body of a rule's email. */
export function emailText(ruleName: string, e: QuaycastEvent, step: Pick<RuleStepRow, 'id' | 'seq'>): string {
  const entity = e.containerId ?? e.shipId ?? e.berthId ?? e.portId ?? '-';
  return [
    `Rule: ${ruleName}`,
    `Event: ${e.title}`,
    `Severity: ${e.severity}   Status: ${e.status}   Room: ${e.category}   Entity: ${entity}`,
    `Type: ${e.eventType}   Time: ${e.eventTime}`,
    e.description ? `\n${e.description}` : '',
    `\nEvent id: ${e.id} (seq ${step.seq}); message ${step.id}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** Carries out one recorded step; answers its outcome (kept with the step). */
export async function runStep(env: Env, db: Db, step: RuleStepRow): Promise<string> {
  const action = JSON.parse(step.action) as Step;
  const trigger = await currentEvent(db, step.eventId);
  if (action.type === 'email') {
    if (!trigger) return 'skipped: the event is gone';
    // At least once: a send that throws leaves the step pending (the runner retries it next run).
    await env.EMAIL.send({
      from: getConfig(env).rules.emailFrom,
      to: action.to,
      subject: `[Quaycast] ${trigger.severity}: ${trigger.title}`.slice(0, 250),
      text: emailText(action.ruleName, trigger, step),
    });
    return 'done';
  }
  if (action.type === 'createEvent') {
    const category: Category = action.category ?? step.category;
    const judged = normalizeEvent(
      {
        id: await followUpId(step.id),
        category,
        eventType: action.eventType,
        title: action.title,
        severity: action.severity ?? 'Medium',
        description: action.description ?? null,
        source: ruleActor(step.ruleId),
        containerId: trigger?.containerId ?? null,
        shipId: trigger?.shipId ?? null,
        berthId: trigger?.berthId ?? null,
        portId: trigger?.portId ?? null,
        requiresAction: true,
        eventData: { triggeredBy: { eventId: step.eventId, seq: step.seq, ruleId: step.ruleId } },
      },
      { kind: 'api', receivedAt: Date.now(), newId: () => crypto.randomUUID() },
    );
    if (!judged.ok) return `skipped: ${judged.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`.slice(0, 500);
    const [result] = await commitEvents(env, [judged.event], { outbox: true });
    return result?.status === 'duplicate' ? 'done (already created)' : 'done';
  }
  const actor = ruleActor(step.ruleId);
  const note = `${action.ruleName} [${step.id}]`.slice(0, 1000);
  for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
    const event = await currentEvent(db, step.eventId);
    if (!event) return 'skipped: the event is gone';
    const already = await db.$client
      // A raise's note goes on with ": <from> → <to>"; the step id in brackets is what identifies it.
      .prepare(
        "SELECT 1 AS x FROM event_history WHERE event_id = ?1 AND actor = ?2 AND (note = ?3 OR substr(note, 1, length(?3) + 2) = ?3 || ': ')",
      )
      .bind(step.eventId, actor, note)
      .first();
    if (already) return 'done (already applied)';
    if (action.type === 'raiseSeverity') {
      const severity = raisedSeverity(event.severity, action.to);
      if (!severity) return `skipped: already ${event.severity}`;
      const now = Date.now();
      const { seq: _seq, ...current } = event;
      const nextEvent: NewEvent = {
        ...current,
        severity,
        // The priority rises with it, unless it was already at least as high.
        priority: SEVERITIES.indexOf(event.priority) <= SEVERITIES.indexOf(severity) ? event.priority : severity,
        updatedAt: new Date(now).toISOString(),
      };
      const result = (await roomStub(env, event.category).change(event.category, {
        id: event.id,
        expectedSeq: event.seq,
        next: nextEvent,
        deleted: false,
        history: {
          at: now,
          actor,
          action: 'raiseSeverity',
          fromStatus: event.status,
          toStatus: event.status,
          note: `${note}: ${event.severity} → ${severity}`.slice(0, 1000),
        },
      })) as unknown as ChangeResult;
      if (result.status === 'changed' && !isTombstone(result.change)) return 'done';
      continue;
    }
    const t = transition(
      event,
      action.type === 'assign' ? { action: 'assign', assignee: action.assignee } : { action: action.action },
      { sub: actor, name: `rule ${action.ruleName}`.slice(0, 200) },
      Date.now(),
    );
    if (!t.ok) return t.reason === 'illegal' ? `skipped: not allowed from ${event.status}` : `skipped: ${t.message}`;
    const result = (await roomStub(env, event.category).change(event.category, {
      id: event.id,
      expectedSeq: event.seq,
      next: t.next,
      deleted: false,
      history: {
        at: Date.now(),
        actor,
        action: action.type === 'assign' ? 'assign' : action.action,
        fromStatus: t.fromStatus,
        toStatus: t.toStatus,
        note,
      },
    })) as unknown as ChangeResult;
    if (result.status === 'changed' && !isTombstone(result.change)) return 'done';
  }
  return 'skipped: the event kept changing concurrently';
}
