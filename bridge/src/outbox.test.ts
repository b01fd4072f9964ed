import { describe, expect, it } from 'vitest';
import { ORIGIN_HEADER, outboxMessages, outboxTopicMapper, relayOnce, runOutboxRelay, type OutboxRelayOptions, type OutboxRow, type TopicMessages } from './outbox.ts';

const row = (id: string, topic: string, category = topic === 'container-events' ? 'Container' : 'Port'): OutboxRow => ({
  id,
  topic,
  createdAt: 1,
  event: { id, category, title: `t-${id}`, seq: 7, origin: { kind: 'api' } },
});

const identity = (r: OutboxRow) => r.topic;

describe('bridge > outboxMessages', () => {
  it('keys each message by event id, carries the event JSON and the origin header, grouped by topic in order', () => {
    const rows = [row('a', 'port-events'), row('b', 'container-events'), row('c', 'port-events')];
    expect(outboxMessages(rows, identity)).toEqual([
      { topic: 'port-events', messages: [{ key: 'a', value: JSON.stringify(rows[0]!.event), headers: { [ORIGIN_HEADER]: 'api' } }, { key: 'c', value: JSON.stringify(rows[2]!.event), headers: { [ORIGIN_HEADER]: 'api' } }] },
      { topic: 'container-events', messages: [{ key: 'b', value: JSON.stringify(rows[1]!.event), headers: { [ORIGIN_HEADER]: 'api' } }] },
    ]);
  });

  it('is empty for no rows', () => {
    expect(outboxMessages([], identity)).toEqual([]);
  });
});

describe('bridge > outboxTopicMapper', () => {
  it('maps the default topic names to the configured ones and keeps any other', () => {
    const topicOf = outboxTopicMapper('prod.containers', 'prod.ports');
    expect(topicOf(row('a', 'container-events'))).toBe('prod.containers');
    expect(topicOf(row('b', 'port-events'))).toBe('prod.ports');
    expect(topicOf(row('c', 'elsewhere'))).toBe('elsewhere');
  });
});

/** A fake Worker: serves `pending` once per poll and records acks. */
function fakeWorker(pending: OutboxRow[], opts: { ackStatus?: number } = {}) {
  const acks: string[][] = [];
  const paths: string[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    paths.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}`);
    expect(new Headers(init?.headers).get('authorization')).toBe('Bearer tok');
    if (url.pathname === '/internal/outbox') return Response.json({ data: pending });
    if (opts.ackStatus && opts.ackStatus !== 200) return new Response('down', { status: opts.ackStatus });
    const { ids } = JSON.parse(String(init?.body)) as { ids: string[] };
    acks.push(ids);
    return Response.json({ acked: ids.length });
  }) as typeof globalThis.fetch;
  return { fetch, acks, paths };
}

const relayOptions = (fetch: typeof globalThis.fetch, publish: OutboxRelayOptions['publish'], published: [string, number][] = []): OutboxRelayOptions => ({
  workerUrl: 'http://worker.test',
  ingestToken: 'tok',
  timeoutMs: 1000,
  intervalMs: 10,
  retryInitialMs: 1,
  retryMaxMs: 2,
  topicOf: identity,
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
      relayOptions(worker.fetch, async (batches) => {
        order.push(`publish:${worker.acks.length}`);
        publishedBatches.push(batches);
      }, published),
    );
    expect(n).toBe(2);
    expect(order).toEqual(['publish:0']);
    expect(worker.acks).toEqual([['a', 'b']]);
    expect(publishedBatches[0]!.map((b) => b.topic)).toEqual(['port-events', 'container-events']);
    expect(published).toEqual([['port-events', 1], ['container-events', 1]]);
    expect(worker.paths[0]).toBe('GET /internal/outbox?limit=200');
  });

  it('does not acknowledge when publishing fails (the rows stay pending)', async () => {
    const worker = fakeWorker([row('a', 'port-events')]);
    await expect(relayOnce(relayOptions(worker.fetch, async () => Promise.reject(new Error('broker down'))))).rejects.toThrow('broker down');
    expect(worker.acks).toEqual([]);
  });

  it('does nothing for an empty outbox', async () => {
    const worker = fakeWorker([]);
    let publishes = 0;
    expect(await relayOnce(relayOptions(worker.fetch, async () => void publishes++))).toBe(0);
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

describe('bridge > runOutboxRelay', () => {
  it('polls only while this bridge leads the outbox', async () => {
    const worker = fakeWorker([]);
    let leader = false;
    const abort = new AbortController();
    const relay = runOutboxRelay({ ...relayOptions(worker.fetch, async () => undefined), isLeader: () => leader, signal: abort.signal });
    await new Promise((r) => setTimeout(r, 60));
    expect(worker.paths).toEqual([]);
    leader = true;
    await new Promise((r) => setTimeout(r, 60));
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
    while (attempts < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await relay;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(worker.acks.length).toBe(attempts - 1);
  });
});
