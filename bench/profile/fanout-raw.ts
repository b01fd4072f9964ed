/**
 * The runtime's floor for fan-out: a bare Durable Object (no D1, no filters, no cursors) that
 * accepts hibernatable WebSockets and, on request, sends one text frame of N bytes to every one.
 * Compared with `npm run bench -- fanout`, it tells how much of Quaycast's per-delivery cost is
 * workerd's `send` and how much is the room's own logic.
 *
 *   bash scripts/node22.sh node bench/profile/fanout-raw.ts [sockets=2000] [broadcasts=300]
 *
 * Prints workerd CPU µs per delivery for 100-byte and 900-byte frames (900 ≈ one event).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions } from 'miniflare';
import WebSocket from 'ws';
import { cpuSeconds, descendantsNamed } from '../lib/proc.ts';

const sockets = Number(process.argv[2] ?? 2000);
const broadcasts = Number(process.argv[3] ?? 300);

const script = `
import { DurableObject } from 'cloudflare:workers';
export class Hub extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/send') {
      const size = Number(url.searchParams.get('size'));
      const frame = JSON.stringify({ type: 'events', pad: 'x'.repeat(Math.max(0, size - 30)) });
      let n = 0;
      for (const ws of this.ctx.getWebSockets()) { ws.send(frame); n++; }
      return new Response(String(n));
    }
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }
}
export default { fetch(request, env) { return env.HUB.get(env.HUB.idFromName('one')).fetch(request); } };
`;

const before = new Set(descendantsNamed(process.pid, 'workerd'));
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: '127.0.0.1',
    port: 0,
    log: new Log(LogLevel.WARN),
    cf: false,
    modules: true,
    script,
    compatibilityDate: '2026-11-01',
    durableObjects: { HUB: { className: 'Hub', useSQLite: true } },
  } as never),
);
const url = await mf.ready;
const workerd = descendantsNamed(process.pid, 'workerd').filter((p) => !before.has(p));
const clients: WebSocket[] = [];
let received = 0;
for (let i = 0; i < sockets; i++) {
  const ws = new WebSocket(`ws://${url.host}/ws`, { localAddress: `127.0.0.${2 + (i % 8)}`, perMessageDeflate: false });
  ws.on('message', () => received++);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  clients.push(ws);
}
const cpu = () => cpuSeconds(workerd);
try {
  for (const size of [100, 900]) {
    received = 0;
    const c0 = cpu();
    const t0 = performance.now();
    for (let i = 0; i < broadcasts; i++) await (await fetch(`${url.origin}/send?size=${size}`)).text();
    while (received < sockets * broadcasts && performance.now() - t0 < 60_000) await sleep(20);
    const seconds = cpu() - c0;
    const deliveries = sockets * broadcasts;
    console.log(
      `${size} B frames: ${deliveries} deliveries (${received} received) in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `workerd ${seconds.toFixed(2)} CPU-s = ${((seconds / deliveries) * 1e6).toFixed(1)} µs per delivery`,
    );
  }
} finally {
  for (const ws of clients) ws.terminate();
  await mf.dispose();
}
