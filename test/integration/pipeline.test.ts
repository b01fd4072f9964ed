/**
 * The walking skeleton end to end, on real parts: Kafka (Apache Kafka broker) → bridge (Node,
 * kafkajs) → Worker (workerd) → D1 + category room → a real WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../../protocol/jwt.ts';
import { startBridge, type BridgeProcess } from '../support/bridge.ts';
import { createTopics, produce, unique } from '../support/kafka.ts';
import { TEST_SECRETS } from '../support/paths.ts';
import { openRoom } from '../support/room-client.ts';
import { startWorker, type WorkerHost } from '../support/worker.ts';

let worker: WorkerHost;
const bridges: BridgeProcess[] = [];

beforeAll(async () => {
  worker = await startWorker();
});

afterAll(async () => {
  await Promise.all(bridges.map((b) => b.kill('SIGKILL')));
  await worker?.stop();
});

const containerEvent = (runId: string, n: number) => ({
  id: `${runId}-${n}`,
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
  it('delivers produced events (one in the legacy .NET shape) to the room socket once each, and D1 holds each once across a bridge SIGKILL', async () => {
    const topic = unique('it-container-events');
    const group = unique('it-group');
    await createTopics([topic]);
    const runId = unique('run');
    const token = await signJwt({ sub: 'it-viewer', role: 'viewer' }, TEST_SECRETS.JWT_SECRET);
    const socket = await openRoom(worker.url, 'Container', token);

    const bridgeEnv = { WORKER_URL: worker.url, KAFKA_TOPICS: topic, KAFKA_GROUP_ID: group, BATCH_MAX_MESSAGES: '20' };
    const first = startBridge(bridgeEnv);
    bridges.push(first);
    await first.waitForLog(/"msg":"consuming"/);

    const legacyId = 900_000 + Math.floor(Math.random() * 99_999);
    await produce(topic, [{ key: String(legacyId), value: JSON.stringify(legacyEvent(legacyId)) }]);
    const total = 300;
    await produce(topic, Array.from({ length: 150 }, (_, i) => ({ key: `${runId}-${i}`, value: JSON.stringify(containerEvent(runId, i)) })));
    // Kill the bridge while it is working through the stream: some batches are forwarded but not committed.
    await socket.waitForEvents(20);
    await first.kill('SIGKILL');
    await produce(topic, Array.from({ length: total - 150 }, (_, i) => ({ key: `${runId}-${150 + i}`, value: JSON.stringify(containerEvent(runId, 150 + i)) })));

    const second = startBridge(bridgeEnv);
    bridges.push(second);
    const events = await socket.waitForEvents(total + 1, 60_000);
    // Give redeliveries time to arrive (they must not).
    await new Promise((r) => setTimeout(r, 1500));

    const ids = socket.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(total + 1);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const legacy = events.find((e) => e.id === String(legacyId));
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

    const [row] = worker.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE id LIKE ? OR id = ?', `${runId}-%`, String(legacyId));
    expect(row?.n).toBe(total + 1);

    await second.kill('SIGTERM');
    expect(second.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    socket.close();
  });
});
