/**
 * The bridge process: Kafka → Worker, at least once. Start-up waits for the broker and the
 * Worker; SIGTERM/SIGINT stop it without committing unfinished batches.
 */
import { createServer } from 'node:http';
import { backoffMs, sleep, type BackoffPolicy } from './backoff.ts';
import { ConfigError, parseConfig, type BridgeConfig } from './config.ts';
import { createBridge, createKafka, waitForBroker } from './kafka.ts';
import { bridgeIdOf, createLiveness } from './liveness.ts';
import { errorFields, log, setLogLevel } from './log.ts';
import { createMetrics } from './metrics.ts';
import { outboxTopicMapper, runOutboxRelay } from './outbox.ts';
import { createDeadLetterReporter, httpReportPost } from './dead-letter-reporter.ts';
import { replayDeps } from './replay-io.ts';
import { replayPass } from './replays.ts';

/** Start-up probes of the Worker's /healthz: 250 ms doubling to 4 s between attempts. */
const WORKER_PROBE_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 4000, jitter: 'none' };

async function waitForWorker(config: BridgeConfig, stopped: () => boolean, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 0; !stopped(); attempt++) {
    try {
      const res = await fetch(`${config.workerUrl}/healthz`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return true;
      log('warn', `waiting for the Worker at ${config.workerUrl}`, { attempt: attempt + 1, status: res.status });
    } catch (err) {
      log('warn', `waiting for the Worker at ${config.workerUrl}`, { attempt: attempt + 1, ...errorFields(err) });
    }
    await sleep(backoffMs(attempt, WORKER_PROBE_BACKOFF), signal);
  }
  return false;
}

async function main(): Promise<void> {
  let config: BridgeConfig;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      log('error', `configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  setLogLevel(config.logLevel);
  const metrics = createMetrics({ processMetrics: true });
  const abort = new AbortController();
  let stopped = false;
  let ready = false;
  let relay: Promise<void> = Promise.resolve();
  let watching: Promise<void> = Promise.resolve();

  const kafka = createKafka(config);
  const bridge = createBridge(config, metrics, kafka, {
    onGiveUp: () => void shutdown('consumer gave up (kafkajs will not restart it)', 1),
  });
  const reporter = createDeadLetterReporter({
    kafka,
    groupId: config.groupId,
    topics: config.topics,
    post: httpReportPost({
      workerUrl: config.workerUrl,
      ingestToken: config.ingestToken,
      timeoutMs: config.requestTimeoutMs,
      signal: abort.signal,
    }),
    retryInitialMs: config.retryInitialMs,
    retryMaxMs: config.retryMaxMs,
    signal: abort.signal,
  });
  const liveness = createLiveness({
    workerUrl: config.workerUrl,
    ingestToken: config.ingestToken,
    stallThresholdMs: config.stallThresholdMs,
    statusIntervalMs: config.statusIntervalMs,
    requestTimeoutMs: config.requestTimeoutMs,
    metrics,
    bridgeId: bridgeIdOf(config.clientId),
    startedAt: new Date(),
    state: () => (stopped ? 'stopping' : ready ? 'consuming' : 'starting'),
    assigned: bridge.assigned,
    partitions: bridge.partitions,
    readOffsets: bridge.readOffsets,
  });

  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      metrics.render().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => {
          log('error', 'rendering /metrics failed', errorFields(err));
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: { code: 'metrics_failed', message: 'metrics could not be rendered' } }));
        },
      );
    } else if (req.url === '/healthz') {
      // 503 while starting or stopping, and while a partition's head has been failing beyond STALL_THRESHOLD_MS.
      const health = ready ? liveness.health() : { ok: false as const, reason: stopped ? 'stopping' : 'starting' };
      res
        .writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...health, stopping: stopped }));
    } else {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'not_found', message: 'try /metrics or /healthz' } }));
    }
  });
  server.listen(config.metricsPort, config.metricsHost, () =>
    log('info', `metrics on http://${config.metricsHost}:${config.metricsPort}/metrics`),
  );

  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopped) return;
    stopped = true;
    ready = false;
    log('info', `${signal}: stopping; unfinished batches are not committed`);
    abort.abort();
    const force = setTimeout(() => {
      log('error', 'shutdown took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    await relay; // the relay's pass in flight ends first: it still needs the producer
    await Promise.race([watching, sleep(1000)]); // its loop ends on the abort; a read of offsets in flight is not waited for
    await Promise.race([liveness.report(), sleep(2000)]); // 'stopping': best effort, never holding the shutdown
    await Promise.race([reporter.stop(), sleep(3000)]);
    await bridge.stop();
    server.close();
    log(
      exitCode === 0 ? 'info' : 'error',
      exitCode === 0 ? 'stopped' : 'stopped; exiting non-zero so the supervisor restarts the bridge',
    );
    process.exit(exitCode);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  log('info', 'starting', {
    brokers: config.brokers,
    groupId: config.groupId,
    topics: config.topics,
    workerUrl: config.workerUrl,
  });
  // From the start, so the Worker hears of a bridge that is up but still waiting for Kafka or for it.
  watching = liveness.run(abort.signal).catch((err) => log('error', 'liveness stopped', errorFields(err)));
  if (!(await waitForBroker(config, () => stopped, abort.signal))) return;
  if (!(await waitForWorker(config, () => stopped, abort.signal))) return;
  await bridge.run();
  if (stopped) return;
  ready = true;
  log('info', 'consuming', { topics: config.topics, groupId: config.groupId });
  // Its own group: a Worker that cannot take reports holds only it, never the main consumer.
  reporter.run().then(
    () => log('info', 'reporting dead letters', { groupId: `${config.groupId}.dead-letters` }),
    (err) =>
      log(
        'error',
        'dead-letter reporter failed to start; it tries again within a minute (letters wait in the .dlq topics)',
        errorFields(err),
      ),
  );

  if (config.outboxEnabled) {
    // Replays from the page ride on the outbox long-poll (its answer says when some are due).
    const replays = replayDeps({
      kafka,
      producer: bridge.producer,
      topics: config.topics,
      bridgeId: bridgeIdOf(config.clientId),
      workerUrl: config.workerUrl,
      ingestToken: config.ingestToken,
      timeoutMs: config.requestTimeoutMs,
      signal: abort.signal,
    });
    relay = runOutboxRelay({
      workerUrl: config.workerUrl,
      ingestToken: config.ingestToken,
      timeoutMs: config.requestTimeoutMs,
      intervalMs: config.outboxIntervalMs,
      waitS: config.outboxWaitS,
      retryInitialMs: config.retryInitialMs,
      retryMaxMs: config.retryMaxMs,
      topicOf: outboxTopicMapper(config.outboxContainerTopic, config.outboxPortTopic),
      publish: async (topicMessages) => {
        await bridge.producer.sendBatch({ acks: -1, topicMessages });
      },
      onPublished: (topic, n) => metrics.outboxPublished.inc({ topic }, n),
      onRefused: (n) => metrics.outboxRefused.inc(n),
      isLeader: bridge.leadsOutbox,
      onReplaysDue: async () => {
        const settled = await replayPass(replays);
        if (settled.length > 0)
          log('info', 'dead-letter replays settled', {
            produced: settled.filter((s) => s.outcome === 'produced').length,
            failed: settled.filter((s) => s.outcome === 'failed').length,
          });
      },
      signal: abort.signal,
    }).catch((err) => log('error', 'outbox relay stopped', errorFields(err)));
    log('info', 'outbox relay running', {
      intervalMs: config.outboxIntervalMs,
      waitS: config.outboxWaitS,
      containerTopic: config.outboxContainerTopic,
      portTopic: config.outboxPortTopic,
    });
  }
}

main().catch((err) => {
  log('error', 'bridge failed to start', errorFields(err));
  process.exit(1);
});
