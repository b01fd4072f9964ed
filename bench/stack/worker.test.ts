import { describe, expect, it } from 'vitest';
import { migrationStatements } from './worker.ts';

describe('bench > migrationStatements', () => {
  it('splits statements, keeps trigger bodies whole and drops comment-only pieces', () => {
    const sql = `-- a table
CREATE TABLE t (a INTEGER); -- trailing
CREATE TRIGGER x AFTER INSERT ON t BEGIN
  INSERT INTO t (a) VALUES (1);
  INSERT INTO t (a) VALUES (2);
END;
-- only a comment
`;
    const out = migrationStatements(sql);
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(/^CREATE TRIGGER[\s\S]*VALUES \(2\);\s*END;?$/);
  });
});

describe('bench > metricValue', () => {
  it('sums a Prometheus series over its label sets', async () => {
    const { metricValue } = await import('./systems.ts');
    const text = 'x_total{a="1"} 2\nx_total{a="2"} 3\nx_total_other 9\ny_count 4\n';
    expect(metricValue(text, 'x_total')).toBe(5);
    expect(metricValue(text, 'y_count')).toBe(4);
  });
});
