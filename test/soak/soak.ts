/**
 * The chaos soak: events through real Kafka (a private broker), two bridges, a fault proxy and the
 * Worker under `wrangler dev`, while a fault schedule runs — bridge SIGKILLs and restarts, a Worker
 * restart, the broker stopped and started, bursts of Worker 5xx — with about 1% hostile records
 * mixed in and WebSocket clients dropping and resuming all along. At the end it checks, from the
 * outside: D1 holds every valid event exactly once and nothing else of the run, every hostile
 * record is in its topic's `.dlq` (and no valid one is), and every client saw every matching event
 * once, in seq order. `npm run soak` runs the full size; `test/integration/soak.test.ts` a short one.
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import { createKafka, createProducer } from '../../bridge/src/kafka.ts';
import { groupByTopic } from '../../bridge/src/topic-messages.ts';
import { startBridge, type BridgeProcess } from '../support/bridge.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { tokenFor } from '../support/fixture.ts';
import { createTopics, unique } from '../support/kafka.ts';
import { kcatRead } from '../support/kcat.ts';
import { privateBroker } from '../support/private-broker.ts';
import { startWorker, type WorkerHost } from '../support/worker.ts';
import { SoakClient } from './clients.ts';
import {
  SOAK_ROOMS,
  SOAK_SEVERITIES,
  hostileRecord,
  oddRecord,
  topicOf,
  validRecord,
  type SoakRecord,
} from './records.ts';

export type SoakOptions = {
  /** Records produced in all (valid, odd and hostile). */
  events: number;
  /** Records per second. */
  rate: number;
  clients: number;
  /** Share of hostile records (0.01 = 1%). */
  hostileShare: number;
  /** Share of odd-but-valid records. */
  oddShare: number;
  /** How long the end may take to settle (everything stored, dead-lettered and delivered). */
  settleTimeoutMs: number;
  log: (line: string) => void;
};

/** One fault as it ran: `atMs` from the start of producing. */
export type FaultRecord = { kind: string; atMs: number; durationMs: number; detail?: string };

export type SoakResult = {
  options: Omit<SoakOptions, 'log'>;
  produced: { total: number; valid: number; odd: number; hostile: number; byKind: Record<string, number> };
  faults: FaultRecord[];
  d1: { expected: number; stored: number; lost: number; unexpected: number; wrongContent: number };
  dlq: {
    hostile: number;
    found: number;
    missing: number;
    letters: number;
    repeatedLetters: number;
    validDeadLettered: number;
    /** The x-error of each valid record found in a DLQ (at most 5): why it was dead-lettered. */
    validDeadLetteredReasons: string[];
    withoutReason: number;
  };
  clients: {
    count: number;
    expectedDeliveries: number;
    delivered: number;
    missing: number;
    duplicated: number;
    outOfOrder: number;
    errors: number;
    connects: number;
    drops: number;
  };
  bridges: { isolated: number; deadLettered: number; retried: number };
  timings: { produceSeconds: number; settleSeconds: number; totalSeconds: number };
  loadAverage: { start: number[]; end: number[] };
  ok: boolean;
};

/** A bridge's metric summed over its series; 0 from a bridge that is down (its successor reports its own). */
const metric = (b: BridgeProcess, name: string) => b.metric(name).catch(() => 0);

/** Runs one soak and returns its figures (never throws for a failed check: `ok` says it). */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const loadStart = os.loadavg();
  const run = unique('soak');
  const topics = { container: `${run}-container`, port: `${run}-port` };
  const broker = await privateBroker('soak-bootstrap'); // kafka.sh creates it at start; the soak makes its own topics
  let worker: WorkerHost | undefined;
  let proxy: FaultProxy | undefined;
  let producer: Producer | undefined;
  const bridges: (BridgeProcess | undefined)[] = [];
  const retired: BridgeProcess[] = [];
  const clients: SoakClient[] = [];
  const faults: FaultRecord[] = [];

  try {
    o.log(`starting a private broker, the Worker and two bridges (run ${run})`);
    [worker] = await Promise.all([startWorker(), broker.start()]);
    await createTopics([topics.container, topics.port], 3, [broker.brokers]);
    proxy = await startFaultProxy(worker.url);
    const bridgeEnv = {
      WORKER_URL: proxy.url,
      KAFKA_BROKERS: broker.brokers,
      KAFKA_TOPICS: `${topics.container},${topics.port}`,
      KAFKA_GROUP_ID: `${run}-group`,
      OUTBOX_ENABLED: 'false',
      BATCH_MAX_MESSAGES: '100',
    };
    const launch = (i: number) => {
      const old = bridges[i];
      if (old) retired.push(old);
      bridges[i] = startBridge(bridgeEnv);
    };
    launch(0);
    launch(1);
    await Promise.all(bridges.map((b) => b!.waitForLog(/"msg":"(consuming|joined consumer group)"/, 90_000)));

    // Clients: spread over the rooms; every third one filters on Critical/High. Each is its own
    // viewer (its own token sub), as screens are: one token is capped at a few sockets per room.
    for (let i = 0; i < o.clients; i++) {
      const viewer = await tokenFor('viewer', `${run}-viewer-${i}`);
      const c = new SoakClient(worker.url, {
        room: SOAK_ROOMS[i % SOAK_ROOMS.length]!,
        severities: i % 3 === 2 ? ['Critical', 'High'] : null,
        token: viewer,
      });
      c.start();
      clients.push(c);
    }

    // The records, decided up front.
    const records: { record: SoakRecord; topic: string }[] = [];
    const hostileEvery = Math.max(1, Math.round(1 / o.hostileShare));
    const oddEvery = Math.max(1, Math.round(1 / o.oddShare));
    for (let n = 0; n < o.events; n++) {
      const id = `${run}-${n}`;
      const room = SOAK_ROOMS[n % SOAK_ROOMS.length]!;
      const severity = SOAK_SEVERITIES[Math.floor(n / SOAK_ROOMS.length) % SOAK_SEVERITIES.length]!;
      const record =
        n % hostileEvery === hostileEvery - 1
          ? hostileRecord(`${run}-h${n}`, Math.floor(n / hostileEvery))
          : n % oddEvery === oddEvery - 2
            ? oddRecord(id, room, severity, Math.floor(n / oddEvery))
            : validRecord(id, room, severity);
      records.push({ record, topic: topicOf(record, topics, n) });
    }

    // The fault schedule, as fractions of the produce phase.
    const produceMs = Math.round((o.events / o.rate) * 1000);
    // biome-ignore lint/suspicious/noConfusingVoidType: a fault's run may say what it did, or nothing
    const schedule: { at: number; kind: string; run: () => Promise<string | void> }[] = [
      {
        at: 0.1,
        kind: 'bridge-sigkill',
        run: async () => {
          await bridges[0]!.kill('SIGKILL');
          await sleep(1500);
          launch(0);
        },
      },
      {
        at: 0.22,
        kind: 'worker-5xx-burst',
        run: async () => {
          proxy!.mode = { kind: 'fail', status: 500 };
          await sleep(Math.max(3000, Math.min(8000, produceMs * 0.04)));
          proxy!.mode = { kind: 'pass' };
        },
      },
      {
        at: 0.36,
        kind: 'worker-restart',
        run: async () => {
          await worker!.stop();
          await worker!.start();
        },
      },
      {
        at: 0.52,
        kind: 'broker-stop-start',
        run: async () => {
          await broker.stop();
          await sleep(Math.max(2000, Math.min(8000, produceMs * 0.04)));
          await broker.start();
        },
      },
      {
        at: 0.7,
        kind: 'bridge-sigkill',
        run: async () => {
          await bridges[1]!.kill('SIGKILL');
          await sleep(1500);
          launch(1);
        },
      },
      {
        at: 0.82,
        kind: 'worker-503-burst',
        run: async () => {
          proxy!.mode = { kind: 'fail', status: 503 };
          await sleep(Math.max(3000, Math.min(6000, produceMs * 0.03)));
          proxy!.mode = { kind: 'pass' };
        },
      },
    ];
    // Quiet: its connection errors while the broker is away are expected, and retried below.
    producer = createProducer(
      createKafka(
        { brokers: [broker.brokers], clientId: 'quaycast-soak', ssl: false, sasl: undefined },
        { quiet: true, retries: 2 },
      ),
    );
    await producer.connect();
    const produceStart = Date.now();
    const faultsDone = (async () => {
      for (const f of schedule) {
        const wait = produceStart + f.at * produceMs - Date.now();
        if (wait > 0) await sleep(wait);
        const t0 = Date.now();
        o.log(`fault: ${f.kind}`);
        const detail = await f.run();
        faults.push({
          kind: f.kind,
          atMs: t0 - produceStart,
          durationMs: Date.now() - t0,
          ...(detail ? { detail } : {}),
        });
      }
    })();

    // Clients drop at random and resume from their cursor.
    let dropping = true;
    const drops = (async () => {
      while (dropping) {
        await sleep(200);
        const c = clients[Math.floor(Math.random() * clients.length)];
        c?.drop(200 + Math.random() * 1500);
      }
    })();

    // Produce at the rate; a failed send (the broker is away) is retried until the broker took it.
    const tick = 100;
    const perTick = Math.max(1, Math.round((o.rate * tick) / 1000));
    for (let i = 0; i < records.length; i += perTick) {
      const topicMessages = groupByTopic(
        records.slice(i, i + perTick),
        (r) => r.topic,
        ({ record }) => ({ key: record.key, value: record.value }),
      );
      for (;;) {
        try {
          await producer.sendBatch({ acks: -1, topicMessages });
          break;
        } catch {
          await sleep(250); // the broker is restarting: the same records again, until acknowledged
        }
      }
      const due = produceStart + ((i + perTick) / o.rate) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    const producedAt = Date.now() - produceStart;
    o.log(
      `produced ${records.length} records in ${Math.round((Date.now() - produceStart) / 1000)} s; waiting for the faults to end and everything to settle`,
    );
    await faultsDone;
    dropping = false;
    await drops;

    // Settle: every valid record in D1, every hostile one in a DLQ, every client complete.
    const expected = records.filter((r) => r.record.expect === 'stored').map((r) => r.record);
    const hostile = records.filter((r) => r.record.expect === 'dead-letter');
    const expectedIds = new Set(expected.map((r) => r.key));
    const perClient = clients.map((c) =>
      expected
        .filter((r) => r.room === c.spec.room && (!c.spec.severities || c.spec.severities.includes(r.severity!)))
        .map((r) => r.key),
    );
    const storedIds = () =>
      new Set(worker!.query<{ id: string }>('SELECT id FROM events WHERE id LIKE ?', `${run}-%`).map((r) => r.id));
    const readDlq = async () => [
      ...(await kcatRead(`${topics.container}.dlq`, broker.brokers)),
      ...(await kcatRead(`${topics.port}.dlq`, broker.brokers)),
    ];
    const settleStart = Date.now();
    let letters = await readDlq();
    for (;;) {
      const stored = storedIds();
      const dlqKeys = new Set(letters.map((l) => l.key));
      const d1Done = [...expectedIds].every((id) => stored.has(id));
      const dlqDone = hostile.every((h) => dlqKeys.has(h.record.key));
      const clientsDone = clients.every((c, i) => c.has(perClient[i]!));
      if (d1Done && dlqDone && clientsDone) break;
      if (Date.now() - settleStart > o.settleTimeoutMs) {
        o.log(
          `settle timed out: d1 ${d1Done}, dlq ${dlqDone}, clients ${clients.filter((c, i) => c.has(perClient[i]!)).length}/${clients.length}`,
        );
        break;
      }
      await sleep(500);
      letters = await readDlq();
    }
    // Nothing more can come from Kafka once every valid record is stored and the DLQ is complete;
    // a sentinel per room, seen by every client, shows everything the rooms pushed has arrived.
    const producerToken = await tokenFor('producer', `${run}-producer`);
    for (const room of SOAK_ROOMS) {
      const res = await fetch(`${worker.url}/api/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${producerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: `${run}-sentinel-${room}`,
          category: room,
          severity: 'Critical',
          eventType: 'SoakSentinel',
          title: 'end of soak',
          ...(room === 'Container' ? { containerId: 'MSCU1234565' } : {}),
        }),
      });
      if (res.status !== 201) o.log(`sentinel for ${room}: ${res.status}`);
    }
    const sentinelDeadline = Date.now() + 30_000;
    while (!clients.every((c) => c.received.has(`${run}-sentinel-${c.spec.room}`)) && Date.now() < sentinelDeadline)
      await sleep(100);
    const settleSeconds = (Date.now() - settleStart) / 1000;

    // The checks.
    const storedRows = worker.query<{ id: string; title: string }>(
      'SELECT id, title FROM events WHERE id LIKE ? AND id NOT LIKE ?',
      `${run}-%`,
      `${run}-sentinel-%`,
    );
    const storedSet = new Set(storedRows.map((r) => r.id));
    const lost = [...expectedIds].filter((id) => !storedSet.has(id)).length;
    const unexpected = storedRows.filter((r) => !expectedIds.has(r.id)).length;
    const titleOf = new Map(
      expected
        .filter((r) => r.kind === 'valid')
        .map((r) => [r.key, (JSON.parse(r.value.toString()) as { title: string }).title]),
    );
    const wrongContent = storedRows.filter((r) => titleOf.has(r.id) && titleOf.get(r.id) !== r.title).length;
    const letterKeys = letters.map((l) => l.key ?? '');
    const hostileKeys = new Set(hostile.map((h) => h.record.key));
    const found = [...hostileKeys].filter((k) => letterKeys.includes(k)).length;
    let delivered = 0;
    let duplicated = 0;
    let missing = 0;
    clients.forEach((c, i) => {
      for (const id of perClient[i]!) {
        const n = c.received.get(id) ?? 0;
        if (n === 0) missing++;
        else delivered++;
        if (n > 1) duplicated += n - 1;
      }
    });
    const allBridges = [...retired, ...bridges.filter((b): b is BridgeProcess => b !== undefined)];
    const sum = async (name: string) =>
      (await Promise.all(allBridges.map((b) => metric(b, name)))).reduce((a, b) => a + b, 0);
    const result: SoakResult = {
      options: {
        events: o.events,
        rate: o.rate,
        clients: o.clients,
        hostileShare: o.hostileShare,
        oddShare: o.oddShare,
        settleTimeoutMs: o.settleTimeoutMs,
      },
      produced: {
        total: records.length,
        valid: expected.filter((r) => r.kind === 'valid').length,
        odd: expected.filter((r) => r.kind !== 'valid').length,
        hostile: hostile.length,
        byKind: records.reduce<Record<string, number>>((m, r) => {
          m[r.record.kind] = (m[r.record.kind] ?? 0) + 1;
          return m;
        }, {}),
      },
      faults,
      d1: { expected: expectedIds.size, stored: storedRows.length, lost, unexpected, wrongContent },
      dlq: {
        hostile: hostileKeys.size,
        found,
        missing: hostileKeys.size - found,
        letters: letters.length,
        repeatedLetters: letterKeys.length - new Set(letterKeys).size,
        validDeadLettered: letterKeys.filter((k) => expectedIds.has(k)).length,
        validDeadLetteredReasons: letters
          .filter((l) => expectedIds.has(l.key ?? ''))
          .slice(0, 5)
          .map((l) => `${l.key}: ${l.headers['x-error'] ?? '(no x-error)'}`),
        withoutReason: letters.filter((l) => !l.headers['x-error']).length,
      },
      clients: {
        count: clients.length,
        expectedDeliveries: perClient.reduce((n, ids) => n + ids.length, 0),
        delivered,
        missing,
        duplicated,
        outOfOrder: clients.reduce((n, c) => n + c.outOfOrder, 0),
        errors: clients.reduce((n, c) => n + c.errors.length, 0),
        connects: clients.reduce((n, c) => n + c.connects, 0),
        drops: clients.reduce((n, c) => n + c.drops, 0),
      },
      bridges: {
        isolated: await sum('quaycast_bridge_isolated_total'),
        deadLettered: await sum('quaycast_bridge_dead_lettered_total'),
        retried: await sum('quaycast_bridge_retried_total'),
      },
      timings: {
        produceSeconds: Math.round(producedAt / 100) / 10,
        settleSeconds: Math.round(settleSeconds * 10) / 10,
        totalSeconds: Math.round((Date.now() - started) / 100) / 10,
      },
      loadAverage: {
        start: loadStart.map((x) => Math.round(x * 100) / 100),
        end: os.loadavg().map((x) => Math.round(x * 100) / 100),
      },
      ok: false,
    };
    result.ok =
      result.d1.lost === 0 &&
      result.d1.unexpected === 0 &&
      result.d1.wrongContent === 0 &&
      result.dlq.missing === 0 &&
      result.dlq.validDeadLettered === 0 &&
      result.dlq.withoutReason === 0 &&
      result.clients.missing === 0 &&
      result.clients.duplicated === 0 &&
      result.clients.outOfOrder === 0 &&
      result.clients.errors === 0 &&
      faults.length === schedule.length;
    return result;
  } finally {
    for (const c of clients) c.stop();
    await producer?.disconnect().catch(() => undefined);
    await Promise.all([...retired, ...bridges].map((b) => b?.kill('SIGKILL')));
    await proxy?.close();
    await worker?.stop();
    await broker.remove();
  }
}
