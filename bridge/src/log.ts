/** JSON lines on stdout, one object per event; never include tokens or message values. */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: Level = 'info';

let stream: NodeJS.WritableStream = process.stdout;

export function setLogLevel(level: Level): void {
  threshold = level;
}

/** Where the lines go (stdout by default; the DLQ CLI keeps stdout for its output). */
export function setLogStream(to: NodeJS.WritableStream): void {
  stream = to;
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < ORDER[threshold]) return;
  stream.write(`${JSON.stringify({ ts: new Date().toISOString(), level, component: 'bridge', msg, ...fields })}\n`);
}

export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error)
    return { error: err.name, errorMessage: err.message, ...(err.cause ? { cause: String(err.cause) } : {}) };
  return { error: String(err) };
}
