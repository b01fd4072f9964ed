/**
 * A real local HTTP receiver for the rules' webhooks: records every request (headers and the raw
 * body bytes as received), answers per path as the test says, and can go down (stop listening,
 * so connections are refused) and come back on the same port.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { freePort } from '../../scripts/lib/free-port.ts';

export type ReceivedRequest = {
  path: string;
  headers: IncomingMessage['headers'];
  /** The body as received, byte for byte (decoded as UTF-8 for comparison). */
  raw: string;
  at: number;
};

export type Answer = { status: number; headers?: Record<string, string>; body?: string };

export type Receiver = {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** How requests to `path` are answered from now on (default 200). */
  answer(path: string, answer: Answer): void;
  /** Stops listening: connections are refused until `up`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
  /** Requests to `path`. */
  to(path: string): ReceivedRequest[];
};

export async function startReceiver(): Promise<Receiver> {
  const port = await freePort();
  const answers = new Map<string, Answer>();
  const requests: ReceivedRequest[] = [];
  let server: Server | undefined;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const path = new URL(req.url ?? '/', 'http://x').pathname;
          requests.push({ path, headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
          const a = answers.get(path) ?? { status: 200 };
          res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
          res.end(a.body ?? `answered ${a.status}`);
        });
      });
      s.keepAliveTimeout = 1;
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
      s.closeAllConnections();
    });

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (path, a) => answers.set(path, a),
    down: stop,
    up: listen,
    close: stop,
    to: (path) => requests.filter((r) => r.path === path),
  };
}
