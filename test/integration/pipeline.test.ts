/**
 * The walking skeleton end to end, on real parts: Kafka (Apache Kafka broker) → bridge (Node,
 * kafkajs) → Worker (workerd) → D1 + category room → a real WebSocket, across a bridge SIGKILL that
 * is made to land between the Worker storing a batch and the bridge committing it, so the
 * redelivery really happens and must be harmless.
 */
import { describe, expect, it } from 'vitest';
import {
  committedOffsets,
  expectSeenOnceInOrder,
  flushRoom,
  runIds,
  storedIds,
  untilCommittedToEnd,
  untilStored,
} from '../support/fixture.ts';
import { createTopics, produce, unique } from '../support/kafka.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const pipe = usePipeline();

const containerEvent = (id: string, n: number) => ({
  id,
  eventType: 'GateIn',
  title: `Container MSCU${String(n).padStart(7, '0')} gated in`,
  containerId: `MSCU${String(n).padStart(7, '0')}`,
  severity: n % 10 === 0 ? 'High' : 'Low',
  eventTime: new Date().toISOString(),
});

/** As the existing .NET producer writes it: PascalCase, numeric id, 7-digit fraction, no zone, Priority only. */
const legacyEvent = (n: number) => ({
  EventId: n,
  EventType: 'ReeferAlarm',
  Title: 'Reefer temperature above set point',
  Description: 'Set point -18.0 C, reading -11.2 C',
  ContainerId: 4_200_000 + n,
  Priority: 'Critical',
  Status: 'In Progress',
  Timestamp: '2026-11-29T08:15:02.1234567',
  RequiresAction: true,
  Source: 'ReeferMonitor',
  TerminalCode: 'RTM-ECT',
});

describe('pipeline > Kafka to a room socket', () => {
  it('delivers produced events (one in the legacy .NET shape) to the room socket once each, in seq order, across a bridge SIGKILL that forces a redelivery', async () => {
    const topic = unique('it-container-events');
    const group = unique('it-group');
    await createTopics([topic]);
    const runId = unique('run');
    const socket = await pipe.socket('Container');
    const proxy = await pipe.proxy();

    const bridgeEnv = { WORKER_URL: proxy.url, KAFKA_TOPICS: topic, KAFKA_GROUP_ID: group, BATCH_MAX_MESSAGES: '20' };
    const first = pipe.bridge(bridgeEnv);
    await first.waitForLog(/"msg":"consuming"/);

    const legacyId = 900_000 + Math.floor(Math.random() * 99_999);
    await produce(topic, [{ key: String(legacyId), value: JSON.stringify(legacyEvent(legacyId)) }]);
    const ids = runIds(runId, 0, 300);
    await produce(
      topic,
      ids.slice(0, 150).map((id, n) => ({ key: id, value: JSON.stringify(containerEvent(id, n)) })),
    );
    await socket.waitForEvents(20);
    // From now on the Worker stores each batch but its answer is held: the bridge cannot commit.
    proxy.mode = { kind: 'delay-response', ms: 60_000 };
    await until('a batch stored whose answer is held', () => (proxy.counts.held >= 1 ? true : undefined));
    await first.kill('SIGKILL');
    const storedAtKill = storedIds(pipe.worker, `${runId}-`).length + 1; // + the legacy record
    const committedAtKill = [...(await committedOffsets(group, topic)).values()].reduce(
      (n, o) => n + Math.max(0, o),
      0,
    );
    expect(committedAtKill, 'some stored records were not committed when the bridge died').toBeLessThan(storedAtKill);
    proxy.mode = { kind: 'pass' };
    await produce(
      topic,
      ids.slice(150).map((id, n) => ({ key: id, value: JSON.stringify(containerEvent(id, 150 + n)) })),
    );

    const second = pipe.bridge(bridgeEnv);
    await untilStored(pipe.worker, `${runId}-`, ids);
    await untilCommittedToEnd(group, topic);
    // The kill landed after a store and before its commit: the second bridge got those records again.
    expect(await second.metric('quaycast_bridge_forwarded_total', { result: 'duplicate' })).toBeGreaterThanOrEqual(1);

    await flushRoom(pipe.worker, socket, 'Container', runId);
    const seen = expectSeenOnceInOrder(socket, `${runId}-`).filter((id) => !id.includes('sentinel'));
    expect(seen.sort()).toEqual([...ids].sort());
    const legacyCount = socket.events.filter((e) => e.id === String(legacyId)).length;
    expect(legacyCount).toBe(1);

    const legacy = socket.events.find((e) => e.id === String(legacyId));
    expect(legacy).toMatchObject({
      category: 'Container',
      containerId: String(4_200_000 + legacyId),
      severity: 'Critical',
      priority: 'Critical',
      status: 'InProgress',
      eventTime: '2026-11-29T08:15:02.123Z',
      requiresAction: true,
      metadata: { extra: { TerminalCode: 'RTM-ECT' } },
      origin: { kind: 'kafka', topic },
    });
    expect(storedIds(pipe.worker, String(legacyId))).toEqual([String(legacyId)]);

    await second.kill('SIGTERM');
    expect(second.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });
});
