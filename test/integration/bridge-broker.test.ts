/**
 * The broker stopped and restarted while events are being produced, on a second, private broker
 * (never the shared one on 9092): the bridge rides it out and D1 ends with every event once.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type BridgeProcess } from '../support/bridge.ts';
import { unique } from '../support/kafka.ts';
import { kcatProduce } from '../support/kcat.ts';
import { ROOT } from '../support/paths.ts';
import { eventOf, storedIds, untilCommittedToEnd, untilStored } from '../support/fixture.ts';
import { until } from '../support/wait.ts';
import { freePort } from '../../scripts/lib/free-port.ts';
import { startWorker, type WorkerHost } from '../support/worker.ts';

const exec = promisify(execFile);
let worker: WorkerHost;
let brokerEnv: Record<string, string>;
let dataDir: string;
const bridges: BridgeProcess[] = [];
const topic = unique('it-brokerfault');

async function broker(command: 'start' | 'stop'): Promise<void> {
  await exec('bash', [path.join(ROOT, 'scripts/kafka.sh'), command], { cwd: ROOT, env: { ...process.env, ...brokerEnv }, timeout: 120_000 });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'quaycast-kafka2-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  brokerEnv = { KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort), KAFKA_DATA_DIR: dataDir, KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_TOPICS: topic };
  [worker] = await Promise.all([startWorker(), broker('start')]);
});

afterAll(async () => {
  await Promise.all(bridges.map((b) => b.kill('SIGKILL')));
  await worker?.stop();
  if (brokerEnv) await broker('stop').catch(() => undefined);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('bridge > broker restart', () => {
  it('(d) rides out the broker stopping and restarting while events are produced; D1 holds each once', async () => {
    const brokers = brokerEnv.KAFKA_BROKERS!;
    const groupId = unique('it-group');
    const run = unique('fbroker');
    const bridge = startBridge({ WORKER_URL: worker.url, KAFKA_BROKERS: brokers, KAFKA_TOPICS: topic, KAFKA_GROUP_ID: groupId, BATCH_MAX_MESSAGES: '10', OUTBOX_ENABLED: 'false' });
    bridges.push(bridge);
    await bridge.waitForLog(/"msg":"consuming"/);

    // An independent producer (kcat) sending 2 events every 250 ms; each run ends only when the
    // broker acknowledged its records, so it waits out the outage (librdkafka retries), at least once.
    const total = 120;
    let sent = 0;
    let failedSends = 0;
    const producing = (async () => {
      while (sent < total) {
        const ids = Array.from({ length: 2 }, (_, i) => `${run}-${sent + i}`);
        try {
          await kcatProduce({ brokers, topic, records: ids.map((id) => ({ key: id, value: JSON.stringify(eventOf('Berth', id)) })) });
          sent += ids.length;
        } catch {
          failedSends++; // kcat gave up while the broker was away: send the same ids again
        }
        await new Promise((r) => setTimeout(r, 250)); // the producer's pace, not a wait for a condition
      }
    })();

    await until('some events through before the stop', () => (storedIds(worker, `${run}-`).length >= 20 ? true : undefined), 30_000);
    await broker('stop');
    const logsAtStop = bridge.logs.length;
    // The outage is felt on both sides before the broker comes back: kcat failed, the bridge's client complained.
    await until('the producer and the bridge noticed the outage', () => (failedSends >= 1 && bridge.logs.slice(logsAtStop).some((l) => l.includes('kafkajs')) ? true : undefined), 60_000);
    const beforeRestart = sent;
    await broker('start');
    await producing;
    expect(beforeRestart).toBeLessThan(total); // the producer was still at work across the outage

    const ids = Array.from({ length: total }, (_, i) => `${run}-${i}`);
    await untilStored(worker, `${run}-`, ids, 90_000);
    await untilCommittedToEnd(groupId, topic, 60_000, [brokers]);
    expect(storedIds(worker, `${run}-`)).toEqual([...ids].sort()); // and nothing beyond them arrived
    expect(bridge.child.exitCode).toBeNull(); // it stayed up through the outage
  });
});
