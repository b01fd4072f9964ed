/**
 * `--rules N` (bench/README.md, "Rules"): N active rules created in Quaycast before the load
 * starts, so the latency scenario measures the live path with the rule runners at work beside
 * it. Rule i matches one room and one severity (so every event matches N / 20 rules), with two
 * conditions on the event; every 10th posts a webhook to a local sink in this process, the others
 * notify the operators.
 */
import { createServer, type Server } from 'node:http';
import { CATEGORIES, SEVERITIES } from '../../protocol/enums.ts';
import { signJwt } from '../../protocol/jwt.ts';

export type RuleLoad = { sink: Server; received: () => number; close(): Promise<void> };

/** Creates `count` rules through the API; returns the webhook sink (counting what it received). */
export async function createBenchRules(workerUrl: string, jwtSecret: string, count: number): Promise<RuleLoad> {
  let received = 0;
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const port = (sink.address() as { port: number }).port;
  const now = Math.floor(Date.now() / 1000);
  const token = await signJwt({ sub: 'bench-operator', role: 'operator', iat: now, exp: now + 3600 }, jwtSecret);
  for (let i = 0; i < count; i++) {
    const rule = {
      name: `bench rule ${i}`,
      match: {
        categories: [CATEGORIES[i % CATEGORIES.length]],
        severities: [SEVERITIES[Math.floor(i / CATEGORIES.length) % SEVERITIES.length]],
        eventTypes: ['bench.tick'],
        conditions: [
          { path: 'eventData.n', op: 'gte', value: 0 },
          { path: 'portId', op: 'eq', value: 'NLRTM' },
        ],
      },
      actions:
        i % 10 === 0
          ? [{ type: 'webhook', url: `http://127.0.0.1:${port}/bench/${i}` }]
          : [{ type: 'notify', roles: ['operator'] }],
    };
    const res = await fetch(`${workerUrl}/api/rules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(rule),
    });
    if (res.status !== 201) throw new Error(`creating bench rule ${i}: ${res.status} ${await res.text()}`);
  }
  return {
    sink,
    received: () => received,
    close: () => new Promise<void>((resolve) => sink.close(() => resolve())),
  };
}
