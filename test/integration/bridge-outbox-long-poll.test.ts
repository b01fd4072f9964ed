/**
 * The outbox long-poll on real parts (bridge + Worker under wrangler + Kafka): an API event
 * reaches its topic through the read the bridge already held when it was posted (the Worker woke
 * it), and an idle bridge makes only a handful of requests where it used to poll four a second.
 */
import { describe, expect, it } from 'vitest';
import { postEvents } from '../support/fixture.ts';
import { createTopics, unique } from '../support/kafka.ts';
import { kcatRead } from '../support/kcat.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const pipe = usePipeline();

describe('bridge > outbox long-poll', () => {
  it('publishes through the held read the Worker wakes, and idles at a few requests', async () => {
    const [containerTopic, portTopic, consumed] = [unique('lp-containers'), unique('lp-ports'), unique('lp-in')];
    await createTopics([containerTopic, portTopic, consumed]);
    const proxy = await pipe.proxy();
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      // Consumes a topic of its own, so that its publications do not come back as ingest requests.
      KAFKA_TOPICS: consumed,
      KAFKA_GROUP_ID: unique('lp-group'),
      OUTBOX_CONTAINER_TOPIC: containerTopic,
      OUTBOX_PORT_TOPIC: portTopic,
      OUTBOX_WAIT_S: '30',
    });
    await bridge.waitForLog(/"msg":"outbox relay running"/);
    const outboxReads = () => proxy.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/internal/outbox'));
    // Earlier rows of this file's Worker may be pending: wait until a read is held (no answer yet).
    const held = await until('a held outbox read', () => {
      const last = outboxReads().at(-1);
      return last && last.status === undefined && outboxReads().length > 0 ? last : undefined;
    });
    expect(held.path).toContain('wait=30');
    const readsBefore = outboxReads().length;

    const id = unique('lp-event');
    expect(
      (await postEvents(pipe.worker, { id, eventType: 'ShipBerthed', title: 'b', shipId: 'IMO9321483' })).status,
    ).toBe(201);
    await until('the event on its topic', async () =>
      (await kcatRead(portTopic)).some((r) => r.key === id) ? true : undefined,
    );
    // The order of effects: the read held before the POST answered 200 with the row and was acked;
    // no other read was needed to find it (a timed-out read would only end 30 s later).
    expect(held.status).toBe(200);
    const ackIndex = proxy.requests.findIndex((r) => r.path === '/internal/outbox/ack' && r.body.includes(id));
    expect(ackIndex).toBeGreaterThan(proxy.requests.indexOf(held));
    expect(outboxReads().filter((r) => proxy.requests.indexOf(r) < ackIndex)).toHaveLength(readsBefore);

    // At rest: count what the bridge asks of the Worker over a window that old polling filled with ~24 reads.
    const from = proxy.requests.length;
    await new Promise((r) => setTimeout(r, 6000));
    const idle = proxy.requests.slice(from);
    expect(idle.filter((r) => r.path.startsWith('/internal/outbox')).length).toBeLessThanOrEqual(1);
    expect(idle.length).toBeLessThanOrEqual(2); // at most one re-armed read and one liveness report
  });
});
