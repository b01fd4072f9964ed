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
import { until } from '../support/wait.ts';
import { freePort, startWorker, type WorkerHost } from '../support/worker.ts';

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
    const producing = (async () => {
      while (sent < total) {
        const ids = Array.from({ length: 2 }, (_, i) => `${run}-${sent + i}`);
        try {
          await kcatProduce({ brokers, topic, records: ids.map((id) => ({ key: id, value: JSON.stringify({ id, eventType: 'BerthFree', title: `Berth free ${id}`, berthId: 'B1', eventTime: new Date().toISOString() }) })) });
          sent += ids.length;
        } catch {
          // kcat gave up while the broker was away: send the same ids again
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    })();

    const storedCount = () => worker.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE id LIKE ?', `${run}-%`)[0]!.n;
    await until('some events through before the stop', () => (storedCount() >= 20 ? true : undefined), 30_000);
    await broker('stop');
    await new Promise((r) => setTimeout(r, 3000));
    const beforeRestart = sent;
    await broker('start');
    await producing;
    expect(beforeRestart).toBeLessThan(total); // the producer was still at work across the outage

    await until(`${total} events in D1`, () => (storedCount() === total ? true : undefined), 90_000, 250);
    await new Promise((r) => setTimeout(r, 1000));
    const [row] = worker.query<{ n: number; d: number }>('SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM events WHERE id LIKE ?', `${run}-%`);
    expect(row).toEqual({ n: total, d: total });
    expect(bridge.child.exitCode).toBeNull(); // it stayed up through the outage
    expect(bridge.logs.some((l) => l.includes('kafkajs') || l.includes('consumer crashed'))).toBe(true); // and noticed it
  });
});
