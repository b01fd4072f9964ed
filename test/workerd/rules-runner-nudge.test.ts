/**
 * The rule runner's wake-up (worker/rules/runner.ts): a room's nudge that lands while a run is
 * under way (at any of its awaits, up to the run setting its own next alarm) is never lost. A
 * lost nudge left the room's rules up to BACKSTOP_MS (5 minutes) behind: found as a stalled
 * archive property test under load.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BACKSTOP_MS, RUN_DELAY_MS } from '../../worker/rules/runner.ts';
import { ingest, record, uid } from './helpers.ts';

describe('rules > runner > nudges', () => {
  it('a nudge during a run, at any point of it, leaves the alarm at most RUN_DELAY_MS after the run', async () => {
    const stub = env.RULE_RUNNER.get(env.RULE_RUNNER.idFromName('Berth'));
    // Traffic in the room, so a run has pages to read and its cursor exists.
    let offset = 0;
    const post = async (n: number) => {
      const res = await ingest(
        Array.from({ length: n }, () =>
          record('port-events', ++offset, {
            id: uid('nudge'),
            category: 'Berth',
            eventType: 'NudgeProbe',
            title: 'probe',
            severity: 'Low',
            assignee: 'someone@example.com',
          }),
        ),
      );
      expect(res.status).toBe(200);
    };
    await post(3);
    const late: { ticks: number; alarmIn: number | null }[] = [];
    // The nudge lands after 0, 1, 2, … D1 round trips of the test's own: each of the run's awaits
    // (D1 reads, the cursor's transaction, the schedule's read, setting the alarm) is hit by some.
    for (let ticks = 0; ticks <= 30; ticks++) {
      await post(1); // a change for the run to read (the room's own nudge comes with it)
      const outcome = await runInDurableObject(stub, async (instance, state) => {
        await state.storage.deleteAlarm(); // this test runs the alarm itself
        const run = instance.alarm();
        for (let i = 0; i < ticks; i++) await env.DB.prepare('SELECT 1').first();
        await instance.nudge('Berth');
        await run;
        const endedAt = Date.now();
        const alarm = await state.storage.getAlarm();
        await state.storage.deleteAlarm();
        return { endedAt, alarm };
      });
      // A nudge during the run is served by the next run, RUN_DELAY_MS after this one ends.
      const alarmIn = outcome.alarm === null ? null : outcome.alarm - outcome.endedAt;
      if (alarmIn === null || alarmIn > RUN_DELAY_MS) late.push({ ticks, alarmIn });
    }
    // Every nudge kept: no run ended with its alarm at the backstop (or none) after a nudge.
    expect(late, `backstop is ${BACKSTOP_MS} ms`).toEqual([]);
  });
});
