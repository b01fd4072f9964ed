/**
 * The broker stopped and restarted while events are being produced, on a second, private broker
 * (never the shared one on 9092): the bridge rides it out and D1 ends with every event once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventOf, storedIds, untilCommittedToEnd, untilStored } from '../support/fixture.ts';
import { unique } from '../support/kafka.ts';
import { kcatProduce } from '../support/kcat.ts';
import { usePipeline } from '../support/pipeline.ts';
import { privateBroker, type PrivateBroker } from '../support/private-broker.ts';
import { until } from '../support/wait.ts';

const pipe = usePipeline();
const topic = unique('it-brokerfault');
let privateKafka: PrivateBroker | undefined;
const broker = (command: 'start' | 'stop') => privateKafka![command]();

beforeAll(async () => {
  privateKafka = await privateBroker(topic); // kafka.sh creates the topic at start
  await privateKafka.start();
});

afterAll(async () => {
  await privateKafka?.remove();
});

describe('bridge > broker restart', () => {
  it('(d) rides out the broker stopping and restarting while events are produced; D1 holds each once', async () => {
    const brokers = privateKafka!.brokers;
    const groupId = unique('it-group');
    const run = unique('fbroker');
    const bridge = pipe.bridge({
      WORKER_URL: pipe.worker.url,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '10',
      OUTBOX_ENABLED: 'false',
    });
    await bridge.waitForLog(/"msg":"consuming"/);

    // An independent producer (kcat) sending 2 events every 250 ms; each run ends only when the
    // broker acknowledged its records, so it waits out the outage (librdkafka retries), at least once.
    const total = 120;
    let sent = 0;
    let failedSends = 0;
    const producing = (async () => {
      while (sent < total) {
        const ids = Array.from({ length: 2 }, (_, i) => `${run}-${sent + i}`);
        try {
          await kcatProduce({
            brokers,
            topic,
            records: ids.map((id) => ({ key: id, value: JSON.stringify(eventOf('Berth', id)) })),
          });
          sent += ids.length;
        } catch {
          failedSends++; // kcat gave up while the broker was away: send the same ids again
        }
        await sleep(250); // the producer's pace, not a wait for a condition
      }
    })();

    await until(
      'some events through before the stop',
      () => (storedIds(pipe.worker, `${run}-`).length >= 20 ? true : undefined),
      30_000,
    );
    // The outage begins with the stop itself (a broker shutting down closes its clients first), so
    // what the bridge says from then on counts, even while kafka.sh still waits for the JVM to exit.
    const logsAtStop = bridge.logs.length;
    const failedAtStop = failedSends;
    await broker('stop');
    // The outage is felt on both sides before the broker comes back: kcat failed, the bridge's client complained.
    await until(
      'the producer noticed the outage (a kcat run failed)',
      () => (failedSends > failedAtStop ? true : undefined),
      60_000,
    );
    const complained = (l: string) => /kafkajs|consumer crashed/i.test(l);
    await until(
      'the bridge noticed the outage (a kafkajs complaint or a consumer crash in its log)',
      () => (bridge.logs.slice(logsAtStop).some(complained) ? true : undefined),
      60_000,
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}; its log since the stop: ${bridge.logs.slice(logsAtStop).join('\n').slice(-4000)}`,
      );
    });
    const beforeRestart = sent;
    await broker('start');
    await producing;
    expect(beforeRestart).toBeLessThan(total); // the producer was still at work across the outage

    const ids = Array.from({ length: total }, (_, i) => `${run}-${i}`);
    await untilStored(pipe.worker, `${run}-`, ids, 90_000);
    await untilCommittedToEnd(groupId, topic, 60_000, [brokers]);
    expect(storedIds(pipe.worker, `${run}-`)).toEqual([...ids].sort()); // and nothing beyond them arrived
    expect(bridge.child.exitCode).toBeNull(); // it stayed up through the outage
  });
});
