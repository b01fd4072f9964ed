import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { setLogStream } from './log.ts';
import { relayOnce, type OutboxRelayOptions } from './outbox.ts';
import { parseOutboxPage } from './worker-answer.ts';

setLogStream(new Writable({ write: (_chunk, _encoding, done) => done() }));

/** A relay whose Worker answers the outbox read with `answer`; records the URLs asked. */
function relay(answer: unknown, onReplaysDue?: () => Promise<void>, leader = true) {
  const urls: string[] = [];
  const opts: OutboxRelayOptions = {
    workerUrl: 'http://worker',
    ingestToken: 't',
    timeoutMs: 1000,
    intervalMs: 10,
    waitS: 30,
    retryInitialMs: 1,
    retryMaxMs: 2,
    topicOf: (r) => r.topic,
    publish: async () => {},
    isLeader: () => leader,
    onReplaysDue,
    signal: new AbortController().signal,
    fetch: (async (url: string) => {
      urls.push(url);
      return new Response(JSON.stringify(answer), { status: 200 });
    }) as typeof fetch,
  };
  return { opts, urls };
}

describe('bridge > outbox wakes replays', () => {
  it('asks to be woken for replays only when it carries them out', async () => {
    const without = relay({ data: [], replays: 0 });
    await relayOnce(without.opts);
    expect(without.urls[0]).not.toContain('replays=1');
    const withReplays = relay({ data: [], replays: 0 }, async () => {});
    await relayOnce(withReplays.opts);
    expect(withReplays.urls[0]).toContain('&replays=1');
  });

  it('runs the replay pass when the answer says some are due, and only then, and only as leader', async () => {
    let passes = 0;
    const pass = async () => {
      passes++;
    };
    await relayOnce(relay({ data: [], replays: 0 }, pass).opts);
    expect(passes).toBe(0);
    expect(await relayOnce(relay({ data: [], replays: 2 }, pass).opts)).toMatchObject({ replays: 2 });
    expect(passes).toBe(1);
    await relayOnce(relay({ data: [], replays: 2 }, pass, false).opts);
    expect(passes).toBe(1);
  });

  it('a failing replay pass fails the pass (the loop backs off)', async () => {
    await expect(
      relayOnce(
        relay({ data: [], replays: 1 }, async () => {
          throw new Error('claim failed');
        }).opts,
      ),
    ).rejects.toThrow('claim failed');
  });

  it('reads replays as 0 from an older Worker or a bad count, never failing the page', () => {
    expect(parseOutboxPage(JSON.stringify({ data: [] })).replays).toBe(0);
    expect(parseOutboxPage(JSON.stringify({ data: [], replays: 'x' })).replays).toBe(0);
    expect(parseOutboxPage(JSON.stringify({ data: [], replays: -1 })).replays).toBe(0);
    expect(parseOutboxPage(JSON.stringify({ data: [], replays: 3 })).replays).toBe(3);
  });
});
