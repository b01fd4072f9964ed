/**
 * A tiny HTTP proxy between the bridge and the Worker that injects faults on demand, so tests
 * exercise the real Worker without a test-only switch inside it.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode =
  | { kind: 'pass' }
  /** Answer 500 to every matching request (without forwarding it). */
  | { kind: 'fail'; status?: number }
  /** Forward, then hold the Worker's answer this long before passing it on. */
  | { kind: 'delay-response'; ms: number }
  /** Answer `status` to requests whose body contains `marker`; forward the others. */
  | { kind: 'refuse-body'; marker: string; status: number };

export type FaultProxy = {
  url: string;
  mode: FaultMode;
  /** Matching requests seen / answered with an injected failure / forwarded and answered. */
  counts: { seen: number; failed: number; forwarded: number; held: number };
  /** Bodies of the matching requests, in arrival order (what the bridge sent). */
  bodies: string[];
  close(): Promise<void>;
};

/** Starts the proxy in front of `target`; `match` picks the requests faults apply to (default: POST /internal/ingest). */
export async function startFaultProxy(target: string, match: (req: IncomingMessage) => boolean = (req) => req.method === 'POST' && req.url === '/internal/ingest'): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = { url: '', mode: { kind: 'pass' }, counts: { seen: 0, failed: 0, forwarded: 0, held: 0 }, bodies: [], close: async () => undefined };
  const server: Server = createServer(async (req, res) => {
    const faulty = match(req);
    const mode = faulty ? proxy.mode : ({ kind: 'pass' } as const);
    if (faulty) proxy.counts.seen++;
    const body: Buffer[] = [];
    for await (const chunk of req) body.push(chunk as Buffer);
    if (faulty && proxy.bodies.length < 10_000) proxy.bodies.push(Buffer.concat(body).toString('utf8'));
    const injected = mode.kind === 'fail' ? (mode.status ?? 500) : mode.kind === 'refuse-body' && Buffer.concat(body).includes(mode.marker) ? mode.status : undefined;
    if (injected !== undefined) {
      proxy.counts.failed++;
      res.writeHead(injected, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'injected', message: 'fault proxy: injected failure' } }));
      return;
    }
    const out = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const send = () => {
            if (faulty) proxy.counts.forwarded++;
            if (res.destroyed) return;
            res.writeHead(up.statusCode ?? 502, up.headers).end(Buffer.concat(chunks));
          };
          if (mode.kind === 'delay-response') {
            proxy.counts.held++;
            setTimeout(send, mode.ms);
          } else send();
        });
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
    });
    out.end(Buffer.concat(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return proxy;
}
