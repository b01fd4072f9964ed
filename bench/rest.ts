/**
 * `npm run bench -- rest [--idle S]`: what an idle stack costs. Starts the broker, the Worker in
 * workerd (Miniflare, as every scenario) and the bridge as a process whose WORKER_URL is a
 * counting proxy in front of the Worker; lets it sit idle for S seconds (default 600) counting
 * the bridge's requests per minute by route; then stores one event through POST /api/events
 * (straight to the Worker, not counted) and measures how long until the outbox topic has it.
 * Writes bench/results/rest.json; the recorded figure is in bench/README.md ("Cost at rest").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signJwt } from '../protocol/jwt.ts';
import { createKafka } from '../bridge/src/kafka.ts';
import { topicRanges } from '../bridge/src/kafka-scan.ts';
import { freePort } from '../scripts/lib/free-port.ts';
import { LOCAL_BROKER } from '../scripts/lib/local-broker.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { installSignalHandlers, registerTempDir, shutdownAll, spawnGroup, stopChild } from './lib/children.ts';
import { buildWorker, hostWorker } from './stack/worker.ts';

const log = (line: string) => console.error(`[bench rest] ${line}`);

/** A proxy counting each request by `METHOD path` and by the minute since `t0` it arrived in. */
async function countingProxy(target: string) {
  const upstream = new URL(target);
  const byMinute: Record<string, number>[] = [];
  let t0 = Date.now();
  const server = createServer((req, res) => {
    const minute = Math.floor((Date.now() - t0) / 60_000);
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    while (byMinute.length <= minute) byMinute.push({});
    byMinute[minute]![route] = (byMinute[minute]![route] ?? 0) + 1;
    const out = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    // The client went away (the response closed unfinished): drop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    restart() {
      t0 = Date.now();
      byMinute.length = 0;
    },
    byMinute,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function highTotal(kafka: ReturnType<typeof createKafka>, topic: string): Promise<bigint> {
  return (await topicRanges(kafka, topic)).reduce((n, r) => n + BigInt(r.high), 0n);
}

/** The `rest` bench; `args` after the scenario name. */
export async function runRest(args: string[]): Promise<void> {
  const at = args.indexOf('--idle');
  const idleS = at >= 0 ? Number(args[at + 1]) : 600;
  if (!Number.isInteger(idleS) || idleS < 60 || idleS > 86_400)
    throw new Error('--idle takes whole seconds, 60 or more');
  installSignalHandlers();
  const loadAtStart = os.loadavg();
  const startedKafka = spawnSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'status']).status !== 0;
  execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'start'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  log('bundling the Worker');
  buildWorker();
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const topics = { container: `rest-container-${suffix}`, port: `rest-port-${suffix}` };
  const kafka = createKafka({ brokers: [LOCAL_BROKER], clientId: 'quaycast-bench-rest', ssl: false, sasl: undefined });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(topics)
      .flatMap((t) => [t, `${t}.dlq`])
      .map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
  });
  await admin.disconnect();

  const jwtSecret = `rest-secret-${suffix}`;
  const ingestToken = `rest-ingest-${suffix}`;
  const persistDir = registerTempDir(mkdtempSync(path.join(tmpdir(), 'quaycast-rest-')));
  const worker = await hostWorker({
    persistDir,
    vars: { JWT_SECRET: jwtSecret, INGEST_TOKEN: ingestToken, LOG_LEVEL: 'warn', CORS_ORIGINS: '' },
  });
  const proxy = await countingProxy(worker.url);
  const bridge = spawnGroup(
    process.execPath,
    [path.join(ROOT, 'bridge/src/main.ts')],
    {
      KAFKA_BROKERS: LOCAL_BROKER,
      KAFKA_TOPICS: `${topics.container},${topics.port}`,
      KAFKA_GROUP_ID: `rest-${suffix}`,
      KAFKA_CLIENT_ID: 'quaycast-bench-rest-bridge',
      WORKER_URL: proxy.url,
      INGEST_TOKEN: ingestToken,
      OUTBOX_CONTAINER_TOPIC: topics.container,
      OUTBOX_PORT_TOPIC: topics.port,
      METRICS_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    },
    ROOT,
  );
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 200));
  };
  bridge.stdout?.on('data', keep);
  bridge.stderr?.on('data', keep);
  try {
    const deadline = Date.now() + 120_000;
    while (!lines.some((l) => l.includes('outbox relay running'))) {
      if (Date.now() > deadline || bridge.exitCode !== null)
        throw new Error(`the bridge did not start:\n${lines.join('\n')}`);
      await sleep(100);
    }
    // Start-up (joining the group, the first reports) is not rest: count from when it settled.
    await sleep(15_000);
    proxy.restart();
    log(`idle for ${idleS} s, counting the bridge's requests to the Worker`);
    await sleep(idleS * 1000);
    const minutes = proxy.byMinute.slice(0, Math.floor(idleS / 60));
    const perMinute = minutes.map((m) => Object.values(m).reduce((a, b) => a + b, 0));
    const byRoute: Record<string, number> = {};
    for (const m of minutes) for (const [k, v] of Object.entries(m)) byRoute[k] = (byRoute[k] ?? 0) + v;

    const before = await highTotal(kafka, topics.port);
    const now = Math.floor(Date.now() / 1000);
    const token = await signJwt({ sub: 'rest-bench', role: 'operator', iat: now, exp: now + 3600 }, jwtSecret);
    const t0 = performance.now();
    const res = await fetch(`${worker.url}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: `rest-${suffix}`, eventType: 'Berthed', title: 'rest bench', shipId: 'IMO9999999' }),
    });
    const stored = performance.now();
    if (res.status !== 201) throw new Error(`POST /api/events answered ${res.status}: ${await res.text()}`);
    while ((await highTotal(kafka, topics.port)) === before) {
      if (performance.now() - t0 > 60_000)
        throw new Error(
          `the event did not reach Kafka within a minute; the bridge said:\n${lines.slice(-30).join('\n')}`,
        );
      await sleep(5);
    }
    const inKafka = performance.now();
    const result = {
      command: `npm run bench -- rest --idle ${idleS}`,
      finishedAt: new Date().toISOString(),
      idleSeconds: idleS,
      requestsPerMinute: perMinute,
      requestsPerMinuteMax: Math.max(...perMinute),
      requestsPerMinuteMean: Math.round((perMinute.reduce((a, b) => a + b, 0) / perMinute.length) * 100) / 100,
      requestsByRoute: byRoute,
      postAnsweredMs: Math.round(stored - t0),
      publishLatencyMs: Math.round(inKafka - stored),
      postToKafkaMs: Math.round(inKafka - t0),
      loadAverageAtStart: loadAtStart.map((x) => Math.round(x * 100) / 100),
      loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    };
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench/results/rest.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await stopChild(bridge);
    await proxy.close();
    await worker.dispose();
    await shutdownAll();
    if (startedKafka)
      execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'stop'], { cwd: ROOT, stdio: 'ignore' });
  }
}
