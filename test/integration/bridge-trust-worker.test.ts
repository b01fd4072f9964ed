/**
 * The bridge trusts nothing the Worker tells it, on real parts (broker, `wrangler dev`, the
 * bridge process, the fault proxy): a Retry-After of a day is capped by RETRY_MAX_MS; answers of
 * odd shapes with a 200 (not JSON, too few or too many results, wrong types, a huge body) are
 * retried, never a crash, never a dead letter; and an outbox row naming a topic of the Worker's
 * choosing is refused, logged and not published, while the honest rows around it are.
 */
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../protocol/ingest.ts';
import { signJwt } from '../../protocol/jwt.ts';
import type { CannedAnswer, FaultProxy } from '../support/fault-proxy.ts';
import { storedIds } from '../support/fixture.ts';
import { createTopics, highWatermarks, produce, unique } from '../support/kafka.ts';
import { deadLetters, kcatRead } from '../support/kcat.ts';
import { TEST_SECRETS } from '../support/paths.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const pipe = usePipeline();
const event = (id: string) =>
  JSON.stringify({
    id,
    eventType: 'GateIn',
    title: `Gate ${id}`,
    portId: 'NLRTM',
    eventTime: new Date().toISOString(),
  });
const stored = (run: string) => storedIds(pipe.worker, `${run}-`);
const ingestBodies = (p: FaultProxy) => p.requests.filter((r) => r.path === '/internal/ingest');

describe('bridge > trusts no Worker answer', () => {
  it('caps a Retry-After of a day by RETRY_MAX_MS: it forwards again within the cap and stores the records once the Worker answers', async () => {
    const topic = unique('it-trust-ra');
    await createTopics([topic], 1);
    const run = unique('ra');
    const proxy = await pipe.proxy();
    proxy.mode = {
      kind: 'fail',
      status: 503,
      error: { code: 'room_unavailable', message: 'come back tomorrow', details: { rooms: ['Port'] } },
      headers: { 'retry-after': '86400' },
    };
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: unique('it-group'),
      RETRY_INITIAL_MS: '100',
      RETRY_MAX_MS: '500',
      OUTBOX_ENABLED: 'false',
    });
    const ids = [0, 1, 2].map((i) => `${run}-${i}`);
    await produce(
      topic,
      ids.map((id) => ({ key: id, value: event(id), partition: 0 })),
    );

    // Told to wait 86,400 s, it asks again three more times: each wait was the 500 ms cap.
    await until(
      'four forwards, each answered Retry-After: 86400',
      () => (proxy.counts.failed >= 4 ? true : undefined),
      30_000,
    );
    const waits = bridge.logLines('forward failed; retrying').map((l) => l.delayMs as number);
    expect(waits.length).toBeGreaterThanOrEqual(3);
    for (const w of waits) expect(w).toBe(500);
    proxy.mode = { kind: 'pass' };
    await until('the records in D1', () => (stored(run).length === 3 ? true : undefined), 30_000);
    expect(stored(run)).toEqual(ids);
    expect(await deadLetters(topic)).toEqual([]);
  });

  it('retries 200 answers of every odd shape, without crashing or dead-lettering, then stores the records once', async () => {
    const topic = unique('it-trust-odd');
    await createTopics([topic], 1);
    const run = unique('odd');
    const ids = [0, 1, 2].map((i) => `${run}-${i}`);
    const result = (id: string, seq: unknown = 1) => ({ status: 'stored', id, seq, category: 'Port' });
    const json = (body: unknown): CannedAnswer => ({
      status: 200,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    const odd: [string, CannedAnswer][] = [
      ['not JSON', { status: 200, body: '<html>ok</html>', headers: { 'content-type': 'text/html' } }],
      ['no results', json({ ok: true })],
      ['too few results', json({ results: [result(ids[0]!)] })],
      ['too many results', json({ results: [...ids, ...ids].map((id) => result(id)) })],
      ['a seq that is a string', json({ results: ids.map((id) => result(id, 'one')) })],
      ['a rejection without a reason', json({ results: ids.map(() => ({ status: 'rejected' })) })],
      ['an unknown status', json({ results: ids.map(() => ({ status: 'stored-ish' })) })],
      ['results: null', json({ results: null })],
      ['an empty body', { status: 200, body: '' }],
      [
        'a 64 MiB body of spaces, streamed',
        { status: 200, body: ' '.repeat(64 * 1024), repeat: 1024, headers: { 'content-type': 'application/json' } },
      ],
      [
        'a 200 with a Content-Length of 5 GiB',
        { status: 200, body: '{', headers: { 'content-length': String(5 * 1024 ** 3) } },
      ],
    ];
    const proxy = await pipe.proxy();
    proxy.mode = { kind: 'answers', answers: odd.map(([, a]) => a) };
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: unique('it-group'),
      RETRY_INITIAL_MS: '20',
      RETRY_MAX_MS: '100',
      OUTBOX_ENABLED: 'false',
    });
    await produce(
      topic,
      ids.map((id) => ({ key: id, value: event(id), partition: 0 })),
    );

    await until(
      'the records in D1 once the answers are used up',
      () => (stored(run).length === 3 ? true : undefined),
      60_000,
    );
    expect(stored(run)).toEqual(ids);
    expect(proxy.counts.failed).toBe(odd.length);
    // The same bridge process all along: no crash, no restart.
    expect(bridge.child.exitCode).toBeNull();
    expect(bridge.logLines('starting')).toHaveLength(1);
    const retried = bridge.logLines('forward failed; retrying').map((l) => String(l.errorMessage));
    expect(retried.length).toBeGreaterThanOrEqual(odd.length);
    for (const m of retried.slice(0, odd.length))
      expect(m).toMatch(/^worker answered 200 without one valid result per record: /);
    expect(retried.some((m) => /over the \d+-byte bound/.test(m))).toBe(true);
    expect(await bridge.metric('quaycast_bridge_forward_unexpected_answers_total')).toBe(odd.length);
    // Odd answers say nothing about the records: nothing dead-lettered, nothing isolated.
    expect(await deadLetters(topic)).toEqual([]);
    expect(await bridge.metric('quaycast_bridge_isolated_total')).toBe(0);
    // Every forward carried all three records: no window was split on the odd answers.
    for (const r of ingestBodies(proxy))
      expect((JSON.parse(r.body) as { records: IngestRecord[] }).records.map((x) => x.key)).toEqual(ids);
  });
});

describe('bridge > outbox rows may only name the outbox topics', () => {
  it('refuses a row naming another topic (logged, counted, acknowledged, nothing written there) and publishes the honest rows around it', async () => {
    const [containerTopic, portTopic, victim] = [
      unique('it-trust-containers'),
      unique('it-trust-ports'),
      unique('it-trust-victim'),
    ];
    await createTopics([containerTopic, portTopic, victim]);
    const run = unique('obxf');
    const token = await signJwt(
      {
        sub: 'it-producer',
        role: 'producer',
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 600,
      },
      TEST_SECRETS.JWT_SECRET,
    );
    const ids = { before: `${run}-before`, forged: `${run}-forged`, after: `${run}-after` };
    const res = await fetch(`${pipe.worker.url}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        Object.values(ids).map((id) => ({
          id,
          eventType: 'ShipBerthed',
          title: `Berthed ${id}`,
          shipId: 'IMO9321483',
        })),
      ),
    });
    expect(res.status).toBe(201);
    // The Worker (its D1, here) names a topic of its choosing for one row: another topic's DLQ.
    pipe.worker.exec(`UPDATE outbox SET topic = '${victim}.dlq' WHERE event_id = '${ids.forged}'`);
    const victimBefore = [await highWatermarks(victim), await highWatermarks(`${victim}.dlq`)];

    const bridge = pipe.bridge({
      WORKER_URL: pipe.worker.url,
      KAFKA_TOPICS: `${containerTopic},${portTopic}`,
      KAFKA_GROUP_ID: unique('it-group'),
      OUTBOX_CONTAINER_TOPIC: containerTopic,
      OUTBOX_PORT_TOPIC: portTopic,
      OUTBOX_INTERVAL_MS: '100',
    });
    const acked = (id: string) =>
      Boolean(
        pipe.worker.query<{ p: number | null }>('SELECT published_at AS p FROM outbox WHERE event_id = ?', id)[0]?.p,
      );
    await until('every row acknowledged', () => (Object.values(ids).every(acked) ? true : undefined), 30_000);
    await until(
      'the honest rows on the port topic',
      async () => ((await kcatRead(portTopic)).filter((r) => r.key?.startsWith(run)).length >= 2 ? true : undefined),
      15_000,
    );

    const published = (await kcatRead(portTopic)).filter((r) => r.key?.startsWith(run)).map((r) => r.key);
    expect(published.sort()).toEqual([ids.after, ids.before].sort());
    expect((await kcatRead(containerTopic)).filter((r) => r.key?.startsWith(run))).toEqual([]);
    expect([await highWatermarks(victim), await highWatermarks(`${victim}.dlq`)]).toEqual(victimBefore);
    const [refusal] = bridge.logLines('outbox rows refused: not published');
    expect(refusal).toMatchObject({
      level: 'error',
      refused: 1,
      rows: [{ id: ids.forged, topic: `${victim}.dlq`, problem: 'names a topic the outbox does not publish to' }],
    });
    expect(await bridge.metric('quaycast_bridge_outbox_refused_total')).toBe(1);
    expect(await bridge.metric('quaycast_bridge_outbox_published_total')).toBe(2);
    // The event itself is untouched in D1 (only its Kafka copy was refused).
    expect(pipe.worker.query('SELECT id FROM events WHERE id = ?', ids.forged)).toHaveLength(1);
  });
});
