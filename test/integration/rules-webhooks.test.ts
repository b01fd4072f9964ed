/**
 * Rules' webhooks on real parts (docs/rules.md, "Webhooks"): the Worker under `wrangler dev`, a
 * real local HTTP receiver, the signature checked by independent implementations (node:crypto and
 * the Python of docs/rules.md). The receiver is down for a while, the Worker is restarted between
 * attempts, the receiver comes back: the delivery arrives, once, with every attempt recorded; a
 * 410 disables the target; a failed delivery is replayed under its delivery id.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from '../support/fixture.ts';
import { until } from '../support/wait.ts';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/webhook-receiver.ts';
import { startWorker, type WorkerHost } from '../support/worker.ts';

let worker: WorkerHost;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  worker = await startWorker({ vars: { WEBHOOK_BACKOFF_BASE_MS: '400', WEBHOOK_MAX_ATTEMPTS: '30' } });
});
afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
});

async function call(method: string, path: string, body?: unknown, role: 'operator' | 'producer' = 'operator') {
  const res = await fetch(`${worker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await tokenFor(role)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> };
}

type Delivery = {
  id: string;
  eventId: string;
  state: string;
  attempts: number;
  attemptLog: {
    n: number;
    at: number;
    status: number | null;
    error: string | null;
    latencyMs: number;
    response: string | null;
  }[];
};
async function deliveries(ruleId: string): Promise<Delivery[]> {
  const { status, json } = await call('GET', `/api/rules/${ruleId}/deliveries`);
  expect(status).toBe(200);
  return json.data as Delivery[];
}

/** Node's own HMAC over the raw bytes received, compared in constant time, with the 5-minute window. */
function verifyWithNode(secret: string, req: ReceivedRequest): boolean {
  const header = String(req.headers['quaycast-signature'] ?? '');
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  if (Math.abs(Date.now() / 1000 - Number(parts.t)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${req.raw}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The Python verifier of docs/rules.md, run as it is written there. */
function verifyWithPython(secret: string, req: ReceivedRequest): boolean {
  const program = `
import hmac, hashlib, time, sys
def verify(secret: str, raw_body: bytes, header: str) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(","))
    if abs(time.time() - int(parts["t"])) > 300:
        return False
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))
print("valid" if verify(sys.argv[1], sys.stdin.buffer.read(), sys.argv[2]) else "invalid")
`;
  const out = execFileSync('python3', ['-c', program, secret, String(req.headers['quaycast-signature'])], {
    input: Buffer.from(req.raw, 'utf8'),
  });
  return out.toString().trim() === 'valid';
}

async function createRule(name: string, eventType: string, path: string) {
  const { status, json } = await call('POST', '/api/rules', {
    name,
    match: { eventTypes: [eventType], severities: ['Critical'] },
    actions: [{ type: 'webhook', url: `${receiver.url}${path}` }],
  });
  expect(status).toBe(201);
  return json as { id: string; secret: string; version: number };
}

async function post(event: Record<string, unknown>) {
  const { status } = await call('POST', '/api/events', event, 'producer');
  expect(status).toBe(201);
}

describe('rules > webhooks on real parts', () => {
  it('retries while the receiver is down, across a Worker restart, then delivers once, signed and with every attempt recorded', async () => {
    const type = `Reefer-${Date.now()}`;
    const rule = await createRule('reefer webhook', type, '/hooks/a');
    await receiver.down();
    const eventId = `wh-${Date.now()}`;
    await post({ id: eventId, eventType: type, title: 'Reefer too warm', severity: 'Critical', containerId: 'MSCU7' });

    // Refused connections are attempts too: at least two, recorded, before the restart.
    const failing = await until('two failed attempts', async () => {
      const [d] = await deliveries(rule.id);
      return d && d.attemptLog.length >= 2 ? d : undefined;
    });
    expect(failing.state).toBe('pending');
    expect(failing.attemptLog.every((a) => a.status === null && a.error)).toBe(true);

    // A Worker restart between attempts: the schedule is in D1 and the runner's alarm.
    await worker.stop();
    await worker.start();
    const beforeUp = (await deliveries(rule.id))[0]!.attemptLog.length;
    expect(beforeUp).toBeGreaterThanOrEqual(2);
    await receiver.up();

    const delivered = await until(
      'the delivery',
      async () => {
        const [d] = await deliveries(rule.id);
        return d?.state === 'delivered' ? d : undefined;
      },
      60_000,
    );
    const got = receiver.to('/hooks/a');
    expect(got).toHaveLength(1);
    const req = got[0]!;
    expect(req.headers['quaycast-delivery']).toBe(delivered.id);
    expect(verifyWithNode(rule.secret, req)).toBe(true);
    expect(verifyWithPython(rule.secret, req)).toBe(true);
    expect(verifyWithNode('whsec_not-the-secret', req)).toBe(false);
    expect(verifyWithNode(rule.secret, { ...req, raw: req.raw.replace('Reefer too warm', 'Reefer too cold') })).toBe(
      false,
    );
    const body = JSON.parse(req.raw) as {
      deliveryId: string;
      rule: { id: string };
      event: { id: string };
      change: { kind: string };
    };
    expect(body).toMatchObject({
      deliveryId: delivered.id,
      rule: { id: rule.id },
      event: { id: eventId },
      change: { kind: 'created' },
    });

    // Every attempt is visible: the refused ones, then the 200 with its response excerpt.
    const log = delivered.attemptLog;
    expect(log.length).toBeGreaterThanOrEqual(beforeUp + 1);
    expect(log.map((a) => a.n)).toEqual(log.map((_, i) => i + 1));
    expect(log.at(-1)).toMatchObject({ status: 200, error: null, response: 'answered 200' });
    expect(log.slice(0, -1).every((a) => a.status === null)).toBe(true);

    // Nothing more arrives later (a restart does not redo a recorded delivery).
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.to('/hooks/a')).toHaveLength(1);
  });

  it('honours Retry-After, disables a target that answers 410, and replays a delivery under its id', async () => {
    const type = `Gate-${Date.now()}`;
    const rule = await createRule('gate webhook', type, '/hooks/b');
    receiver.answer('/hooks/b', { status: 503, headers: { 'retry-after': '3' } });
    await post({ id: `ra-${Date.now()}`, eventType: type, title: 'first', severity: 'Critical' });
    const two = await until(
      'a retry after Retry-After',
      () => (receiver.to('/hooks/b').length >= 2 ? receiver.to('/hooks/b') : undefined),
      30_000,
    );
    expect(two[1]!.at - two[0]!.at).toBeGreaterThanOrEqual(2900);

    receiver.answer('/hooks/b', { status: 410 });
    const disabled = await until(
      'the 410',
      async () => {
        const [d] = await deliveries(rule.id);
        return d?.state === 'disabled' ? d : undefined;
      },
      30_000,
    );
    expect(disabled.attemptLog.at(-1)?.status).toBe(410);
    const seen = receiver.to('/hooks/b').length;

    // The target is disabled: a new matching change records a delivery that is never sent.
    await post({ id: `ra2-${Date.now()}`, eventType: type, title: 'second', severity: 'Critical' });
    const second = await until('the second delivery, disabled', async () => {
      const list = await deliveries(rule.id);
      return list.length === 2 ? list.find((d) => d.id !== disabled.id) : undefined;
    });
    expect(second).toMatchObject({ state: 'disabled', attemptLog: [] });
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.to('/hooks/b')).toHaveLength(seen);

    // Replay: the receiver is fixed; the first delivery goes out again under the same id.
    receiver.answer('/hooks/b', { status: 204 });
    const replay = await call('POST', '/api/rules/deliveries/replay', { id: disabled.id });
    expect(replay.status).toBe(202);
    await until('the replayed delivery', async () => {
      const d = (await deliveries(rule.id)).find((x) => x.id === disabled.id);
      return d?.state === 'delivered' ? d : undefined;
    });
    const last = receiver.to('/hooks/b').at(-1)!;
    expect(last.headers['quaycast-delivery']).toBe(disabled.id);
    expect(verifyWithNode(rule.secret, last)).toBe(true);
    // A delivered one is not replayed again.
    expect((await call('POST', '/api/rules/deliveries/replay', { id: disabled.id })).status).toBe(409);
  });
});

describe('rules > email through the send_email binding (simulated locally)', () => {
  it('sends one email per matching change, with the event in it', async () => {
    const type = `Crane-${Date.now()}`;
    const to = `duty-${Date.now()}@port.example.com`;
    const rule = await call('POST', '/api/rules', {
      name: 'crane email',
      match: { eventTypes: [type] },
      actions: [{ type: 'email', to: [to] }],
    });
    expect(rule.status).toBe(201);
    const id = `mail-${Date.now()}`;
    await post({ id, eventType: type, title: 'Crane 7 hydraulic failure', severity: 'Critical', berthId: 'B7' });
    // Miniflare logs each message the binding sends and writes its text to a file.
    const block = await until('the email', () => {
      const at = worker.logs.findIndex(
        (l, i) => l.includes('send_email binding called') && worker.logs.slice(i, i + 12).some((x) => x.includes(to)),
      );
      return at >= 0 ? worker.logs.slice(at, at + 20).join('\n') : undefined;
    });
    expect(block).toContain('[Quaycast] Critical: Crane 7 hydraulic failure');
    expect(block).toContain('quaycast-alerts@example.com');
    const textFile = /Text: (\S+)/.exec(block)?.[1];
    expect(textFile).toBeDefined();
    const text = readFileSync(textFile!, 'utf8');
    expect(text).toContain('Rule: crane email');
    expect(text).toContain(`Event id: ${id}`);
    await new Promise((r) => setTimeout(r, 1500));
    expect(worker.logs.filter((l) => l.includes(to)).length).toBe(
      block.split('\n').filter((l) => l.includes(to)).length,
    );
  });
});
