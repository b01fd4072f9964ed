/**
 * kcat (librdkafka), an independent Kafka client: producing compressed batches and reading
 * topics with their headers, against any broker.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { BROKER } from './kafka.ts';

const exec = promisify(execFile);

export type KcatRecord = {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
};

/**
 * Produces `lines` (key TAB value; an empty value is a tombstone) in one kcat run, with the codec
 * and headers given. kcat exits only when the broker acknowledged every record.
 */
export async function kcatProduce(opts: {
  brokers: string;
  topic: string;
  partition?: number;
  codec?: 'gzip' | 'snappy' | 'lz4' | 'zstd';
  headers?: Record<string, string>;
  records: { key: string; value: string | null }[];
}): Promise<void> {
  const args = ['-b', opts.brokers, '-P', '-t', opts.topic, '-K', '\t', '-Z', '-X', 'acks=all'];
  if (opts.partition !== undefined) args.push('-p', String(opts.partition));
  if (opts.codec) args.push('-z', opts.codec);
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}=${v}`);
  const input = opts.records.map((r) => `${r.key}\t${r.value ?? ''}\n`).join('');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${stderr}`))));
    child.stdin.end(input);
  });
}

/** Reads a topic from the beginning to its current end with kcat -J (headers included), partition by partition in offset order. */
export async function kcatRead(topic: string, brokers = BROKER): Promise<KcatRecord[]> {
  const { stdout } = await exec('kcat', ['-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-J'], {
    timeout: 20_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map(
      (l) =>
        JSON.parse(l) as {
          topic: string;
          partition: number;
          offset: number;
          key: string | null;
          payload: string | null;
          headers?: string[];
        },
    )
    .map((m) => {
      const headers: Record<string, string> = {};
      const h = m.headers ?? [];
      for (let i = 0; i + 1 < h.length; i += 2) headers[h[i]!] = h[i + 1]!;
      return { topic: m.topic, partition: m.partition, offset: m.offset, key: m.key, value: m.payload, headers };
    })
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** The dead letters of `topic`: its `.dlq`, read back with kcat. */
export function deadLetters(topic: string, brokers = BROKER): Promise<KcatRecord[]> {
  return kcatRead(`${topic}.dlq`, brokers);
}
