/**
 * The plumbing every scenario shares: a run (fresh topics, the load generators, the system under
 * test, its CPU meters), producing, opening clients, draining and collecting their results, and
 * the live run that latency, fan-out and the others are made of.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../bridge/src/kafka.ts';
import type { Category, Severity } from '../protocol/enums.ts';
import type { Options } from './lib/args.ts';
import { ask, forkModule, nextMessage, stopChild } from './lib/children.ts';
import { cpuMeter, processTree } from './lib/proc.ts';
import { NO_DELIVERY, addDelivery, cpuPerThousand, mergeEncoded, summarize, type Delivery } from './lib/stats.ts';
import type { ClientSpec, OpenCommand } from './load/clients.ts';
import type { ProduceCommand } from './load/producer.ts';
import { startPeer, startQuaycast, type SystemName, type SystemUnderTest } from './stack/systems.ts';
import { ROOT } from '../scripts/lib/paths.ts';

const HERE = import.meta.dirname;

export type Context = {
  options: Options;
  brokers: string[];
  jwtSecret: string;
  ingestToken: string;
  /** A viewer JWT of this sub, for one client. */
  tokenFor: (sub: string) => Promise<string>;
  log: (line: string) => void;
};

/** One scenario run's figures (flat, numeric where possible). */
export type RunResult = Record<string, number | string | boolean | null>;

export const ALL_ROOMS: Category[] = ['Container', 'Ship', 'Berth', 'Port', 'System'];

// ---------------------------------------------------------------------------------------------
// Plumbing shared by the scenarios

export type Run = {
  runId: string;
  topics: { container: string; port: string };
  system: SystemUnderTest | undefined;
  producer: ChildProcess;
  clientProcs: ChildProcess[];
  sut: ReturnType<typeof cpuMeter>;
  load: ReturnType<typeof cpuMeter>;
  /** CPU of each part of the system (started with `sut`). */
  partMeters: Record<string, ReturnType<typeof cpuMeter>>;
};

/** The shared broker's pid (scripts/kafka.sh writes it), for its CPU; [] when unknown. */
function brokerPids(): number[] {
  try {
    const pid = Number(readFileSync(path.join(ROOT, '.data/kafka/broker.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? [pid] : [];
  } catch {
    return [];
  }
}
const broker = cpuMeter(brokerPids);

/** Starts the system's CPU meters (total and per part). */
export function startSut(run: Run): void {
  broker.start();
  run.sut.start();
  for (const m of Object.values(run.partMeters)) m.start();
}

/** The system's CPU seconds since `startSut`: total and `cpuSeconds_<part>`. */
export function readSut(run: Run): RunResult {
  // the broker is shared (other users' traffic counts too): reported apart, never in cpuSeconds
  const out: RunResult = { cpuSeconds: run.sut.read(), kafkaBrokerCpuSeconds: broker.read() };
  for (const [k, m] of Object.entries(run.partMeters)) out[`cpuSeconds_${k}`] = m.read();
  return out;
}

async function createTopics(brokers: string[], names: string[]): Promise<void> {
  const admin = createKafka({ brokers, clientId: 'quaycast-bench-admin', ssl: false, sasl: undefined }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: names.flatMap((t) => [t, `${t}.dlq`]).map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopics(brokers: string[], names: string[]): Promise<void> {
  const admin = createKafka({ brokers, clientId: 'quaycast-bench-admin', ssl: false, sasl: undefined }).admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: names.flatMap((t) => [t, `${t}.dlq`]), timeout: 10_000 });
  } catch {
    // best effort: leftover bench topics are harmless (every run uses fresh names)
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Loopback source addresses for `clients` sockets: one per 1,000 (at least 2), from 127.0.0.2. */
export function sourceAddresses(clients: number): string[] {
  const n = Math.min(16, Math.max(2, Math.ceil(clients / 1000)));
  return Array.from({ length: n }, (_, i) => `127.0.0.${i + 2}`);
}

/**
 * Sets up a run: fresh topics, the load generators (one producer, `clientProcs` client
 * processes), optionally a pre-step (e.g. a backlog) before the system starts, then the system.
 */
export async function withRun<T>(
  ctx: Context,
  name: SystemName,
  opts: { clientProcs: number; beforeStart?: (run: Run) => Promise<void> },
  body: (run: Run, system: SystemUnderTest) => Promise<T>,
): Promise<T> {
  const runId = `b${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const topics = { container: `bench-${runId}-container`, port: `bench-${runId}-port` };
  await createTopics(ctx.brokers, [topics.container, topics.port]);
  const producer = forkModule(path.join(HERE, 'load/producer.ts'));
  const clientProcs = Array.from({ length: opts.clientProcs }, () => forkModule(path.join(HERE, 'load/clients.ts')));
  const loadPids = () => [producer, ...clientProcs].flatMap((c) => (c.pid ? processTree(c.pid) : []));
  const run: Run = {
    runId,
    topics,
    system: undefined,
    producer,
    clientProcs,
    sut: cpuMeter(() => []),
    load: cpuMeter(loadPids),
    partMeters: {},
  };
  try {
    await Promise.all([producer, ...clientProcs].map((c) => nextMessage(c, 'ready', 30_000)));
    if (opts.beforeStart) await opts.beforeStart(run);
    const start = name === 'quaycast' ? startQuaycast : startPeer;
    const system = await start({
      brokers: ctx.brokers,
      topics: [topics.container, topics.port],
      groupId: `bench-${runId}`,
      jwtSecret: ctx.jwtSecret,
      ingestToken: ctx.ingestToken,
      deflate: ctx.options.deflate,
      rules: ctx.options.rules,
    });
    run.system = system;
    run.sut = cpuMeter(() => system.pids());
    run.partMeters = Object.fromEntries(
      Object.keys(system.parts()).map((k) => [k, cpuMeter(() => system.parts()[k] ?? [])]),
    );
    return await body(run, system);
  } finally {
    await Promise.allSettled([stopChild(producer), ...clientProcs.map((c) => stopChild(c))]);
    await run.system?.stop().catch((err: Error) => ctx.log(`stopping ${name} failed: ${err.message}`));
    await deleteTopics(ctx.brokers, [topics.container, topics.port]);
  }
}

export function produce(
  ctx: Context,
  run: Run,
  rooms: Category[],
  spec: Partial<ProduceCommand>,
  timeoutMs: number,
): Promise<{ produced: number; ms: number }> {
  const cmd: ProduceCommand = {
    type: 'produce',
    brokers: ctx.brokers,
    topics: run.topics,
    runId: run.runId,
    rooms,
    from: 0,
    ...spec,
  };
  return ask<{ type: string; produced: number; ms: number }>(run.producer, cmd, 'produced', timeoutMs);
}

/** Opens the clients, split evenly over the client processes. */
export async function openClients(
  ctx: Context,
  run: Run,
  system: SystemUnderTest,
  rooms: Category[],
  specs: ClientSpec[],
  capacity: number,
  procs = run.clientProcs,
): Promise<{ ok: number; failed: number; ms: number }> {
  const addresses = sourceAddresses(specs.length);
  const parts = procs.map((_, i) => specs.filter((__, j) => j % procs.length === i));
  // Each client is its own viewer (its own token sub), as screens are: one token is capped at a few
  // sockets per room (ROOM_CONNECTIONS_PER_TOKEN), and one limiter per sub would serialise every connect.
  const tokens = await Promise.all(
    parts.map((part, i) => Promise.all(part.map((_, j) => ctx.tokenFor(`bench-${run.runId}-${i}-${j}`)))),
  );
  const replies = await Promise.all(
    procs.map((p, i) =>
      ask<{ type: string; ok: number; failed: number; ms: number; errors: string[] }>(
        p,
        {
          type: 'open',
          baseUrl: system.url,
          tokens: tokens[i]!,
          runId: run.runId,
          rooms,
          clients: parts[i]!,
          addresses,
          deflate: ctx.options.deflate,
          concurrency: 50,
          capacity,
        } satisfies OpenCommand,
        'opened',
        300_000,
      ),
    ),
  );
  const failed = replies.reduce((a, r) => a + r.failed, 0);
  if (failed > 0)
    ctx.log(
      `  ${failed} client(s) failed to connect: ${replies
        .flatMap((r) => r.errors)
        .slice(0, 3)
        .join('; ')}`,
    );
  return { ok: replies.reduce((a, r) => a + r.ok, 0), failed, ms: Math.max(...replies.map((r) => r.ms)) };
}

export type Progress = { expected: number; received: number; back: number; clients: number; lastBackMs: number };

export async function progressOf(run: Run, produced: number, procs = run.clientProcs): Promise<Progress> {
  const all = await Promise.all(
    procs.map((p) => ask<Progress & { type: string }>(p, { type: 'progress', produced }, 'progress', 60_000)),
  );
  return all.reduce(
    (a, p) => ({
      expected: a.expected + p.expected,
      received: a.received + p.received,
      back: a.back + p.back,
      clients: a.clients + p.clients,
      lastBackMs: Math.max(a.lastBackMs, p.lastBackMs),
    }),
    {
      expected: 0,
      received: 0,
      back: 0,
      clients: 0,
      lastBackMs: -1,
    },
  );
}

/** Waits until the clients hold every expected event, or nothing moved for `stallMs`. */
export async function drain(
  run: Run,
  produced: number,
  stallMs = 5000,
  maxMs = 60_000,
  procs = run.clientProcs,
): Promise<Progress> {
  const deadline = Date.now() + maxMs;
  let last = -1;
  let lastMove = Date.now();
  for (;;) {
    const p = await progressOf(run, produced, procs);
    if (p.received >= p.expected) return p;
    if (p.received !== last) {
      last = p.received;
      lastMove = Date.now();
    }
    if (Date.now() - lastMove > stallMs || Date.now() > deadline) return p;
    await sleep(200);
  }
}

type ClientResult = {
  delivery: Delivery;
  histogram: string;
  errorsFromServer: number;
  unexpectedCloses: number;
  failedConnects: number;
  foreign: number;
  memoryBytes: number;
};

export async function results(run: Run, produced: number, procs = run.clientProcs) {
  const all = await Promise.all(
    procs.map((p) => ask<ClientResult & { type: string }>(p, { type: 'result', produced }, 'result', 120_000)),
  );
  const delivery = all.reduce((a, r) => addDelivery(a, r.delivery), NO_DELIVERY);
  return {
    delivery,
    latency: summarize(mergeEncoded(all.map((r) => r.histogram))),
    errorsFromServer: all.reduce((a, r) => a + r.errorsFromServer, 0),
    unexpectedCloses: all.reduce((a, r) => a + r.unexpectedCloses, 0),
    failedConnects: all.reduce((a, r) => a + r.failedConnects, 0),
    loadGenMemoryBytes: all.reduce((a, r) => a + r.memoryBytes, 0),
  };
}

export function deliveryFields(d: Delivery): RunResult {
  return {
    expected: d.expected,
    deliveries: d.received,
    lost: d.lost,
    duplicated: d.duplicated,
    unexpected: d.unexpected,
    outOfOrder: d.outOfOrder,
    failed: d.lost > 0 || d.duplicated > 0 || d.unexpected > 0,
  };
}

export const clientProcsFor = (clients: number) => (clients >= 200 ? 2 : 1);

// ---------------------------------------------------------------------------------------------
// Live streaming: latency and fan-out share one shape

export async function liveRun(
  ctx: Context,
  name: SystemName,
  p: { rooms: Category[]; clients: number; rate: number; durationS: number; warmupS: number; filtered: boolean },
): Promise<RunResult> {
  return withRun(ctx, name, { clientProcs: clientProcsFor(p.clients) }, async (run, system) => {
    // every 4th client watches only Critical + High: filters are part of the load
    const specs: ClientSpec[] = Array.from({ length: p.clients }, (_, i) => ({
      room: p.rooms[i % p.rooms.length]!,
      severities: p.filtered && i % 4 === 3 ? (['Critical', 'High'] satisfies Severity[]) : null,
    }));
    const opened = await openClients(ctx, run, system, p.rooms, specs, Math.ceil(p.rate * p.durationS) + 16);
    await sleep(1000); // presence frames of the connection burst settle
    startSut(run);
    run.load.start();
    const t0 = Date.now();
    const { produced } = await produce(
      ctx,
      run,
      p.rooms,
      { rate: p.rate, durationMs: p.durationS * 1000, warmupMs: p.warmupS * 1000 },
      p.durationS * 1000 + 120_000,
    );
    await drain(run, produced);
    const wallS = (Date.now() - t0) / 1000;
    const sut = readSut(run);
    const cpu = Number(sut.cpuSeconds);
    const loadCpu = run.load.read();
    const r = await results(run, produced);
    const diagnostics = await system.diagnostics();
    return {
      ...diagnostics,
      clients: opened.ok,
      connectFailed: opened.failed,
      connectMs: opened.ms,
      produced,
      eventsPerSec: Math.round(produced / p.durationS),
      ...r.latency,
      ...deliveryFields(r.delivery),
      ...sut,
      loadGenCpuSeconds: loadCpu,
      wallSeconds: Math.round(wallS * 10) / 10,
      cpuSecondsPer1kDeliveries: cpuPerThousand(cpu, r.delivery.received),
      errorsFromServer: r.errorsFromServer,
      unexpectedCloses: r.unexpectedCloses,
    };
  });
}
