/** Runs the real bridge (`node bridge/src/main.ts`) as a child process, as production would. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sumSamples } from '../../scripts/lib/prometheus-text.ts';
import { BROKER } from './kafka.ts';
import { ROOT, TEST_SECRETS } from './paths.ts';

/** What the bridge's `/healthz` answers. */
export type BridgeHealth = {
  ok: boolean;
  reason?: string;
  stopping?: boolean;
  stalled?: { topic: string; partition: number; stalledForMs: number }[];
};

export type BridgeProcess = {
  child: ChildProcess;
  logs: string[];
  metricsUrl: string;
  /** Resolves when a log line matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The JSON log lines whose `msg` is `msg`, parsed. */
  logLines(msg: string): Record<string, unknown>[];
  /** A metric from `/metrics`, summed over the series carrying every one of `labels` (0 when none). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** `GET /healthz`: its status and body. */
  health(): Promise<{ status: number; body: BridgeHealth }>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
};

/** A log line as JSON; undefined for one that is not (a stack trace, a line a pipe chunk cut in two). */
function parsedLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

let nextMetricsPort = 19_464 + Math.floor(Math.random() * 500);

export function startBridge(env: Record<string, string>): BridgeProcess {
  const metricsPort = nextMetricsPort++;
  const child = spawn(process.execPath, [path.join(ROOT, 'bridge/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: BROKER,
      INGEST_TOKEN: TEST_SECRETS.INGEST_TOKEN,
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      BATCH_MAX_AGE_MS: '20',
      RETRY_INITIAL_MS: '100',
      RETRY_MAX_MS: '1000',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      logs.push(line);
      if (process.env.QC_TEST_VERBOSE) console.log(`[bridge] ${line}`);
      for (let i = waiters.length - 1; i >= 0; i--)
        if (waiters[i]!.pattern.test(line)) waiters.splice(i, 1)[0]!.resolve(line);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const base = `http://127.0.0.1:${metricsPort}`;
  return {
    child,
    logs,
    metricsUrl: `${base}/metrics`,
    waitForLog(pattern, timeoutMs = 60_000) {
      const found = logs.find((l) => pattern.test(l));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`bridge never logged ${pattern}; last lines:\n${logs.slice(-20).join('\n')}`)),
          timeoutMs,
        );
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
    logLines: (msg) =>
      logs
        .filter((l) => l.includes(`"msg":${JSON.stringify(msg)}`))
        .flatMap((l) => {
          const line = parsedLine(l);
          return line ? [line] : [];
        }),
    async metric(name, labels = {}) {
      return sumSamples(
        await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text(),
        name,
        labels,
      );
    },
    async health() {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: (await res.json()) as BridgeHealth };
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
