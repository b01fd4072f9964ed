import { describe, expect, it } from 'vitest';
import { CLOSE } from '../../protocol/room.ts';
import { SSE_RETRY_MS, StreamSubscriber } from './stream-subscriber.ts';
import type { Subscriber } from './subscriber.ts';

const state = { severities: null, live: true, cursor: 3, user: 'u', connectedAt: 0 };

/** A real SSE stream (web streams, as the room uses them) and what its subscriber asked of the room. */
function stream() {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const drops: { code: number; reason: string }[] = [];
  const s = new StreamSubscriber(writable.getWriter(), state, {
    room: 'Port',
    drop: (_s: Subscriber, code, reason) => drops.push({ code, reason }),
  });
  return { s, reader: readable.getReader(), drops };
}

const decoder = new TextDecoder();
const tick = () => new Promise((r) => setTimeout(r, 0));

async function readText(reader: ReadableStreamDefaultReader<Uint8Array>, frames: number): Promise<string> {
  let text = '';
  for (let i = 0; i < frames; i++) text += decoder.decode((await reader.read()).value);
  return text;
}

describe('worker > room > StreamSubscriber', () => {
  it('writes the SSE frames of the room protocol: retry first, messages as data, events with their id, the final messages', async () => {
    const { s, reader } = stream();
    s.begin();
    s.send('{"type":"hello"}');
    s.send('{"type":"events","events":[]}', 12);
    s.sendReconnect({ type: 'reconnect', afterMs: 900, reason: 'drain' });
    s.sendExpired({ type: 'error', code: 'token_expired', message: 'x' });
    s.beat('hb 12');
    expect(await readText(reader, 6)).toBe(
      `retry: ${SSE_RETRY_MS}\n\n` +
        'data: {"type":"hello"}\n\n' +
        'id: 12\ndata: {"type":"events","events":[]}\n\n' +
        'retry: 900\ndata: {"type":"reconnect","afterMs":900,"reason":"drain"}\n\n' +
        'event: error\ndata: {"type":"error","code":"token_expired","message":"x"}\n\n' +
        ': hb 12\n\n',
    );
  });

  it('counts what its reader has not taken yet as outstanding, and nothing once it has', async () => {
    const { s, reader } = stream();
    s.send('{"type":"presence","connections":1}');
    s.send('{"type":"presence","connections":2}');
    expect(s.outstanding()).toBe(2 * 'data: {"type":"presence","connections":1}\n\n'.length);
    await readText(reader, 2);
    await tick();
    expect(s.outstanding()).toBe(0);
  });

  it('asks the room to drop it when its reader went away, and sends nothing once closed', async () => {
    const { s, reader, drops } = stream();
    await reader.cancel();
    s.send('{"type":"presence","connections":1}');
    await tick();
    expect(drops).toEqual([{ code: CLOSE.goingAway, reason: 'stream closed' }]);
    expect(s.close()).toBe(true);
    expect(s.close()).toBe(false); // once
    expect(s.isOpen()).toBe(false);
    expect(s.send('{}')).toBe(false);
  });
});
