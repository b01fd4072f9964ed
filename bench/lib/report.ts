/** Aggregation of rounds into the published result, and the RESULTS.md table. Pure. */
import { median, ratios, round2, round3, spread, type Spread } from './stats.ts';

export type Round = Record<string, number | string | boolean | null>;
export type Headline = { key: string; better: 'lower' | 'higher' };

export type SystemSummary = Record<string, unknown> & {
  rounds: Round[];
  spread: Record<string, Spread>;
  passed: boolean;
  failedRounds: number;
  errors: string[];
};

/** Medians of every numeric field over the rounds that did not crash, plus spreads of the headline figures. */
export function summarizeSystem(rounds: Round[], headline: Headline[], passed: (r: Round) => boolean): SystemSummary {
  const ok = rounds.filter((r) => typeof r.error !== 'string');
  const out: SystemSummary = {
    rounds,
    spread: {},
    passed: false,
    failedRounds: 0,
    errors: rounds.flatMap((r) => (typeof r.error === 'string' ? [r.error] : [])),
  };
  const keys = new Set(ok.flatMap((r) => Object.keys(r)));
  for (const k of keys) {
    const values = ok.map((r) => r[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length > 0) out[k] = round3(median(values));
    else if (ok.length > 0 && typeof ok[0]![k] === 'boolean') out[k] = ok.some((r) => r[k] === true);
  }
  // loss and duplication are summed, not medianed: one bad round is a bad result
  for (const k of ['lost', 'duplicated', 'unexpected', 'outOfOrder'])
    if (ok.some((r) => typeof r[k] === 'number')) out[k] = ok.reduce((a, r) => a + (Number(r[k]) || 0), 0);
  for (const h of headline) {
    const values = ok.map((r) => r[h.key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length > 0) out.spread[h.key] = spread(values);
  }
  out.failedRounds = rounds.length - ok.length + ok.filter((r) => r.failed === true).length;
  out.passed = ok.length > 0 && ok.length === rounds.length && ok.every(passed);
  return out;
}

export type Ratio = { value: number; min: number; max: number; better: 'lower' | 'higher' };

/** Quaycast / peer for each headline figure: ratio of medians, and min–max of per-round ratios. */
export function compare(q: Round[], p: Round[], headline: Headline[]): Record<string, Ratio> {
  const out: Record<string, Ratio> = {};
  for (const h of headline) {
    const num = (rs: Round[]) =>
      rs.map((r) => (typeof r[h.key] === 'number' && typeof r.error !== 'string' ? (r[h.key] as number) : NaN));
    const qa = num(q);
    const pa = num(p);
    const per = ratios(qa, pa);
    const mq = median(qa.filter(Number.isFinite));
    const mp = median(pa.filter(Number.isFinite));
    if (!Number.isFinite(mq) || !Number.isFinite(mp) || mp === 0 || per.length === 0) continue;
    out[h.key] = {
      value: round2(mq / mp),
      min: round2(Math.min(...per)),
      max: round2(Math.max(...per)),
      better: h.better,
    };
  }
  return out;
}

const fmt = (v: unknown, unit = '') =>
  typeof v === 'number' && Number.isFinite(v)
    ? `${v.toLocaleString('en-US', { maximumFractionDigits: 2 })}${unit}`
    : '—';
const range = (s: Spread | undefined, unit = '') =>
  s && s.min !== s.max ? ` (${fmt(s.min)}–${fmt(s.max)}${unit})` : '';

/** One cell: the headline figures of a system with their spread, and its verdict. */
export function cell(s: SystemSummary | undefined, headline: Headline[]): string {
  if (!s) return 'not run';
  if (s.rounds.every((r) => typeof r.error === 'string')) return `error: ${s.errors[0]?.split('\n')[0] ?? '?'}`;
  const parts = headline.map((h) =>
    `${LABEL[h.key] ?? h.key} ${fmt(s[h.key])}${UNIT[h.key] ?? ''}${range(s.spread[h.key])}`.trim(),
  );
  if (typeof s.lost === 'number') parts.push(`lost ${s.lost}, dup ${s.duplicated ?? 0}`);
  return `${parts.join('; ')} — ${s.passed ? '**pass**' : '**fail**'}`;
}

const LABEL: Record<string, string> = {
  p50Ms: 'p50',
  p99Ms: 'p99',
  eventsPerSec: '',
  ms: '',
  bytesPerSocket: '',
  cpuSecondsPer1kDeliveries: 'CPU s/1k deliveries',
  cpuSecondsPer1kEvents: 'CPU s/1k events',
};
const RATIO_LABEL: Record<string, string> = { eventsPerSec: 'events/s', ms: 'time', bytesPerSocket: 'bytes/socket' };
const UNIT: Record<string, string> = {
  p50Ms: ' ms',
  p99Ms: ' ms',
  eventsPerSec: ' ev/s',
  ms: ' ms',
  bytesPerSocket: ' B/socket',
};

export function ratioCell(r: Record<string, Ratio> | undefined): string {
  if (!r || Object.keys(r).length === 0) return '—';
  return Object.entries(r)
    .map(
      ([k, v]) =>
        `${RATIO_LABEL[k] ?? LABEL[k] ?? k} ×${fmt(v.value)}${v.min !== v.max ? ` (${fmt(v.min)}–${fmt(v.max)})` : ''}`,
    )
    .join('; ');
}
