/**
 * The rule runner: one Durable Object per category (named by it), the room's changefeed consumer
 * and the keeper of its rules' schedule (docs/rules.md, "Exactly once per change").
 *
 * Everything happens in the alarm, one run at a time (the runtime never runs two alarms of an
 * object together, and retries a run that throws):
 *  1. the changefeed after the cursor, a page at a time: each page's effects are recorded in the
 *     same D1 transaction as the cursor's advance (worker/db/rules.ts, recordPage);
 *  2. the recorded workflow steps, through the rooms;
 *  3. the escalations that are due (claimed once, fired or cancelled);
 *  4. the webhook deliveries that are due (one attempt each, recorded): rules' webhooks and DCSA
 *     subscriptions' callbacks (worker/rules/dcsa-callback.ts), made in step 1 like any effect.
 * After step 1's page (and a fired escalation) the Inbox is rung and, with Web Push on, handed the
 * notifications to push in its own `waitUntil` (worker/rules/stub.ts, docs/push.md): never awaited here.
 * Then the alarm is set to the earliest entry of the schedule (D1: next attempt, due escalation,
 * pending step), or BACKSTOP_MS from now, whichever is sooner. `nudge` (the room, after each
 * committed batch) only sets the alarm to now.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Category } from '../../protocol/enums.ts';
import type { EscalateAction } from '../../protocol/rules.ts';
import { getConfig } from '../config.ts';
import { createDb, type Db } from '../db/client.ts';
import { maxSeq } from '../db/events.ts';
import {
  activeRules,
  currentEvent,
  dueDeliveries,
  dueEscalations,
  feedAfter,
  findRule,
  finishStep,
  nextDue,
  noEffects,
  pendingSteps,
  recordAttempts,
  type AttemptOutcome,
  recordPage,
  ruleCursor,
  settleEscalation,
  startCursor,
} from '../db/rules.ts';
import type { EscalationRow } from '../db/schema.ts';
import { errorFields, log } from '../log.ts';
import { allSubscriptions, findSubscription } from '../db/dcsa-subscriptions.ts';
import { dcsaSigner, pageCallbacks, subscriptionOfRuleId } from './dcsa-callback.ts';
import { pageEffects, ruleChangeOf, stepEffects } from './effects.ts';
import { pushToInbox, ringInbox } from './stub.ts';
import { type AttemptSigner, attemptDelivery, ruleSigner } from './webhook.ts';
import { runStep } from './workflow.ts';

/** Changes read per page, and pages per run (the rest is the next run's: the alarm is set to now). */
export const PAGE_CHANGES = 100;
export const PAGES_PER_RUN = 20;
/** Steps, escalations and deliveries handled per run. */
export const ITEMS_PER_RUN = 25;
/** Deliveries attempted per run, and at once. */
export const DELIVERIES_PER_RUN = 100;
export const PARALLEL_DELIVERIES = 16;
/** The longest the runner sleeps: re-reading the changefeed covers a nudge lost with a crashed room. */
export const BACKSTOP_MS = 5 * 60 * 1000;
/**
 * How long after a nudge the run starts: the nudges of every batch committed meanwhile share one
 * run (at most ~1000 / RUN_DELAY_MS runs per second per room, whatever the batch rate).
 */
export const RUN_DELAY_MS = 250;

export class RuleRunner extends DurableObject<Env> {
  private readonly db: Db;
  private running = false;
  private nudgedWhileRunning = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = createDb(env.DB);
  }

  /**
   * When this instance last set the alarm (undefined after a wake: storage is asked). Lets a nudge
   * that finds a run already scheduled cost no storage operation.
   */
  private alarmAt: number | undefined;
  private category: Category | undefined;
  /** The cursor as this instance last recorded it (only this object moves it); undefined after a wake. */
  private cursor: number | undefined;

  /** A room committed a batch: run soon (RUN_DELAY_MS). Never waits for the run. */
  async nudge(category: Category): Promise<void> {
    if (this.running) {
      this.nudgedWhileRunning = true;
      return;
    }
    const now = Date.now();
    if (this.category === category && this.alarmAt !== undefined && this.alarmAt <= now + RUN_DELAY_MS) return;
    if (this.category !== category) {
      if ((await this.ctx.storage.get<Category>('category')) !== category)
        await this.ctx.storage.put('category', category);
      this.category = category;
    }
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > now + RUN_DELAY_MS) {
      this.alarmAt = now + RUN_DELAY_MS;
      await this.ctx.storage.setAlarm(this.alarmAt);
    } else this.alarmAt = alarm;
  }

  override async alarm(): Promise<void> {
    // Running from the first await to the alarm's setting: a nudge meanwhile (a batch the run
    // may not have read) is kept in nudgedWhileRunning, never answered by a nudge's own alarm
    // that this run would then overwrite with a later one (a lost nudge waited BACKSTOP_MS).
    this.running = true;
    this.nudgedWhileRunning = false;
    this.alarmAt = undefined;
    let more = false;
    let category: Category | undefined;
    try {
      category = this.category ?? (await this.ctx.storage.get<Category>('category'));
      if (!category) {
        this.running = false;
        return;
      }
      this.category = category;
      more = await this.consume(category);
      // Steps, escalations and deliveries only when the schedule says something is due.
      const due = await nextDue(this.db, category);
      if (due !== undefined && due <= Date.now()) {
        more = (await this.runSteps(category)) || more;
        more = (await this.runEscalations(category)) || more;
        more = (await this.deliver(category)) || more;
      }
      const next = more ? undefined : await nextDue(this.db, category);
      const now = Date.now();
      // No await from this check to `running = false`: a later nudge sees alarmAt and keeps or advances it.
      const at = more || this.nudgedWhileRunning ? now + RUN_DELAY_MS : next;
      this.alarmAt = Math.max(now, Math.min(at ?? Number.POSITIVE_INFINITY, now + BACKSTOP_MS));
      this.running = false;
      await this.ctx.storage.setAlarm(this.alarmAt);
    } catch (err) {
      this.running = false;
      this.alarmAt = undefined;
      this.cursor = undefined; // read it again: a failed page may or may not have been recorded
      log('error', 'rules run failed', { room: category, ...errorFields(err) });
      throw err; // the alarm is retried by the platform
    }
  }

  /** Step 1: the changefeed after the cursor. Returns true when pages are left for the next run. */
  private async consume(category: Category): Promise<boolean> {
    let cursor = this.cursor ?? (await ruleCursor(this.db, category));
    if (cursor === undefined) {
      // No rule was ever created: nothing before now is evaluated; from here on, everything is.
      await startCursor(this.db, category, await maxSeq(this.db, category));
      return false;
    }
    // Read every run (a small table): a rule acts on every change committed after its creation.
    const [rules, subscriptions] = await Promise.all([activeRules(this.db), allSubscriptions(this.db)]);
    const { minuteMs } = getConfig(this.env).rules;
    // No rule and no DCSA subscription: only the built-in "assigned to you" can act, so only
    // changes with an assignee are read.
    const onlyAssigned = rules.length === 0 && subscriptions.length === 0;
    for (let page = 0; page < PAGES_PER_RUN; page++) {
      const upTo = onlyAssigned ? await maxSeq(this.db, category) : undefined;
      if (upTo !== undefined && upTo <= cursor) return false;
      const changes = await feedAfter(this.db, category, cursor, PAGE_CHANGES, { onlyAssigned, upTo });
      if (changes.length === 0 && upTo === undefined) return false;
      const to = changes.length === PAGE_CHANGES || upTo === undefined ? changes[changes.length - 1]!.seq : upTo;
      const now = Date.now();
      const effects = pageEffects(changes, rules, { category, now, minuteMs });
      effects.deliveries.push(...pageCallbacks(changes, subscriptions, { category, now }));
      if (!(await recordPage(this.db, { category, from: cursor, to, effects, now: Date.now() }))) {
        // The stored cursor is not where this instance thought (changed outside it): read it again
        // and redo from there; the effects just recorded have deterministic ids, nothing doubles.
        this.cursor = undefined;
        return true;
      }
      this.cursor = to;
      await ringInbox(
        this.env,
        effects.notifications.map((n) => n.recipient),
      );
      await pushToInbox(this.env, effects.notifications);
      log('info', 'rules page', {
        room: category,
        from: cursor,
        to,
        changes: changes.length,
        deliveries: effects.deliveries.length,
        notifications: effects.notifications.length,
        escalations: effects.escalations.length,
        steps: effects.steps.length,
      });
      cursor = to;
      if (changes.length < PAGE_CHANGES) return false;
    }
    return true;
  }

  /** Step 2: recorded workflow steps. */
  private async runSteps(category: Category): Promise<boolean> {
    const steps = await pendingSteps(this.db, category, ITEMS_PER_RUN);
    for (const step of steps) {
      let outcome: string;
      try {
        outcome = await runStep(this.env, this.db, step);
      } catch (err) {
        // The room could not take it now: the step stays pending for the next run.
        log('warn', 'rule step failed; retried on the next run', {
          room: category,
          step: step.id,
          ...errorFields(err),
        });
        continue;
      }
      await finishStep(this.db, step.id, outcome, Date.now());
    }
    return steps.length === ITEMS_PER_RUN;
  }

  /** Step 3: due escalations, each settled once. */
  private async runEscalations(category: Category): Promise<boolean> {
    const due = await dueEscalations(this.db, category, Date.now(), ITEMS_PER_RUN);
    for (const esc of due) await this.settle(category, esc);
    return due.length === ITEMS_PER_RUN;
  }

  private async settle(category: Category, esc: EscalationRow): Promise<void> {
    const now = Date.now();
    const [event, rule] = await Promise.all([currentEvent(this.db, esc.eventId), findRule(this.db, esc.ruleId)]);
    const ended =
      !event ||
      !rule ||
      (esc.unlessState === 'acknowledged' && event.status !== 'New') ||
      event.status === 'Resolved' ||
      event.status === 'Closed';
    if (ended || !event || !rule) {
      await settleEscalation(this.db, esc.id, 'cancelled', noEffects(), now);
      return;
    }
    const action = JSON.parse(esc.action) as EscalateAction;
    const change = ruleChangeOf({
      id: event.id,
      seq: event.seq,
      deleted: false,
      event,
      actor: null,
      fromStatus: null,
      toStatus: event.status,
      changed: false,
      action: null,
    })!;
    const effects = noEffects();
    stepEffects(
      effects,
      action.steps,
      rule,
      change,
      esc.id,
      { category, now, minuteMs: getConfig(this.env).rules.minuteMs },
      {
        id: esc.id,
        afterMinutes: action.afterMinutes,
        unless: action.unless,
      },
    );
    await settleEscalation(this.db, esc.id, 'fired', effects, now);
    await ringInbox(
      this.env,
      effects.notifications.map((n) => n.recipient),
    );
    await pushToInbox(this.env, effects.notifications);
    log('info', 'rule escalated', { room: category, escalation: esc.id, event: event.id });
  }

  /**
   * Step 4: due webhook deliveries, PARALLEL_DELIVERIES at a time, their attempts recorded together
   * (a crash before the record sends them again: at least once, the delivery id lets receivers drop it).
   */
  private async deliver(category: Category): Promise<boolean> {
    const due = await dueDeliveries(this.db, category, Date.now(), DELIVERIES_PER_RUN);
    if (due.length === 0) return false;
    const { backoffBaseMs: baseMs, maxAttempts } = getConfig(this.env).rules;
    const signers = new Map<string, Promise<AttemptSigner | undefined>>();
    const done: Parameters<typeof recordAttempts>[1] = [];
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const d = due[next++]!;
        if (!signers.has(d.ruleId)) signers.set(d.ruleId, this.signerOf(d.ruleId));
        const signer = await signers.get(d.ruleId);
        const outcome: AttemptOutcome =
          signer === undefined
            ? // The rule or subscription was deleted: nothing may be signed with a secret that is gone.
              {
                at: Date.now(),
                status: null,
                latencyMs: 0,
                error: subscriptionOfRuleId(d.ruleId) ? 'the subscription was deleted' : 'the rule was deleted',
                response: null,
                state: 'failed',
                nextAttemptAt: null,
              }
            : await attemptDelivery(d, signer, { baseMs, maxAttempts });
        done.push({ delivery: d, outcome });
        if (outcome.state !== 'delivered')
          log('warn', 'webhook attempt failed', {
            room: category,
            delivery: d.id,
            status: outcome.status,
            error: outcome.error,
            state: outcome.state,
            latencyMs: outcome.latencyMs,
          });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_DELIVERIES, due.length) }, worker));
    await recordAttempts(this.db, done);
    log('info', 'webhook attempts', {
      room: category,
      attempts: done.length,
      delivered: done.filter((x) => x.outcome.state === 'delivered').length,
    });
    return due.length === DELIVERIES_PER_RUN;
  }

  /** How a delivery is signed: by its rule's secret, or its DCSA subscription's; undefined when that is gone. */
  private async signerOf(ruleId: string): Promise<AttemptSigner | undefined> {
    const subscriptionId = subscriptionOfRuleId(ruleId);
    if (subscriptionId !== undefined) {
      const sub = await findSubscription(this.db, subscriptionId);
      return sub && dcsaSigner(sub.id, sub.secret);
    }
    const rule = await findRule(this.db, ruleId);
    return rule && ruleSigner(rule.secret);
  }
}
