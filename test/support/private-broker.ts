/**
 * A second, private Kafka broker (scripts/kafka.sh on free ports and a fresh data folder), for the
 * tests that stop and start a broker: the shared test broker is never stopped.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/lib/free-port.ts';
import { ROOT } from './paths.ts';

const exec = promisify(execFile);

export type PrivateBroker = {
  /** `127.0.0.1:<port>`. */
  brokers: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it (if running) and deletes its data. */
  remove(): Promise<void>;
};

/** A private broker (not started yet). kafka.sh creates `bootstrapTopics` at each start. */
export async function privateBroker(bootstrapTopics: string): Promise<PrivateBroker> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'quaycast-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_DATA_DIR: dataDir,
    KAFKA_BROKERS: `127.0.0.1:${port}`,
    KAFKA_TOPICS: bootstrapTopics,
  };
  const run = async (command: 'start' | 'stop') => {
    await exec('bash', [path.join(ROOT, 'scripts/kafka.sh'), command], { cwd: ROOT, env, timeout: 120_000 });
  };
  return {
    brokers: `127.0.0.1:${port}`,
    start: () => run('start'),
    stop: () => run('stop'),
    async remove() {
      await run('stop').catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
