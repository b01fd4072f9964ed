import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ORIGIN_HEADER,
  OUTBOX_PAGE,
  outboxMessages,
  outboxTopicMapper,
  relayOnce,
  runOutboxRelay,
  screenOutboxRows,
  type OutboxRelayOptions,
  type OutboxRow,
  type TopicMessages,
} from './outbox.ts';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { setLogStream } from './log.ts';
import { parseOutboxPage } from './worker-answer.ts';

/** The relay's log lines, parsed (kept off the test output). */
const logged: { level: string; msg: string; [k: string]: unknown }[] = [];
setLogStream(new Writable({ write: (chunk, _encoding, done) => (logged.push(JSON.parse(String(chunk))), done()) }));

const row = (id: string, topic: string, category = topic === 'container-events' ? 'Container' : 'Port'): OutboxRow => ({
  id,
  topic,
  createdAt: 1,
  event: { id, category, title: `t-${id}`, seq: 7, origin: { kind: 'api' } },
});

const identity = (r: OutboxRow) => r.topic;
const allowed = outboxTopicMapper('container-events', 'port-events');

describe('bridge > outboxMessages', () => {
  it('keys each message by event id, carries the event JSON and the origin header, grouped by topic in order', () => {
    const rows = [row('a', 'port-events'), row('b', 'container-events'), row('c', 'port-events')];
    expect(outboxMessages(rows, identity)).toEqual([
      {
        topic: 'port-events',
        messages: [
          { key: 'a', value: JSON.stringify(rows[0]!.event), headers: { [ORIGIN_HEADER]: 'api' } },
          { key: 'c', value: JSON.stringify(rows[2]!.event), headers: { [ORIGIN_HEADER]: 'api' } },
        ],
      },
      {
        topic: 'container-events',
        messages: [{ key: 'b', value: JSON.stringify(rows[1]!.event), headers: { [ORIGIN_HEADER]: 'api' } }],
      },
    ]);
  });

  it('is empty for no rows', () => {
    expect(outboxMessages([], identity)).toEqual([]);
  });
});

describe('bridge > outboxTopicMapper', () => {
  it("maps the Worker's topic names to the configured ones, accepts the configured names, and refuses any other", () => {
    const topicOf = outboxTopicMapper('prod.containers', 'prod.ports');
    expect(topicOf(row('a', 'container-events'))).toBe('prod.containers');
    expect(topicOf(row('b', 'port-events'))).toBe('prod.ports');
    expect(topicOf(row('c', 'prod.ports'))).toBe('prod.ports');
    for (const forged of [
      'elsewhere',
      'port-events.dlq',
      '__consumer_offsets',
      'Port-Events',
      ' port-events',
      'port-events\u0000',
      '',
    ]) {
      expect(topicOf(row('d', forged)), forged).toBeUndefined();
    }
  });

  it('property: only the two destinations ever come out, whatever the row names', () => {
    const topicOf = outboxTopicMapper('prod.containers', 'prod.ports');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.constantFrom('container-events', 'port-events', 'prod.ports', 'prod.containers', 'container-events.dlq'),
        ),
        (topic) => {
          const out = topicOf(row('x', topic));
          expect(out === undefined || out === 'prod.containers' || out === 'prod.ports').toBe(true);
        },
      ),
    );
  });
});

describe('bridge > screenOutboxRows', () => {
  const topicOf = outboxTopicMapper('container-events', 'port-events');

  it("refuses a forged topic and an event whose id is not the row's, keeps the others in order", () => {
    const rows = [
      row('a', 'port-events'),
      row('b', 'payments'),
      { ...row('c', 'port-events'), event: { id: 'someone-else' } },
      row('d', 'container-events'),
    ];
    const { publish, refused } = screenOutboxRows(
      rows,
      [
        { id: 'e', problem: 'event: expected record' },
        { id: undefined, problem: 'id: expected string' },
      ],
      topicOf,
    );
    expect(publish.map((p) => [p.row.id, p.topic])).toEqual([
      ['a', 'port-events'],
      ['d', 'container-events'],
    ]);
    expect(refused).toEqual([
      { id: 'e', problem: 'not an outbox row: event: expected record' },
      { id: undefined, problem: 'not an outbox row: id: expected string' },
      { id: 'b', topic: 'payments', problem: 'names a topic the outbox does not publish to' },
      { id: 'c', problem: "the event's id is not the row's id" },
    ]);
  });
});

/** A fake Worker: serves `pending` once per poll and records acks. */
function fakeWorker(pending: unknown[], opts: { ackStatus?: number; page?: () => Response } = {}) {
  const acks: string[][] = [];
  const paths: string[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    paths.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}`);
    expect(new Headers(init?.headers).get('authorization')).toBe('Bearer tok');
    if (url.pathname === '/internal/outbox') return opts.page ? opts.page() : Response.json({ data: pending });
    if (opts.ackStatus && opts.ackStatus !== 200) return new Response('down', { status: opts.ackStatus });
    const { ids } = JSON.parse(String(init?.body)) as { ids: string[] };
    acks.push(ids);
    return Response.json({ acked: ids.length });
  }) as typeof globalThis.fetch;
  return { fetch, acks, paths };
}

const relayOptions = (
  fetch: typeof globalThis.fetch,
  publish: OutboxRelayOptions['publish'],
  published: [string, number][] = [],
): OutboxRelayOptions => ({
  workerUrl: 'http://worker.test',
  ingestToken: 'tok',
  timeoutMs: 1000,
  intervalMs: 10,
  retryInitialMs: 1,
  retryMaxMs: 2,
  topicOf: allowed,
  publish,
  onPublished: (topic, n) => published.push([topic, n]),
  signal: new AbortController().signal,
  fetch,
});

describe('bridge > relayOnce', () => {
  it('publishes the pending rows and acknowledges them only after the publish resolved', async () => {
    const rows = [row('a', 'port-events'), row('b', 'container-events')];
    const worker = fakeWorker(rows);
    const order: string[] = [];
    const publishedBatches: TopicMessages[][] = [];
    const published: [string, number][] = [];
    const n = await relayOnce(
      relayOptions(
        worker.fetch,
        async (batches) => {
          order.push(`publish:${worker.acks.length}`);
          publishedBatches.push(batches);
        },
        published,
      ),
    );
    expect(n).toEqual({ published: 2, refused: 0 });
    expect(order).toEqual(['publish:0']);
    expect(worker.acks).toEqual([['a', 'b']]);
    expect(publishedBatches[0]!.map((b) => b.topic)).toEqual(['port-events', 'container-events']);
    expect(published).toEqual([
      ['port-events', 1],
      ['container-events', 1],
    ]);
    expect(worker.paths[0]).toBe('GET /internal/outbox?limit=200');
  });

  it('does not acknowledge when publishing fails (the rows stay pending)', async () => {
    const worker = fakeWorker([row('a', 'port-events')]);
    await expect(
      relayOnce(relayOptions(worker.fetch, async () => Promise.reject(new Error('broker down')))),
    ).rejects.toThrow('broker down');
    expect(worker.acks).toEqual([]);
  });

  it('does nothing for an empty outbox', async () => {
    const worker = fakeWorker([]);
    let publishes = 0;
    expect(await relayOnce(relayOptions(worker.fetch, async () => void publishes++))).toEqual({
      published: 0,
      refused: 0,
    });
    expect(publishes).toBe(0);
    expect(worker.paths).toEqual(['GET /internal/outbox?limit=200']);
  });

  it('fails the pass when the acknowledgement fails (the rows are published again next pass)', async () => {
    const worker = fakeWorker([row('a', 'port-events')], { ackStatus: 503 });
    const published: [string, number][] = [];
    await expect(relayOnce(relayOptions(worker.fetch, async () => undefined, published))).rejects.toThrow('503');
    expect(published).toEqual([]);
  });
});

describe('bridge > relayOnce with a Worker that is not trusted', () => {
  it('does not publish a row naming another topic, logs and counts it, and acknowledges it with the published ones', async () => {
    const worker = fakeWorker([
      row('a', 'port-events'),
      row('forged', 'container-events.dlq'),
      row('b', 'container-events'),
    ]);
    const publishedBatches: TopicMessages[][] = [];
    let refused = 0;
    const pass = await relayOnce({
      ...relayOptions(worker.fetch, async (batches) => void publishedBatches.push(batches)),
      onRefused: (n) => (refused += n),
    });
    expect(pass).toEqual({ published: 2, refused: 1 });
    expect(
      publishedBatches
        .flat()
        .map((b) => b.topic)
        .sort(),
    ).toEqual(['container-events', 'port-events']);
    expect(
      publishedBatches
        .flat()
        .flatMap((b) => b.messages.map((m) => m.key))
        .sort(),
    ).toEqual(['a', 'b']);
    expect(worker.acks).toEqual([['a', 'b', 'forged']]);
    expect(refused).toBe(1);
    expect(logged.at(-1)).toMatchObject({
      level: 'error',
      msg: 'outbox rows refused: not published',
      refused: 1,
      rows: [{ id: 'forged', topic: 'container-events.dlq', problem: 'names a topic the outbox does not publish to' }],
    });
  });

  it('publishes nothing when every row is refused, and still acknowledges them (they cannot block the outbox)', async () => {
    const worker = fakeWorker([row('x', 'payments'), row('y', '__consumer_offsets')]);
    let publishes = 0;
    expect(await relayOnce(relayOptions(worker.fetch, async () => void publishes++))).toEqual({
      published: 0,
      refused: 2,
    });
    expect(publishes).toBe(0);
    expect(worker.acks).toEqual([['x', 'y']]);
  });

  it('refuses rows of the wrong shape; one without a usable id is neither published nor acknowledged', async () => {
    const worker = fakeWorker([
      row('ok', 'port-events'),
      { id: 'no-event', topic: 'port-events', createdAt: 1 },
      { id: 42, topic: 'port-events', createdAt: 1, event: {} },
      null,
      'text',
    ]);
    const published: string[] = [];
    const pass = await relayOnce(
      relayOptions(
        worker.fetch,
        async (batches) => void published.push(...batches.flatMap((b) => b.messages.map((m) => m.key))),
      ),
    );
    expect(pass).toEqual({ published: 1, refused: 4 });
    expect(published).toEqual(['ok']);
    expect(worker.acks).toEqual([['ok', 'no-event']]);
  });

  it.each<[string, () => Response]>([
    ['not JSON', () => new Response('<html>hello</html>', { status: 200 })],
    ['no data array', () => Response.json({ data: 'all of it' })],
    [
      'a body over the bound',
      () => new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(1024 * 1024)) }), { status: 200 }),
    ],
  ])('fails the pass (retried later) on a page that is %s, publishing nothing', async (_label, page) => {
    const worker = fakeWorker([], { page });
    let publishes = 0;
    await expect(relayOnce(relayOptions(worker.fetch, async () => void publishes++))).rejects.toThrow();
    expect(publishes).toBe(0);
    expect(worker.acks).toEqual([]);
  });

  it('property: whatever the page holds, only rows of an allowed topic are published, each under its own id', async () => {
    const anyRow = fc.oneof(
      fc.record({
        id: fc.string({ minLength: 1, maxLength: 5 }),
        topic: fc.constantFrom('port-events', 'container-events', 'port-events.dlq', 'other', ''),
        createdAt: fc.integer(),
        event: fc.dictionary(fc.string(), fc.jsonValue()),
      }),
      fc
        .record({ id: fc.constantFrom('a', 'b'), topic: fc.constantFrom('port-events', 'x'), createdAt: fc.integer() })
        .map((r) => ({ ...r, event: { id: r.id } })),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(anyRow, { maxLength: 12 }), async (page) => {
        const worker = fakeWorker(page);
        const published: TopicMessages[] = [];
        let result: { published: number; refused: number };
        try {
          result = await relayOnce(relayOptions(worker.fetch, async (batches) => void published.push(...batches)));
        } catch {
          return; // a page that is not JSON-serialisable as rows: nothing published
        }
        for (const b of published) {
          expect(['port-events', 'container-events']).toContain(b.topic);
          for (const m of b.messages) expect((JSON.parse(m.value) as { id: unknown }).id).toBe(m.key);
        }
        const count = published.reduce((n, b) => n + b.messages.length, 0);
        expect(result.published).toBe(count);
        expect(result.published + result.refused).toBe(
          parseOutboxPage(JSON.stringify({ data: page })).rows.length +
            parseOutboxPage(JSON.stringify({ data: page })).malformed.length,
        );
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });
});

describe('bridge > runOutboxRelay', () => {
  it('gets past a full page of forged rows to the events behind it', async () => {
    // A Worker that serves pending rows oldest first and forgets acknowledged ones, like the real one.
    const pending = [
      ...Array.from({ length: OUTBOX_PAGE }, (_, i) => row(`forged-${i}`, 'container-events.dlq')),
      row('real', 'port-events'),
    ];
    const acked = new Set<string>();
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      if (url.pathname === '/internal/outbox')
        return Response.json({ data: pending.filter((r) => !acked.has(r.id)).slice(0, OUTBOX_PAGE) });
      for (const id of (JSON.parse(String(init?.body)) as { ids: string[] }).ids) acked.add(id);
      return Response.json({ acked: 1 });
    }) as typeof globalThis.fetch;
    const published: string[] = [];
    const abort = new AbortController();
    const relay = runOutboxRelay({
      ...relayOptions(
        fetch,
        async (batches) => void published.push(...batches.flatMap((b) => b.messages.map((m) => `${b.topic}:${m.key}`))),
      ),
      signal: abort.signal,
    });
    const deadline = Date.now() + 5000;
    while (published.length === 0 && Date.now() < deadline) await sleep(5);
    abort.abort();
    await relay;
    expect(published).toEqual(['port-events:real']);
  });

  it('polls only while this bridge leads the outbox', async () => {
    const worker = fakeWorker([]);
    let leader = false;
    const abort = new AbortController();
    const relay = runOutboxRelay({
      ...relayOptions(worker.fetch, async () => undefined),
      isLeader: () => leader,
      signal: abort.signal,
    });
    await sleep(60);
    expect(worker.paths).toEqual([]);
    leader = true;
    await sleep(60);
    abort.abort();
    await relay;
    expect(worker.paths.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps going after a failing pass and stops when the signal aborts', async () => {
    const worker = fakeWorker([row('a', 'port-events')]);
    let attempts = 0;
    const abort = new AbortController();
    const relay = runOutboxRelay({
      ...relayOptions(worker.fetch, async () => {
        if (++attempts === 1) throw new Error('broker down');
      }),
      signal: abort.signal,
    });
    // Waits for the second pass (a condition, not a fixed sleep: under load 80 ms was sometimes one pass).
    const deadline = Date.now() + 5000;
    while (attempts < 2 && Date.now() < deadline) await sleep(5);
    abort.abort();
    await relay;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(worker.acks.length).toBe(attempts - 1);
  });
});
