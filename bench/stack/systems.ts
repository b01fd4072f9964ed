/**
 * The two systems under test, started fresh for every scenario run (own topics, own consumer
 * group, own storage) and measured the same way: the HTTP base URL the clients connect to,
 * the processes whose CPU is the system's, the server process whose RSS is the per-socket cost,
 * and a count of stored events.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../scripts/lib/free-port.ts';
import {
  forkModule,
  nextMessage,
  onShutdown,
  registerTempDir,
  removeTempDir,
  spawnGroup,
  stopChild,
} from '../lib/children.ts';
import { processTree, rssBytes } from '../lib/proc.ts';
import { ROOT } from '../../scripts/lib/paths.ts';
import { createBenchRules } from './rules.ts';
import { hostWorker } from './worker.ts';

export type SystemName = 'quaycast' | 'peer';

export type SystemUnderTest = {
  name: SystemName;
  url: string;
  /** Every process of the system (CPU). */
  pids(): number[];
  /** The same processes by part (Quaycast: workerd, bridge), for the CPU breakdown. */
  parts(): Record<string, number[]>;
  /** The process holding the sockets (memory per socket): workerd, or the peer. */
  serverRss(): number;
  countEvents(): Promise<number>;
  /** Internal figures for the profile (Quaycast: the bridge's forward batches); {} when none. */
  diagnostics(): Promise<Record<string, number>>;
  stop(): Promise<void>;
};

/** Reads a Prometheus text value (summed over label sets). */
export function metricValue(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return total;
}

export type StartOptions = {
  brokers: string[];
  topics: string[];
  groupId: string;
  jwtSecret: string;
  ingestToken: string;
  deflate: boolean;
  /** Active rules to create in Quaycast before the load (bench/stack/rules.ts). */
  rules?: number;
};

function watchLines(child: ChildProcess, sink: string[]): void {
  const on = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) sink.push(line);
    if (sink.length > 2000) sink.splice(0, sink.length - 2000);
  };
  child.stdout?.on('data', on);
  child.stderr?.on('data', on);
}

async function waitForLine(lines: string[], pattern: RegExp, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!lines.some((l) => pattern.test(l))) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}):\n${lines.slice(-20).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`);
    await sleep(50);
  }
}

/** The room's send-window vars, passed through from the bench's environment (bench/README.md, "Send window"). */
const ROOM_SEND_VARS = ['ROOM_SEND_BUDGET_PER_SECOND', 'ROOM_MAX_SEND_DELAY_MS', 'ROOM_SEND_WINDOW_MS'] as const;

function roomSendVars(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of ROOM_SEND_VARS) {
    const value = process.env[name];
    if (value !== undefined && value !== '') vars[name] = value;
  }
  return vars;
}

/** Quaycast: the Worker in workerd (Miniflare) and the bridge as a child process. */
export async function startQuaycast(o: StartOptions): Promise<SystemUnderTest> {
  const persistDir = registerTempDir(mkdtempSync(path.join(tmpdir(), 'quaycast-bench-')));
  const worker = await hostWorker({
    persistDir,
    vars: {
      JWT_SECRET: o.jwtSecret,
      INGEST_TOKEN: o.ingestToken,
      LOG_LEVEL: 'warn',
      CORS_ORIGINS: '',
      ...roomSendVars(),
    },
  });
  const removeCleanup = onShutdown(() => worker.dispose());
  const rules = o.rules ? await createBenchRules(worker.url, o.jwtSecret, o.rules) : undefined;
  const logs: string[] = [];
  const metricsPort = await freePort();
  const bridge = spawnGroup(
    process.execPath,
    [path.join(ROOT, 'bridge/src/main.ts')],
    {
      KAFKA_BROKERS: o.brokers.join(','),
      KAFKA_TOPICS: o.topics.join(','),
      KAFKA_GROUP_ID: o.groupId,
      KAFKA_CLIENT_ID: 'quaycast-bench-bridge',
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      WORKER_URL: worker.url,
      INGEST_TOKEN: o.ingestToken,
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
    },
    ROOT,
  );
  watchLines(bridge, logs);
  const stop = async () => {
    removeCleanup();
    await stopChild(bridge);
    await rules?.close();
    await worker.dispose();
    removeTempDir(persistDir);
  };
  try {
    await waitForLine(logs, /joined consumer group/, bridge, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: 'quaycast',
    url: worker.url,
    pids: () => [...worker.pids(), ...processTree(bridge.pid!)],
    parts: () => ({ workerd: worker.pids(), bridge: processTree(bridge.pid!) }),
    serverRss: () => rssBytes(worker.pids()),
    countEvents: () => worker.countEvents(),
    async diagnostics(): Promise<Record<string, number>> {
      try {
        const text = await (
          await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(3000) })
        ).text();
        const batches = metricValue(text, 'quaycast_bridge_batch_latency_seconds_count');
        const seconds = metricValue(text, 'quaycast_bridge_batch_latency_seconds_sum');
        const consumed = metricValue(text, 'quaycast_bridge_consumed_total');
        return {
          bridgeBatches: batches,
          bridgeRecordsPerBatch: batches > 0 ? Math.round((consumed / batches) * 10) / 10 : 0,
          bridgeForwardMsAvg: batches > 0 ? Math.round((seconds / batches) * 10_000) / 10 : 0,
          bridgeRetries: metricValue(text, 'quaycast_bridge_retried_total'),
          ...(rules
            ? { rules: o.rules ?? 0, ruleWebhooksReceived: rules.received(), ...(await worker.ruleEffects()) }
            : {}),
        };
      } catch {
        return {}; // diagnostics are optional
      }
    },
    stop,
  };
}

/** The peer: one Node process (bench/peer/server.ts). */
export async function startPeer(o: StartOptions): Promise<SystemUnderTest> {
  const dir = registerTempDir(mkdtempSync(path.join(tmpdir(), 'quaycast-peer-')));
  const dbFile = path.join(dir, 'peer.sqlite');
  const child = forkModule(path.join(ROOT, 'bench/peer/server.ts'), {
    PEER_BROKERS: o.brokers.join(','),
    PEER_TOPICS: o.topics.join(','),
    PEER_GROUP_ID: o.groupId,
    PEER_DB: dbFile,
    PEER_JWT_SECRET: o.jwtSecret,
    PEER_DEFLATE: o.deflate ? '1' : '0',
  });
  const stop = async () => {
    await stopChild(child);
    removeTempDir(dir);
  };
  let port: number;
  try {
    const joined = nextMessage(child, 'joined', 60_000);
    port = (await nextMessage<{ type: string; port: number }>(child, 'listening', 60_000)).port;
    await joined;
  } catch (err) {
    await stop();
    throw err;
  }
  let reader: DatabaseSync | undefined;
  return {
    name: 'peer',
    url: `http://127.0.0.1:${port}`,
    pids: () => processTree(child.pid!),
    parts: () => ({ peer: processTree(child.pid!) }),
    serverRss: () => rssBytes([child.pid!]),
    diagnostics: async () => ({}),
    async countEvents() {
      reader ??= new DatabaseSync(dbFile, { readOnly: true });
      return (reader.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    },
    async stop() {
      reader?.close();
      await stop();
    },
  };
}
