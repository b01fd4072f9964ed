import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, connect, postEvents, uid, word } from './helpers.ts';

/**
 * A small, strict RFC 4180 reader (quoted fields may hold commas, quotes and newlines; rows end
 * only with CRLF). Deliberately not the dashboard's lenient web/src/lib/csv.ts: this one checks
 * the server writes the standard exactly.
 */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += ch;
  }
  return rows;
}

describe('api > GET /api/events/export.csv', () => {
  it('streams RFC 4180 CSV with a header row, quoting and formula neutralising', async () => {
    const tag = word('csv');
    const id = uid(tag);
    await postEvents({
      id,
      eventType: 'Note',
      title: `${tag} a, "quoted" title`,
      description: 'line one\r\nline two\nthree',
      source: '=cmd|/C calc',
      assignedTo: '@admin',
      portId: '+44',
      category: 'Port',
    });
    const res = await api(`/api/events/export.csv?q=${tag}`, { role: 'viewer' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="quaycast-events-.*\.csv"$/);
    const text = await res.text();
    expect(text).toContain('"line one\r\nline two\nthree"');
    expect(text).toContain(`"${tag} a, ""quoted"" title"`);
    const [header, ...rows] = parseCsv(text);
    expect(header!.slice(0, 4)).toEqual(['id', 'seq', 'category', 'severity']);
    expect(rows).toHaveLength(1);
    const rec = Object.fromEntries(header!.map((h, i) => [h, rows[0]![i]]));
    expect(rec).toMatchObject({
      id,
      category: 'Port',
      title: `${tag} a, "quoted" title`,
      description: 'line one\r\nline two\nthree',
      source: "'=cmd|/C calc",
      assignedTo: "'@admin",
      portId: "'+44",
      origin: 'api',
      read: 'false',
    });
  });

  it('pages through every matching row (more than one D1 page) and applies the filters', async () => {
    const tag = word('bigcsv');
    const events = Array.from({ length: 1100 }, (_, i) => ({
      id: `${tag}-${i}`,
      eventType: 'Bulk',
      title: `${tag} ${i}`,
      severity: i % 2 ? 'Low' : 'High',
      category: 'System',
    }));
    await postEvents(events.slice(0, 500));
    await postEvents(events.slice(500, 1000));
    await postEvents(events.slice(1000));
    const res = await api(`/api/events/export.csv?q=${tag}`, { role: 'viewer' });
    const rows = parseCsv(await res.text());
    expect(rows).toHaveLength(1101);
    expect(new Set(rows.slice(1).map((r) => r[0])).size).toBe(1100);
    const high = parseCsv(
      await (await api(`/api/events/export.csv?q=${tag}&severity=High`, { role: 'viewer' })).text(),
    );
    expect(high).toHaveLength(551);
  });

  it('needs a token and valid filters', async () => {
    expect((await api('/api/events/export.csv')).status).toBe(401);
    expect((await api('/api/events/export.csv?severity=Loud', { role: 'viewer' })).status).toBe(400);
  });
});

describe('api > GET /api/stats', () => {
  it('counts totals, categories, severities, statuses, today, critical, unresolved, per minute and room connections', async () => {
    const client = await connect('Ship');
    await client.waitFor((m) => m.type === 'hello');
    const before = (await (await api('/api/stats', { role: 'viewer' })).json()) as Record<string, any>;
    const ids = [uid('st'), uid('st'), uid('st')];
    await postEvents([
      { id: ids[0], eventType: 'T', title: 't', shipId: 'S', severity: 'Critical', requiresAction: true },
      { id: ids[1], eventType: 'T', title: 't', shipId: 'S', severity: 'Critical', status: 'Resolved' },
      { id: ids[2], eventType: 'T', title: 't', shipId: 'S', severity: 'Low' },
    ]);
    const after = (await (await api('/api/stats', { role: 'viewer' })).json()) as Record<string, any>;
    // Other test files write concurrently in the same D1: assert at-least deltas.
    expect(after.total - before.total).toBeGreaterThanOrEqual(3);
    expect(after.byCategory.Ship - before.byCategory.Ship).toBeGreaterThanOrEqual(3);
    expect(after.bySeverity.Critical - before.bySeverity.Critical).toBeGreaterThanOrEqual(2);
    expect(after.byStatus.Resolved - before.byStatus.Resolved).toBeGreaterThanOrEqual(1);
    expect(after.today - before.today).toBeGreaterThanOrEqual(3);
    expect(after.critical - before.critical).toBeGreaterThanOrEqual(1);
    expect(after.unresolved - before.unresolved).toBeGreaterThanOrEqual(2);
    expect(after.requiresAction - before.requiresAction).toBeGreaterThanOrEqual(1);
    expect(after.perMinute).toHaveLength(60);
    expect(after.perMinute.at(-1) + after.perMinute.at(-2)).toBeGreaterThanOrEqual(3);
    expect(Object.keys(after.rooms).sort()).toEqual(['Berth', 'Container', 'Port', 'Ship', 'System']);
    expect(after.rooms.Ship.connections).toBeGreaterThanOrEqual(1);
    expect(after.total).toBe(Object.values(after.byCategory as Record<string, number>).reduce((a, b) => a + b, 0));
    client.ws.close();
  });

  it('keeps the counters exact through workflow changes and deletes', async () => {
    const id = uid('cnt');
    await postEvents({
      id,
      eventType: 'T',
      title: 't',
      category: 'System',
      severity: 'Critical',
      requiresAction: true,
    });
    await api(`/api/events/${id}`, {
      method: 'PATCH',
      role: 'operator',
      body: JSON.stringify({ action: 'resolve', resolution: 'ok' }),
    });
    await api(`/api/events/${id}`, { method: 'DELETE', role: 'admin' });
    // One statement is one snapshot: the counters must equal a GROUP BY of the live rows, group by group.
    const diff = await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM (
         SELECT category, severity, status, requires_action, n FROM event_counts WHERE n <> 0
         EXCEPT
         SELECT category, severity, status, requires_action, COUNT(*) FROM events WHERE deleted = 0 GROUP BY 1, 2, 3, 4)`,
    ).first<{ n: number }>();
    expect(diff?.n).toBe(0);
    const totals = await env.DB.prepare(
      'SELECT (SELECT SUM(n) FROM event_counts) AS counted, (SELECT COUNT(*) FROM events WHERE deleted = 0) AS actual',
    ).first<{ counted: number; actual: number }>();
    expect(totals?.counted).toBe(totals?.actual);
    expect((await api('/api/stats')).status).toBe(401);
  });
});
