/**
 * Reading the Prometheus text format (0.0.4) that the bridge serves: samples by name and labels,
 * whatever order the labels are written in. For benchmarks and tests that scrape a bridge.
 */

/** One sample line: the series name, its labels, its value. */
export type Sample = { name: string; labels: Record<string, string>; value: number };

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;
const unescapeLabel = (v: string) => v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** The sample lines of an exposition (comments and blank lines skipped; a line that does not parse too). */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    let read = 0;
    LABEL.lastIndex = 0;
    for (let l = LABEL.exec(body); l; l = LABEL.exec(body)) {
      labels[l[1]!] = unescapeLabel(l[2]!);
      read = LABEL.lastIndex;
    }
    if (read !== body.length) continue; // not label syntax: not a sample this reader can vouch for
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of `name` over the series whose labels include every one of `labels` (0 when none). */
export function sumSamples(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels);
  return parseSamples(text)
    .filter((s) => s.name === name && want.every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
