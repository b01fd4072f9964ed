/**
 * /api/rules and /api/notifications in workerd, and the rule runner behind them: the routes'
 * roles, versions and conflicts, the try, and the runner's effects (notifications, the built-in
 * "assigned to you", a follow-up event that never triggers rules, an escalation that fires once
 * and one that an acknowledgement cancels).
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SELF } from 'cloudflare:test';
import { BASE, api, apiAs, postEvents, token, uid, type ApiErrorBody } from './helpers.ts';

type RuleBody = { id: string; version: number; paused: boolean; secret?: string; name: string };
type Inbox = { unread: number; data: { id: string; eventId: string; kind: string; title: string; read: boolean }[] };

const createRule = async (doc: unknown, role: 'operator' | 'admin' | 'viewer' = 'operator') =>
  api('/api/rules', { method: 'POST', role, body: JSON.stringify(doc) });

async function rule(doc: Record<string, unknown>): Promise<RuleBody> {
  const res = await createRule(doc);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as RuleBody;
}

async function inbox(sub: string, role: 'viewer' | 'operator' = 'viewer'): Promise<Inbox> {
  const res = await apiAs(role, sub, '/api/notifications');
  expect(res.status).toBe(200);
  return (await res.json()) as Inbox;
}

/** Polls until `check` returns a value (the runner works on its alarm, after the write answered). */
async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('api > /api/rules', () => {
  it('operators create, viewers read without the secret, and a viewer cannot write', async () => {
    const created = await rule({
      name: 'r',
      match: { eventTypes: [uid('t')] },
      actions: [{ type: 'notify', roles: ['operator'] }],
    });
    expect(created).toMatchObject({ version: 1, paused: false, secret: expect.stringMatching(/^whsec_[0-9a-f]{64}$/) });
    const asViewer = (await (await api(`/api/rules/${created.id}`, { role: 'viewer' })).json()) as RuleBody;
    expect(asViewer.secret).toBeUndefined();
    expect(asViewer.name).toBe('r');
    const list = (await (await api('/api/rules', { role: 'viewer' })).json()) as { data: RuleBody[] };
    expect(list.data.find((r) => r.id === created.id)?.secret).toBeUndefined();
    const refused = await createRule(
      { name: 'x', match: {}, actions: [{ type: 'notify', roles: ['viewer'] }] },
      'viewer',
    );
    expect(refused.status).toBe(403);
  });

  it('versions every change (who, what, when), refuses a stale version with 409, pauses and deletes', async () => {
    const r = await rule({
      name: 'v1',
      match: { eventTypes: [uid('t')] },
      actions: [{ type: 'notify', users: ['u'] }],
    });
    const put = (version: number, name: string) =>
      api(`/api/rules/${r.id}`, {
        method: 'PUT',
        role: 'admin',
        body: JSON.stringify({ version, name, match: {}, actions: [{ type: 'notify', users: ['u'] }] }),
      });
    expect((await put(1, 'v2')).status).toBe(200);
    const stale = await put(1, 'v2 again');
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as ApiErrorBody).error.details).toEqual({ version: 2 });
    const paused = await api(`/api/rules/${r.id}`, {
      method: 'PATCH',
      role: 'operator',
      body: JSON.stringify({ paused: true }),
    });
    expect(((await paused.json()) as RuleBody).paused).toBe(true);
    const versions = (await (await api(`/api/rules/${r.id}/versions`, { role: 'viewer' })).json()) as {
      data: { version: number; actor: string; change: string; rule: { name: string } }[];
    };
    expect(versions.data.map((v) => [v.version, v.change, v.actor, v.rule.name])).toEqual([
      [1, 'created', 'operator-user', 'v1'],
      [2, 'updated', 'admin-user', 'v2'],
      [3, 'paused', 'operator-user', 'v2'],
    ]);
    expect((await api(`/api/rules/${r.id}`, { method: 'DELETE', role: 'operator' })).status).toBe(204);
    expect((await api(`/api/rules/${r.id}`, { role: 'viewer' })).status).toBe(404);
    expect((await api(`/api/rules/${r.id}/versions`, { role: 'viewer' })).status).toBe(200);
  });

  it('tries a rule against the events received recently: how many times it would have fired', async () => {
    const type = uid('ReeferAlarm');
    await postEvents([
      { id: uid(), eventType: type, title: 'warm', containerId: 'MSCU1', eventData: { temperatureC: -10 } },
      { id: uid(), eventType: type, title: 'warm too', containerId: 'MSCU2', eventData: { temperatureC: -12 } },
      { id: uid(), eventType: type, title: 'cold', containerId: 'MSCU3', eventData: { temperatureC: -20 } },
      { id: uid(), eventType: type, title: 'other line', containerId: 'MAEU4', eventData: { temperatureC: -1 } },
    ]);
    const res = await api('/api/rules/try', {
      method: 'POST',
      role: 'operator',
      body: JSON.stringify({
        rule: {
          name: 'try',
          match: {
            eventTypes: [type],
            conditions: [
              { path: 'eventData.temperatureC', op: 'gt', value: -15 },
              { path: 'containerId', op: 'startsWith', value: 'MSCU' },
            ],
          },
          actions: [{ type: 'notify', roles: ['operator'] }],
        },
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { fired: number; sample: { title: string }[]; hours: number };
    expect(body.fired).toBe(2);
    expect(body.hours).toBe(24);
    expect(body.sample.map((s) => s.title).sort()).toEqual(['warm', 'warm too']);
  });

  it('refuses plain-http webhooks outside development, and a scoped token’s writes', async () => {
    const scoped = await api('/api/rules', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await (await import('./helpers.ts')).token('operator', 'scoped', { categories: ['Ship'] })}`,
      },
      body: JSON.stringify({ name: 's', match: {}, actions: [{ type: 'notify', users: ['u'] }] }),
    });
    expect(scoped.status).toBe(403);
    expect(env.ENVIRONMENT).toBe('development');
    const http = await createRule({
      name: 'h',
      match: { eventTypes: [uid('t')] },
      actions: [{ type: 'webhook', url: 'http://127.0.0.1:9/x' }],
    });
    expect(http.status).toBe(201); // development: allowed (docs/rules.md)
  });
});

describe('rules > runner in workerd', () => {
  it('notifies the named user once per matching change, never for other events, and counts unread right', async () => {
    const type = uid('Gate');
    const sub = uid('clerk');
    await rule({
      name: 'gate',
      match: { eventTypes: [type], severities: ['High'] },
      actions: [{ type: 'notify', users: [sub] }],
    });
    const hit = uid('hit');
    await postEvents([
      { id: hit, eventType: type, title: 'gate jam', severity: 'High' },
      { id: uid('miss'), eventType: type, title: 'low', severity: 'Low' },
    ]);
    const box = await eventually(async () => {
      const b = await inbox(sub);
      return b.data.length > 0 ? b : undefined;
    });
    expect(box.unread).toBe(1);
    expect(box.data.map((n) => n.eventId)).toEqual([hit]);
    // The same change again (a re-post is a duplicate) notifies nobody twice.
    await postEvents({ id: hit, eventType: type, title: 'gate jam', severity: 'High' });
    await sleep(500);
    expect((await inbox(sub)).data).toHaveLength(1);
    const read = await apiAs('viewer', sub, '/api/notifications/read', { method: 'POST', body: JSON.stringify({}) });
    expect(await read.json()).toEqual({ unread: 0 });
    expect((await inbox(sub)).data[0]!.read).toBe(true);
  });

  it('pushes a hint on the inbox socket of the recipient (and of nobody else) once the notification is readable', async () => {
    const type = uid('Berth');
    const sub = uid('planner');
    const open = async (who: string) => {
      const res = await SELF.fetch(`${BASE}/api/notifications/ws`, {
        headers: { upgrade: 'websocket', authorization: `Bearer ${await token('viewer', who)}` },
      });
      expect(res.status).toBe(101);
      const ws = res.webSocket!;
      const got: string[] = [];
      ws.addEventListener('message', (e) => got.push(e.data as string));
      ws.accept();
      return { ws, got };
    };
    const mine = await open(sub);
    const other = await open(uid('someone-else'));
    await rule({ name: 'berth', match: { eventTypes: [type] }, actions: [{ type: 'notify', users: [sub] }] });
    await postEvents({ id: uid('b'), eventType: type, title: 'berth blocked' });
    await eventually(async () => (mine.got.includes('{"type":"notifications"}') ? true : undefined));
    // The hint comes after the commit: the inbox already holds the notification.
    expect((await inbox(sub)).unread).toBe(1);
    expect(other.got).toEqual(['{"type":"hello"}']);
    mine.ws.close();
    other.ws.close();
    const plain = await apiAs('viewer', sub, '/api/notifications/ws');
    expect(plain.status).toBe(426);
  });

  it('re-reading changes it already consumed (a redo after a crash) creates nothing twice', async () => {
    const type = uid('Redo');
    const sub = uid('redo-user');
    const r = await rule({
      name: 'redo',
      match: { eventTypes: [type] },
      actions: [
        { type: 'notify', users: [sub] },
        { type: 'webhook', url: 'http://127.0.0.1:9/nobody-listens' },
      ],
    });
    const ids = [uid('r1'), uid('r2'), uid('r3')];
    await postEvents(ids.map((id) => ({ id, eventType: type, title: `redo ${id}`, portId: 'NLRTM' })));
    await eventually(async () => ((await inbox(sub)).data.length === 3 ? true : undefined));
    // The cursor goes back before these changes, as if the runner had died before recording its page.
    await env.DB.prepare("UPDATE rule_cursors SET seq = MAX(seq - 50, 0) WHERE category = 'Port'").run();
    const last = uid('r4');
    await postEvents({ id: last, eventType: type, title: `redo ${last}`, portId: 'NLRTM' }); // the nudge
    await eventually(async () => ((await inbox(sub)).data.length >= 4 ? true : undefined));
    await sleep(500);
    const box = await inbox(sub);
    expect(box.data.map((n) => n.eventId).sort()).toEqual([...ids, last].sort());
    expect(box.unread).toBe(4);
    const deliveries = await env.DB.prepare(
      'SELECT event_id, COUNT(*) AS n FROM webhook_deliveries WHERE rule_id = ?1 GROUP BY event_id',
    )
      .bind(r.id)
      .all<{ event_id: string; n: number }>();
    expect(deliveries.results.map((d) => d.n)).toEqual([1, 1, 1, 1]);
    await api(`/api/rules/${r.id}`, { method: 'DELETE', role: 'operator' });
  });

  it('tells an assignee “assigned to you”, built in, with no rule', async () => {
    const { json } = await postEvents({ id: uid('as'), eventType: uid('Crane'), title: 'crane stuck' });
    const id = json.data[0]!.id;
    const crew = uid('crew');
    const res = await api(`/api/events/${id}`, {
      method: 'PATCH',
      role: 'operator',
      body: JSON.stringify({ action: 'assign', assignee: crew }),
    });
    expect(res.status).toBe(200);
    const box = await eventually(async () => {
      const b = await inbox(crew);
      return b.data.length > 0 ? b : undefined;
    });
    expect(box.data[0]).toMatchObject({ eventId: id, kind: 'assigned', title: 'Assigned to you: crane stuck' });
  });

  it('creates one follow-up event, which no rule ever matches (no loop), and assigns the trigger', async () => {
    const type = uid('Reefer');
    const r = await rule({
      name: 'inspect',
      match: {},
      actions: [
        { type: 'createEvent', eventType: `${type}-inspection`, title: 'Inspection required', severity: 'High' },
        { type: 'assign', assignee: 'inspector-1' },
      ],
    });
    const trigger = uid('trig');
    await postEvents({ id: trigger, eventType: type, title: 'reefer alarm', containerId: 'MSCU9' });
    const followUps = await eventually(async () => {
      const { results } = await env.DB.prepare(
        "SELECT id, doc FROM events WHERE json_extract(doc, '$.eventData.triggeredBy.eventId') = ?1",
      )
        .bind(trigger)
        .all<{ id: string; doc: string }>();
      return results.length > 0 ? results : undefined;
    });
    const assigned = await eventually(async () => {
      const row = await env.DB.prepare('SELECT assigned_to FROM events WHERE id = ?1')
        .bind(trigger)
        .first<{ assigned_to: string | null }>();
      return row?.assigned_to ?? undefined;
    });
    expect(assigned).toBe('inspector-1');
    await sleep(800); // the runner reads the follow-up's and the assignment's changes too
    const { results } = await env.DB.prepare(
      "SELECT id FROM events WHERE json_extract(doc, '$.eventData.triggeredBy.ruleId') = ?1",
    )
      .bind(r.id)
      .all();
    // One per trigger: the follow-up (source rule:…) and the assignment (actor rule:…) trigger nothing.
    const own = followUps.map((f) => JSON.parse(f.doc) as { source: string; containerId: string; category: string });
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({ source: `rule:${r.id}`, containerId: 'MSCU9', category: 'Container' });
    expect(results.filter((x) => (x as { id: string }).id === followUps[0]!.id)).toHaveLength(1);
    const history = await env.DB.prepare('SELECT actor, action FROM event_history WHERE event_id = ?1')
      .bind(trigger)
      .all();
    expect(history.results).toEqual([{ actor: `rule:${r.id}`, action: 'assign' }]);
    await api(`/api/rules/${r.id}`, { method: 'DELETE', role: 'operator' });
  });

  it('escalates a Critical event nobody acknowledged, once; an acknowledged one not at all', async () => {
    const type = uid('Fire');
    const boss = uid('boss');
    await rule({
      name: 'critical unacked',
      match: { eventTypes: [type], severities: ['Critical'] },
      // 5 × RULES_MINUTE_MS (300 ms) = 1.5 s: room to acknowledge one of them first on a busy machine.
      actions: [
        { type: 'escalate', afterMinutes: 5, unless: 'acknowledged', steps: [{ type: 'notify', users: [boss] }] },
      ],
    });
    const ignored = uid('ignored');
    const acked = uid('acked');
    await postEvents([
      { id: ignored, eventType: type, title: 'fire A', severity: 'Critical' },
      { id: acked, eventType: type, title: 'fire B', severity: 'Critical' },
    ]);
    expect(
      (
        await api(`/api/events/${acked}`, {
          method: 'PATCH',
          role: 'operator',
          body: JSON.stringify({ action: 'acknowledge' }),
        })
      ).status,
    ).toBe(200);
    const box = await eventually(async () => {
      const b = await inbox(boss);
      return b.data.length > 0 ? b : undefined;
    });
    await sleep(3000); // two more escalation windows: nothing fires twice, nothing late
    const after = await inbox(boss);
    expect(after.data.map((n) => [n.eventId, n.kind])).toEqual([[ignored, 'escalation']]);
    expect(box.data[0]!.title).toContain('Escalated');
    const rows = await env.DB.prepare(
      'SELECT event_id, state FROM escalations WHERE event_id IN (?1, ?2) ORDER BY event_id',
    )
      .bind(acked, ignored)
      .all();
    const states = (rows.results as { event_id: string; state: string }[]).map((r) => [r.event_id, r.state]);
    expect(states).toContainEqual([ignored, 'fired']);
    // The acknowledged one: cancelled, or never scheduled when the runner read the event already
    // acknowledged (the changefeed keeps an event's latest change: docs/rules.md).
    expect(states.filter(([id]) => id === acked).every(([, state]) => state === 'cancelled')).toBe(true);
  });

  it('an escalation raises the severity of the event nobody acknowledged, once, and leaves the acknowledged one', async () => {
    const type = uid('Smoke');
    await rule({
      name: 'raise unacked',
      match: { eventTypes: [type], severities: ['High'] },
      actions: [{ type: 'escalate', afterMinutes: 5, unless: 'acknowledged', steps: [{ type: 'raiseSeverity' }] }],
    });
    const ignored = uid('ignored');
    const acked = uid('acked');
    await postEvents([
      { id: ignored, eventType: type, title: 'smoke A', severity: 'High' },
      { id: acked, eventType: type, title: 'smoke B', severity: 'High' },
    ]);
    expect(
      (
        await api(`/api/events/${acked}`, {
          method: 'PATCH',
          role: 'operator',
          body: JSON.stringify({ action: 'acknowledge' }),
        })
      ).status,
    ).toBe(200);
    const raised = await eventually(async () => {
      const e = (await (await api(`/api/events/${ignored}`, { role: 'viewer' })).json()) as {
        severity: string;
        priority: string;
        status: string;
      };
      return e.severity === 'Critical' ? e : undefined;
    });
    expect(raised).toMatchObject({ severity: 'Critical', priority: 'Critical', status: 'New' });
    await sleep(3000); // two more windows: a Critical event no rule of this test matches, nothing raises twice
    const history = (await (await api(`/api/events/${ignored}/history`, { role: 'viewer' })).json()) as {
      data: { action: string; fromStatus: string; toStatus: string; note: string; actor: string }[];
    };
    const raises = history.data.filter((h) => h.action === 'raiseSeverity');
    expect(raises).toHaveLength(1);
    expect(raises[0]).toMatchObject({ fromStatus: 'New', toStatus: 'New' });
    expect(raises[0]!.note).toContain('High → Critical');
    expect(raises[0]!.actor).toMatch(/^rule:/);
    const other = (await (await api(`/api/events/${acked}`, { role: 'viewer' })).json()) as { severity: string };
    expect(other.severity).toBe('High');
  });
});
