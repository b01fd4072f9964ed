/** Runs the real bridge (`node bridge/src/main.ts`) as a child process, as production would. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { BROKER } from './kafka.ts';
import { ROOT, TEST_SECRETS } from './paths.ts';

export type BridgeProcess = {
  child: ChildProcess;
  logs: string[];
  metricsUrl: string;
  /** Resolves when a log line matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
};

let nextMetricsPort = 19_464 + Math.floor(Math.random() * 500);

export function startBridge(env: Record<string, string>): BridgeProcess {
  const metricsPort = nextMetricsPort++;
  const child = spawn(process.execPath, [path.join(ROOT, 'bridge/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BROKERS: BROKER, INGEST_TOKEN: TEST_SECRETS.INGEST_TOKEN, METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info', BATCH_MAX_AGE_MS: '20', RETRY_INITIAL_MS: '100', RETRY_MAX_MS: '1000', KAFKA_SESSION_TIMEOUT_MS: '6000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      logs.push(line);
      if (process.env.QC_TEST_VERBOSE) console.log(`[bridge] ${line}`);
      for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.pattern.test(line)) waiters.splice(i, 1)[0]!.resolve(line);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    logs,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    waitForLog(pattern, timeoutMs = 60_000) {
      const found = logs.find((l) => pattern.test(l));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`bridge never logged ${pattern}; last lines:\n${logs.slice(-20).join('\n')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
