/**
 * A real D1 write failure, scoped to the rows of one test: a trigger that aborts any insert (or
 * update) of an `events` row whose column holds a word only that test uses. The room's D1
 * transaction throws exactly as it would for a failing database, and no other test's rows match.
 */
import { env } from 'cloudflare:test';

/** Makes D1 refuse `events` rows whose `column` equals `marker` until `heal()` is called. */
export async function failEventWrites(
  marker: string,
  column: 'event_type' | 'assigned_to' = 'event_type',
): Promise<{ heal: () => Promise<void> }> {
  if (!/^\w+$/.test(marker)) throw new Error(`marker must be a word: ${marker}`);
  const name = `qc_fault_${marker}`;
  await env.DB.batch([
    env.DB.prepare(
      `CREATE TRIGGER ${name}_insert BEFORE INSERT ON events WHEN NEW.${column} = '${marker}' BEGIN SELECT RAISE(ABORT, 'injected D1 fault'); END`,
    ),
    env.DB.prepare(
      `CREATE TRIGGER ${name}_update BEFORE UPDATE ON events WHEN NEW.${column} = '${marker}' BEGIN SELECT RAISE(ABORT, 'injected D1 fault'); END`,
    ),
  ]);
  return {
    heal: async () => {
      await env.DB.batch([
        env.DB.prepare(`DROP TRIGGER IF EXISTS ${name}_insert`),
        env.DB.prepare(`DROP TRIGGER IF EXISTS ${name}_update`),
      ]);
    },
  };
}
