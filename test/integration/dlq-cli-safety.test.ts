/**
 * The DLQ CLI on a real broker, fed hostile dead letters: a forged `x-original-topic` is refused
 * and nothing is written where it points; `--dry-run` writes nothing; a DLQ of a topic the bridge
 * does not consume is not replayed; ANSI escapes and control characters in keys, values and
 * headers come out escaped; and a DLQ of ~96 MiB is listed with `--limit` at the memory cost of a
 * one-record DLQ (records are streamed, not read whole).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProducer } from '../../bridge/src/kafka.ts';
import { BROKER, createTopics, highWatermarks, kafka, produce, unique } from '../support/kafka.ts';
import { kcatRead } from '../support/kcat.ts';
import { ROOT } from '../support/paths.ts';

type Run = { code: number | null; stdout: string; stderr: string; maxRssKiB: number };

/** Prints the process's peak resident memory on exit (KiB), so a test can read what a run cost. */
const REPORT_MAX_RSS =
  'data:text/javascript,process.on("exit",()=>process.stderr.write("maxrss_kib="+process.resourceUsage().maxRSS+"\\n"))';

/** Runs `npm run dlq`'s script with its own environment and Node flags; never throws on a non-zero exit. */
function dlq(args: string[], env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...nodeFlags, '--import', REPORT_MAX_RSS, path.join(ROOT, 'bridge/src/dlq-cli.ts'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, KAFKA_BROKERS: BROKER, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const rss = /maxrss_kib=(\d+)/.exec(stderr);
      resolve({
        code,
        stdout,
        stderr: stderr.replace(/maxrss_kib=\d+\n/, ''),
        maxRssKiB: rss ? Number(rss[1]) : Number.NaN,
      });
    });
  });
}

const created: string[] = [];
/** `n` fresh topics (each with its `.dlq`), deleted after the file; destructure only the first `n`. */
async function topics(n: 1 | 2 | 3, partitions = 1): Promise<[string, string, string]> {
  const names = Array.from({ length: n }, (_, i) => unique(`it-dlqcli${i}`));
  await createTopics(names, partitions);
  created.push(...names.flatMap((t) => [t, `${t}.dlq`]));
  return names as [string, string, string];
}

afterAll(async () => {
  const admin = kafka().admin();
  await admin.connect();
  await admin.deleteTopics({ topics: created }).catch(() => undefined); // frees the ~96 MiB of the streaming test
  await admin.disconnect();
});

const letter = (originalTopic: string | undefined, key: string, extra: Record<string, string> = {}) => ({
  key,
  value: JSON.stringify({ id: key, eventType: 'GateIn' }),
  partition: 0,
  headers: {
    'x-error': 'title: Required',
    ...(originalTopic === undefined ? {} : { 'x-original-topic': originalTopic }),
    'x-original-partition': '0',
    'x-original-offset': '7',
    ...extra,
  },
});

/** Every character that can act on a terminal: C0 (but the line feeds between lines), DEL, C1, bidi controls. */
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('dlq CLI > replay refuses what a dead letter cannot claim', () => {
  it('refuses dead letters naming another topic (consumed or not) or none, replays only the genuine one, and exits 3', async () => {
    const [home, other, outsider] = await topics(3);
    await produce(`${home}.dlq`, [
      letter(home, 'genuine', { trace: 't-1' }),
      letter(other, 'forged-consumed'),
      letter(outsider, 'forged-outsider'),
      letter(undefined, 'no-header'),
      letter(`${home}.dlq`, 'loop'),
    ]);
    const before = {
      home: await highWatermarks(home),
      other: await highWatermarks(other),
      outsider: await highWatermarks(outsider),
      dlq: await highWatermarks(`${home}.dlq`),
    };

    const run = await dlq(['replay', home, '--all'], { KAFKA_TOPICS: `${home},${other}` });
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(`replayed 0:0 → ${home}\n`);
    expect(run.stdout).toContain(`${home}.dlq: replayed 1, refused 4\n`);
    expect(run.stderr).toContain(
      `dlq: refused 0:1: its x-original-topic "${other}" is not ${home}, the topic of ${home}.dlq; not replayed`,
    );
    expect(run.stderr).toContain(`dlq: refused 0:2: its x-original-topic "${outsider}" is not ${home}`);
    expect(run.stderr).toContain('dlq: refused 0:3: it has no x-original-topic header; not replayed');
    expect(run.stderr).toContain(`dlq: refused 0:4: its x-original-topic "${home}.dlq" is not ${home}`);

    // Nothing landed where the forged letters pointed; the genuine one is back on its topic, marked.
    expect(await highWatermarks(other)).toEqual(before.other);
    expect(await highWatermarks(outsider)).toEqual(before.outsider);
    expect(await highWatermarks(`${home}.dlq`)).toEqual(before.dlq);
    const back = await kcatRead(home);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({
      key: 'genuine',
      headers: { trace: 't-1', 'x-quaycast-replay-of': `${home}.dlq:0:0` },
    });
    expect(back[0]!.headers['x-original-topic']).toBeUndefined();
  });

  it('--dry-run shows what would be replayed and what is refused, and writes nothing anywhere', async () => {
    const [home, other] = await topics(2);
    await produce(`${home}.dlq`, [letter(home, 'a'), letter(other, 'forged'), letter(home, 'b')]);
    const before = [await highWatermarks(home), await highWatermarks(other), await highWatermarks(`${home}.dlq`)];
    const run = await dlq(['replay', home, '--all', '--dry-run'], { KAFKA_TOPICS: `${home},${other}` });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe(
      `would replay 0:0 → ${home}\nwould replay 0:2 → ${home}\n${home}.dlq: would replay 2, refused 1 (dry run: nothing written)\n`,
    );
    expect(run.stderr).toContain(`dlq: refused 0:1: its x-original-topic "${other}" is not ${home}`);
    expect([await highWatermarks(home), await highWatermarks(other), await highWatermarks(`${home}.dlq`)]).toEqual(
      before,
    );

    const one = await dlq(['replay', home, '--offsets', '2', '--dry-run'], { KAFKA_TOPICS: home });
    expect(one.code).toBe(0);
    expect(one.stdout).toBe(`would replay 0:2 → ${home}\n${home}.dlq: would replay 1 (dry run: nothing written)\n`);
    expect(await highWatermarks(home)).toEqual(before[0]);
  });

  it('replays nothing from the DLQ of a topic the bridge does not consume (KAFKA_TOPICS), even to that topic', async () => {
    const [home] = await topics(1);
    await produce(`${home}.dlq`, [letter(home, 'a')]);
    const run = await dlq(['replay', home, '--all']); // KAFKA_TOPICS defaults to port-events,container-events
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `dlq: ${home} is not a topic the bridge consumes (KAFKA_TOPICS=port-events,container-events): nothing replayed`,
    );
    expect(await highWatermarks(home)).toEqual(['0:0']);
  });
});

describe('dlq CLI > printing', () => {
  it('escapes ANSI sequences, control and bidi characters in keys, values, header names and values, and errors', async () => {
    const [home] = await topics(1);
    const hostile = '\u001b[2J\u001b]0;owned\u0007\u009b31m\r\u202eevil';
    const shown = '\\x1b[2J\\x1b]0;owned\\x07\\u009b31m\\x0d\\u202eevil';
    await produce(`${home}.dlq`, [
      {
        key: `k${hostile}`,
        value: `v${hostile}`,
        partition: 0,
        headers: { 'x-error': `e${hostile}`, 'x-original-topic': home, [`h${hostile}`]: `hv${hostile}` },
      },
    ]);
    // A value that is not UTF-8 at all, with a raw 8-bit CSI byte in it.
    const producer = createProducer(kafka());
    await producer.connect();
    await producer.send({
      topic: `${home}.dlq`,
      acks: -1,
      messages: [
        {
          key: null,
          value: Buffer.from([0x9b, 0x32, 0x4a, 0xff, 0x41]),
          partition: 0,
          headers: { 'x-error': 'value is not valid UTF-8', 'x-original-topic': home },
        },
      ],
    });
    await producer.disconnect();

    const text = await dlq(['list', home]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(text.stdout).toContain(`e${shown}`);
    expect(text.stdout).toContain(`key=${JSON.stringify(`k${shown}`)} value=v${shown}`);
    expect(text.stdout).toContain(`headers: h${shown}=hv${shown}`);
    expect(text.stdout).toContain('value=\\x9b2J\\xffA');

    const json = await dlq(['list', home, '--json']);
    expect(json.code).toBe(0);
    const raw = json.stdout.replace(/\\u00[0-9a-f]{2}/g, ''); // what a terminal would show once JSON's own escapes are read back
    expect(raw).not.toMatch(TERMINAL_CONTROL);
    const [first] = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; value: string; error: string; headers: Record<string, string> });
    expect(first).toMatchObject({
      key: `k${shown}`,
      value: `v${shown}`,
      error: `e${shown}`,
      headers: { [`h${shown}`]: `hv${shown}` },
    });
    for (const v of [
      first!.key,
      first!.value,
      first!.error,
      ...Object.keys(first!.headers),
      ...Object.values(first!.headers),
    ])
      expect(v).not.toMatch(TERMINAL_CONTROL);
  });
});

describe('dlq CLI > streaming', () => {
  it('lists the head of a ~96 MiB DLQ with --limit at the peak memory of a one-record DLQ (+32 MiB at most), on a 48 MiB heap', async () => {
    const [big, small] = await topics(2, 2);
    const value = Buffer.alloc(1000 * 1024, 0x61); // one record per send: a batch stays under the broker's 1 MiB message limit
    const producer = createProducer(kafka());
    await producer.connect();
    try {
      for (let i = 0; i < 96; i++)
        await producer.send({
          topic: `${big}.dlq`,
          acks: -1,
          messages: [
            { key: `k${i}`, value, partition: i % 2, headers: { 'x-error': 'too big', 'x-original-topic': big } },
          ],
        });
      await producer.send({
        topic: `${small}.dlq`,
        acks: -1,
        messages: [{ key: 'k0', value: 'x', partition: 0, headers: { 'x-error': 'bad', 'x-original-topic': small } }],
      });
    } finally {
      await producer.disconnect();
    }
    const flags = ['--max-old-space-size=48'];
    const baseline = await dlq(['list', small, '--limit', '3'], {}, flags);
    expect(baseline.code).toBe(0);
    expect(baseline.stdout).toContain(`${small}.dlq: 1 dead letter\n`);

    const head = await dlq(['list', big, '--limit', '3'], {}, flags);
    expect(head.code).toBe(0);
    expect(head.stdout.split('\n')[0]).toBe(`${big}.dlq: 96 dead letters, showing 3`);
    expect(head.stdout.match(/^\d+:\d+ +← /gm)).toHaveLength(3);
    // Reading the whole DLQ into memory (as the CLI once did) cost ~100 MiB more than the baseline here.
    expect(head.maxRssKiB - baseline.maxRssKiB).toBeLessThan(32 * 1024);

    // All of it streams through too, on the same small heap.
    const all = await dlq(['list', big, '--limit', '1000', '--json'], {}, flags);
    expect(all.code).toBe(0);
    const ids = all.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(new Set(ids).size).toBe(96);
  });
});
