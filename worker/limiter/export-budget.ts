/**
 * The CSV export's budgets: a row cap per request (EXPORT_MAX_ROWS) and a streaming budget per
 * token (EXPORT_ROWS_PER_MINUTE, all its exports together). The first page must fit the budget
 * (else 429 before any byte is sent); later pages wait for the budget to refill — the stream
 * slows down, it is never cut short, and a client that goes away stops it.
 */
import { getConfig } from '../config.ts';
import { rateLimiterStub } from './stub.ts';
import { refuse } from './refusal.ts';

export type ExportBudget = {
  /** Rows the export may still stream (the cap minus what it streamed). */
  readonly remaining: number;
  /** Takes `rows` from the token's budget for the next page; the first call refuses with 429, later ones wait. */
  take(rows: number): Promise<void>;
  /** Counts rows actually streamed against the cap. */
  streamed(rows: number): void;
  readonly cap: number;
};

/** A budget for one export request of token `sub`. */
export function exportBudget(
  env: Env,
  sub: string,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): ExportBudget {
  const { exportMaxRows, exportRowsPerMinute } = getConfig(env).limits;
  const limiter = rateLimiterStub(env, sub);
  let first = true;
  let streamed = 0;
  return {
    cap: exportMaxRows,
    get remaining() {
      return exportMaxRows - streamed;
    },
    async take(rows) {
      const cost = Math.max(1, Math.min(rows, exportRowsPerMinute));
      for (;;) {
        const result = await limiter.takeFrom('export', exportRowsPerMinute, cost);
        if (result.ok) break;
        if (first)
          refuse(
            'export_rows',
            `this token has streamed ${exportRowsPerMinute} CSV rows in the last minute; retry in ${result.retryAfterSeconds} s`,
            result.retryAfterSeconds,
          );
        await sleep(result.retryAfterSeconds * 1000);
      }
      first = false;
    },
    streamed(rows) {
      streamed += rows;
    },
  };
}
