/**
 * Escalation on real parts (docs/rules.md, "Escalation"): the Worker under `wrangler dev` with a
 * rule's minute shortened to 2 s. Two Critical events start a timer each; one is acknowledged.
 * The Worker (rooms, runners, everything) is stopped before the timers are due and started again
 * after: the unacknowledged event escalates once (a notification and a webhook), the acknowledged
 * one never does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from '../support/fixture.ts';
import { until } from '../support/wait.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { startWorker, type WorkerHost } from '../support/worker.ts';

const MINUTE_MS = 2000;
let worker: WorkerHost;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  worker = await startWorker({ vars: { RULES_MINUTE_MS: String(MINUTE_MS) } });
});
afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  role: 'operator' | 'producer' | 'viewer' = 'operator',
  sub?: string,
) {
  const res = await fetch(`${worker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await tokenFor(role, sub)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> };
}

type Inbox = { unread: number; data: { eventId: string; kind: string }[] };

describe('rules > escalation across a restart', () => {
  it('escalates the Critical event nobody acknowledged once, and the acknowledged one never', async () => {
    const type = `Fire-${Date.now()}`;
    const boss = `duty-manager-${Date.now()}`;
    const rule = await call('POST', '/api/rules', {
      name: 'critical not acknowledged in 2 minutes',
      match: { eventTypes: [type], severities: ['Critical'], on: 'created' },
      actions: [
        {
          type: 'escalate',
          afterMinutes: 2,
          unless: 'acknowledged',
          steps: [
            { type: 'notify', users: [boss] },
            { type: 'webhook', url: `${receiver.url}/escalations` },
          ],
        },
      ],
    });
    expect(rule.status).toBe(201);
    const ignored = `esc-ignored-${Date.now()}`;
    const acked = `esc-acked-${Date.now()}`;
    const posted = await call(
      'POST',
      '/api/events',
      [
        { id: ignored, eventType: type, title: 'Fire alarm berth 4', severity: 'Critical', berthId: 'B4' },
        { id: acked, eventType: type, title: 'Fire alarm berth 5', severity: 'Critical', berthId: 'B5' },
      ],
      'producer',
    );
    expect(posted.status).toBe(201);
    const startedAt = Date.now();
    // Both timers are recorded (durably, in D1) before anything else happens.
    await until('two scheduled escalations', () => {
      const rows = worker.query<{ n: number }>(
        "SELECT COUNT(*) AS n FROM escalations WHERE event_id IN (?, ?) AND state = 'scheduled'",
        ignored,
        acked,
      );
      return rows[0]!.n === 2 ? true : undefined;
    });
    expect((await call('PATCH', `/api/events/${acked}`, { action: 'acknowledge' })).status).toBe(200);

    // The whole Worker goes away before the window ends, and comes back after it.
    await worker.stop();
    const due = startedAt + 2 * MINUTE_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now()) + 1000));
    await worker.start();

    const box = await until(
      'the escalation notification',
      async () => {
        const { json } = await call('GET', '/api/notifications', undefined, 'viewer', boss);
        const inbox = json as unknown as Inbox;
        return inbox.data.length > 0 ? inbox : undefined;
      },
      60_000,
    );
    await until('the escalation webhook', () => (receiver.to('/escalations').length > 0 ? true : undefined), 30_000);
    // Several more windows: nothing fires twice, the acknowledged one never.
    await new Promise((r) => setTimeout(r, 3 * MINUTE_MS));
    const { json } = await call('GET', '/api/notifications', undefined, 'viewer', boss);
    const after = json as unknown as Inbox;
    expect(after.data.map((n) => [n.eventId, n.kind])).toEqual([[ignored, 'escalation']]);
    expect(box.unread).toBe(1);
    const hooks = receiver.to('/escalations');
    expect(hooks).toHaveLength(1);
    const body = JSON.parse(hooks[0]!.raw) as {
      event: { id: string };
      escalation: { afterMinutes: number; unless: string };
    };
    expect(body).toMatchObject({ event: { id: ignored }, escalation: { afterMinutes: 2, unless: 'acknowledged' } });
    const states = worker.query<{ event_id: string; state: string }>(
      'SELECT event_id, state FROM escalations WHERE event_id IN (?, ?) ORDER BY event_id',
      ignored,
      acked,
    );
    expect(Object.fromEntries(states.map((s) => [s.event_id, s.state]))).toEqual({
      [ignored]: 'fired',
      [acked]: 'cancelled',
    });
  });
});
