/**
 * A tiny HTTP proxy between the bridge and the Worker that injects faults on demand, so tests
 * exercise the real Worker without a test-only switch inside it.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The API's error body (`{ error: { code, message, details? } }`) an injected failure answers with. */
export type InjectedError = { code: string; message: string; details?: unknown };

export type FaultMode =
  | { kind: 'pass' }
  /** Answer 500 to every matching request (without forwarding it). */
  | { kind: 'fail'; status?: number; error?: InjectedError; headers?: Record<string, string> }
  /** Forward, then hold the Worker's answer this long before passing it on. */
  | { kind: 'delay-response'; ms: number }
  /**
   * Answer `status` (with `error` as the body and `headers`, when given) to requests whose body
   * contains `marker`, without forwarding them; forward the others.
   */
  | { kind: 'refuse-body'; marker: string; status: number; error?: InjectedError; headers?: Record<string, string> }
  /** Forward every request; hold the answer `ms` when the body contains `marker`. */
  | { kind: 'delay-body'; marker: string; ms: number }
  /**
   * Answer each matching request with the next of `answers` (without forwarding it), whatever it
   * holds — a 200 that is not JSON, of the wrong shape, huge — then forward once they are used up.
   */
  | { kind: 'answers'; answers: CannedAnswer[] };

/** One answer of the `answers` mode: `body` sent `repeat` times (streamed, for huge bodies), with `headers`. */
export type CannedAnswer = { status: number; body: string; repeat?: number; headers?: Record<string, string> };

/** One request that went through the proxy (every path, matching or not). */
export type ProxiedRequest = {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The status the bridge got: an injected one, the Worker's, or 502 when the Worker was unreachable. */
  status?: number;
  injected: boolean;
  at: number;
};

export type FaultProxy = {
  url: string;
  mode: FaultMode;
  /** Matching requests seen / answered with an injected failure / forwarded and answered / held (delayed). */
  counts: { seen: number; failed: number; forwarded: number; held: number };
  /** Bodies of the matching requests, in arrival order (what the bridge sent). */
  bodies: string[];
  /** Every request, matching or not, in arrival order (bounded to the last 10,000). */
  requests: ProxiedRequest[];
  close(): Promise<void>;
};

const DEFAULT_ERROR: InjectedError = { code: 'injected', message: 'fault proxy: injected failure' };

/** Starts the proxy in front of `target`; `match` picks the requests faults apply to (default: POST /internal/ingest). */
export async function startFaultProxy(
  target: string,
  match: (req: IncomingMessage) => boolean = (req) => req.method === 'POST' && req.url === '/internal/ingest',
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = {
    url: '',
    mode: { kind: 'pass' },
    counts: { seen: 0, failed: 0, forwarded: 0, held: 0 },
    bodies: [],
    requests: [],
    close: async () => undefined,
  };
  const server: Server = createServer(async (req, res) => {
    const faulty = match(req);
    const mode = faulty ? proxy.mode : ({ kind: 'pass' } as const);
    if (faulty) proxy.counts.seen++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (faulty && proxy.bodies.length < 10_000) proxy.bodies.push(body.toString('utf8'));
    const entry: ProxiedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: body.toString('utf8'),
      injected: false,
      at: Date.now(),
    };
    proxy.requests.push(entry);
    if (proxy.requests.length > 10_000) proxy.requests.shift();

    const canned = mode.kind === 'answers' ? mode.answers.shift() : undefined;
    if (canned) {
      proxy.counts.failed++;
      entry.status = canned.status;
      entry.injected = true;
      await sendCanned(res, canned);
      return;
    }
    const refused = mode.kind === 'fail' || (mode.kind === 'refuse-body' && body.includes(mode.marker));
    if (refused) {
      const status = mode.kind === 'fail' ? (mode.status ?? 500) : mode.status;
      proxy.counts.failed++;
      entry.status = status;
      entry.injected = true;
      res
        .writeHead(status, { 'content-type': 'application/json', ...(mode.headers ?? {}) })
        .end(JSON.stringify({ error: mode.error ?? DEFAULT_ERROR }));
      return;
    }
    const holdMs =
      mode.kind === 'delay-response' ? mode.ms : mode.kind === 'delay-body' && body.includes(mode.marker) ? mode.ms : 0;
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        const answer: Buffer[] = [];
        up.on('data', (c: Buffer) => answer.push(c));
        up.on('end', () => {
          const send = () => {
            if (faulty) proxy.counts.forwarded++;
            entry.status = up.statusCode ?? 502;
            if (res.destroyed) return;
            res.writeHead(up.statusCode ?? 502, up.headers).end(Buffer.concat(answer));
          };
          if (holdMs > 0) {
            proxy.counts.held++;
            setTimeout(send, holdMs);
          } else send();
        });
      },
    );
    out.on('error', () => {
      entry.status = 502;
      if (!res.headersSent) res.writeHead(502).end();
    });
    out.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}

/** Streams a canned answer, honouring backpressure, and stops when the client goes away (it may stop reading). */
async function sendCanned(res: ServerResponse, answer: CannedAnswer): Promise<void> {
  res.writeHead(answer.status, answer.headers ?? {});
  const chunk = Buffer.from(answer.body);
  for (let i = 0; i < (answer.repeat ?? 1) && !res.destroyed; i++) {
    if (!res.write(chunk))
      await new Promise<void>((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
  }
  if (!res.destroyed) res.end();
}

/** What a room storage failure looks like from the Worker (contract 1): 503, Retry-After: 1, code room_unavailable. */
export function roomUnavailable(rooms: string[]): {
  status: 503;
  error: InjectedError;
  headers: Record<string, string>;
} {
  return {
    status: 503,
    error: { code: 'room_unavailable', message: `room storage failed: ${rooms.join(', ')}`, details: { rooms } },
    headers: { 'retry-after': '1' },
  };
}
