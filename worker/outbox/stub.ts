/** Addressing the outbox bell (bell.ts): one Durable Object for the whole deployment. */
import { errorFields, log } from '../log.ts';
import type { OutboxBell } from './bell.ts';

/** The one outbox bell. */
export function outboxBellStub(env: Env): DurableObjectStub<OutboxBell> {
  return env.OUTBOX_BELL.get(env.OUTBOX_BELL.idFromName('outbox'));
}

/**
 * Rings the bell after events were stored with outbox rows. Never throws: the rows are in D1
 * already, and a lost ring only means the parked bridge finds them when its wait ends.
 */
export async function ringOutboxBell(env: Env): Promise<void> {
  try {
    await outboxBellStub(env).ring();
  } catch (err) {
    log('warn', 'outbox bell did not ring; the bridge finds the rows when its wait ends', errorFields(err));
  }
}
