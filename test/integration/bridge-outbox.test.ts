/**
 * The outbox on real parts: events posted to the Worker's API are published by the bridge to
 * Kafka (Container → the container topic, others → the port topic; key = id; header
 * `x-quaycast-origin: api`), once, across a bridge SIGKILL and a Worker restart, and consuming
 * them back changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { BridgeProcess } from '../support/bridge.ts';
import { postEvents } from '../support/fixture.ts';
import { createTopics, unique } from '../support/kafka.ts';
import { kcatRead, type KcatRecord } from '../support/kcat.ts';
import { TEST_SECRETS } from '../support/paths.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const pipe = usePipeline();
const post = (body: unknown) => postEvents(pipe.worker, body);

/**
 * Waits until the relay is done with `ids` for good: their outbox rows are acknowledged (never
 * served again) and a marker event posted after that has been published too, so any publication of
 * them by a pass that was still in flight has completed before we read the topic.
 */
async function relayedPast(ids: string[]): Promise<void> {
  const acked = (id: string) =>
    Boolean(
      pipe.worker.query<{ p: number | null }>('SELECT published_at AS p FROM outbox WHERE event_id = ?', id)[0]?.p,
    );
  await until(`${ids.join(', ')} acknowledged in the outbox`, () => (ids.every(acked) ? true : undefined), 30_000, 100);
  const marker = `${ids[0]}-after`;
  expect((await post({ id: marker, eventType: 'Marker', title: 'relay marker', portId: 'NLRTM' })).status).toBe(201);
  await until(`${marker} acknowledged in the outbox`, () => (acked(marker) ? true : undefined), 30_000, 100);
}
const withKey = (records: KcatRecord[], key: string) => records.filter((r) => r.key === key);

describe('bridge > outbox', () => {
  it('serves pending rows and acks only to the service token', async () => {
    expect((await fetch(`${pipe.worker.url}/internal/outbox`)).status).toBe(401);
    const ack = await fetch(`${pipe.worker.url}/internal/outbox/ack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_SECRETS.INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [] }),
    });
    expect(ack.status).toBe(400);
    const page = await fetch(`${pipe.worker.url}/internal/outbox?limit=5`, {
      headers: { authorization: `Bearer ${TEST_SECRETS.INGEST_TOKEN}` },
    });
    expect(page.status).toBe(200);
    expect(await page.json()).toMatchObject({ data: expect.any(Array) });
  });

  it('publishes API-made events to their topic once, with the origin header, across a bridge SIGKILL and a Worker restart', async () => {
    const containerTopic = unique('it-outbox-containers');
    const portTopic = unique('it-outbox-ports');
    await createTopics([containerTopic, portTopic]);
    const run = unique('obx');
    const env = {
      WORKER_URL: pipe.worker.url,
      KAFKA_TOPICS: `${containerTopic},${portTopic}`, // it consumes its own publications back
      KAFKA_GROUP_ID: unique('it-group'),
      OUTBOX_CONTAINER_TOPIC: containerTopic,
      OUTBOX_PORT_TOPIC: portTopic,
      OUTBOX_INTERVAL_MS: '250',
    };
    const first = pipe.bridge(env);
    await first.waitForLog(/"msg":"outbox relay running"/);

    const container = {
      id: `${run}-container`,
      eventType: 'GateOut',
      title: 'Container left by truck',
      containerId: 'MSCU7654321',
      severity: 'Low',
    };
    const ship = { id: `${run}-ship`, eventType: 'ShipBerthed', title: 'Vessel berthed at B3', shipId: 'IMO9321483' };
    const res = await post([container, ship]);
    expect(res.status).toBe(201);
    // How fast is a bench figure (bench/); here: it arrives, through the relay's own pass.
    const seen = await until(
      'both events on Kafka',
      async () => {
        const [c, p] = await Promise.all([kcatRead(containerTopic), kcatRead(portTopic)]);
        return withKey(c, container.id).length > 0 && withKey(p, ship.id).length > 0 ? { c, p } : undefined;
      },
      10_000,
      100,
    );

    const [onContainers] = withKey(seen.c, container.id);
    expect(onContainers!.headers).toMatchObject({ 'x-quaycast-origin': 'api' });
    expect(JSON.parse(onContainers!.value!)).toMatchObject({
      id: container.id,
      category: 'Container',
      containerId: 'MSCU7654321',
      origin: { kind: 'api' },
      seq: expect.any(Number),
    });
    expect(withKey(seen.p, container.id)).toHaveLength(0);
    const [onPorts] = withKey(seen.p, ship.id);
    expect(JSON.parse(onPorts!.value!)).toMatchObject({ id: ship.id, category: 'Ship', origin: { kind: 'api' } });

    // Consumed back by the bridge: recognised as duplicates, stored once.
    await until('both publications consumed back as duplicates', async () =>
      (await first.metric('quaycast_bridge_forwarded_total', { result: 'duplicate' })) >= 2 ? true : undefined,
    );
    expect(await first.metric('quaycast_bridge_forwarded_total', { result: 'stored' })).toBe(0);
    expect(await first.metric('quaycast_bridge_outbox_published_total')).toBe(2);
    expect(pipe.worker.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE id LIKE ?', `${run}-%`)[0]!.n).toBe(
      2,
    );
    expect(
      pipe.worker.query<{ p: number | null }>(
        'SELECT published_at AS p FROM outbox WHERE event_id = ?',
        container.id,
      )[0]!.p,
    ).toBeGreaterThan(0);

    // The bridge dies; an event is posted; the Worker restarts; a new bridge publishes it (and nothing again).
    await first.kill('SIGKILL');
    const later = {
      id: `${run}-later`,
      eventType: 'ReeferAlarm',
      title: 'Reefer alarm',
      containerId: 'MSCU1111111',
      severity: 'Critical',
    };
    expect((await post(later)).status).toBe(201);
    await pipe.worker.stop();
    await pipe.worker.start();
    expect(
      pipe.worker.query<{ p: number | null }>('SELECT published_at AS p FROM outbox WHERE event_id = ?', later.id)[0]!
        .p,
    ).toBeNull();
    const second = pipe.bridge(env);
    await until(
      'the later event on Kafka',
      async () => (withKey(await kcatRead(containerTopic), later.id).length > 0 ? true : undefined),
      30_000,
      200,
    );
    await relayedPast([later.id]);
    const finalContainers = await kcatRead(containerTopic);
    const finalPorts = await kcatRead(portTopic);
    expect(withKey(finalContainers, later.id)).toHaveLength(1);
    expect(withKey(finalContainers, later.id)[0]!.headers).toMatchObject({ 'x-quaycast-origin': 'api' });
    expect(withKey(finalContainers, container.id)).toHaveLength(1);
    expect(withKey(finalPorts, ship.id)).toHaveLength(1);
    expect(await second.metric('quaycast_bridge_outbox_published_total')).toBe(2); // the later event and relayedPast's marker
    await second.kill('SIGTERM');
    expect(second.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });

  it('publishes once with two bridges in the group: only the member holding partition 0 of the first topic relays', async () => {
    const containerTopic = unique('it-outbox2-containers');
    const portTopic = unique('it-outbox2-ports');
    await createTopics([containerTopic, portTopic]);
    const run = unique('obx2');
    const env = {
      WORKER_URL: pipe.worker.url,
      KAFKA_TOPICS: `${containerTopic},${portTopic}`,
      KAFKA_GROUP_ID: unique('it-group'),
      OUTBOX_CONTAINER_TOPIC: containerTopic,
      OUTBOX_PORT_TOPIC: portTopic,
    };
    const pair = [pipe.bridge(env), pipe.bridge(env)];
    const lastJoin = (b: BridgeProcess) =>
      b.logLines('joined consumer group').at(-1) as
        | { outboxLeader: boolean; assignment: Record<string, number[]> }
        | undefined;
    // Settled: both members joined the same generation, with the partitions split between them.
    await until(
      'the group settled with one outbox leader',
      () => {
        const joins = pair.map(lastJoin);
        if (joins.some((j) => !j || Object.values(j.assignment).flat().length === 6)) return undefined;
        return joins.filter((j) => j!.outboxLeader).length === 1 ? true : undefined;
      },
      45_000,
      200,
    );

    const ids = [0, 1, 2].map((i) => `${run}-${i}`);
    expect(
      (await post(ids.map((id) => ({ id, eventType: 'GateIn', title: `Gate in ${id}`, containerId: 'MSCU0000001' }))))
        .status,
    ).toBe(201);
    await until(
      'all three on Kafka',
      async () =>
        (await kcatRead(containerTopic)).filter((r) => ids.includes(r.key ?? '')).length >= 3 ? true : undefined,
      10_000,
      200,
    );
    await relayedPast(ids);
    const records = (await kcatRead(containerTopic)).filter((r) => ids.includes(r.key ?? ''));
    expect(records.map((r) => r.key).sort()).toEqual(ids);
    const published = await Promise.all(pair.map((b) => b.metric('quaycast_bridge_outbox_published_total')));
    expect(published.sort((a, b) => a - b)).toEqual([0, 4]); // three events and relayedPast's marker, by one member
  });
});
