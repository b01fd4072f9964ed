/** Addressing the rule runners: one Durable Object per category, named by it (worker/rules/runner.ts). */
import type { Category } from '../../protocol/enums.ts';
import { getConfig } from '../config.ts';
import type { NotificationInsert } from '../db/rules.ts';
import { errorFields, log } from '../log.ts';
import type { Inbox } from './inbox.ts';
import type { RuleRunner } from './runner.ts';

/** The stub of a category's rule runner. */
export function ruleRunnerStub(env: Env, category: Category): DurableObjectStub<RuleRunner> {
  return env.RULE_RUNNER.get(env.RULE_RUNNER.idFromName(category));
}

/**
 * Tells the category's runner that its room committed a batch. For `ctx.waitUntil`: never throws
 * (a lost nudge is covered by the runner's backstop alarm, docs/rules.md).
 */
export async function nudgeRules(env: Env, category: Category): Promise<void> {
  try {
    await ruleRunnerStub(env, category).nudge(category);
  } catch (err) {
    log('warn', 'rule runner nudge failed; its backstop alarm covers it', { room: category, ...errorFields(err) });
  }
}

/** The one inbox bell (worker/rules/inbox.ts). */
export function inboxStub(env: Env): DurableObjectStub<Inbox> {
  return env.INBOX.get(env.INBOX.idFromName('inbox'));
}

/** Rings the inbox bell for these recipients. Never throws: a dashboard re-reads its inbox when it reconnects. */
export async function ringInbox(env: Env, recipients: Iterable<string>): Promise<void> {
  const list = [...new Set(recipients)];
  if (list.length === 0) return;
  try {
    await inboxStub(env).ring(list);
  } catch (err) {
    log('warn', 'inbox ring failed', { recipients: list.length, ...errorFields(err) });
  }
}

/**
 * Hands recorded notifications to the inbox for Web Push (docs/push.md); returns once the inbox
 * took them, not when they are sent. Nothing when push is off. Never throws: the bell has them.
 */
export async function pushToInbox(env: Env, notifications: NotificationInsert[]): Promise<void> {
  if (notifications.length === 0 || !getConfig(env).push.enabled) return;
  try {
    await inboxStub(env).push(notifications);
  } catch (err) {
    log('warn', 'web push hand-off failed', { notifications: notifications.length, ...errorFields(err) });
  }
}
