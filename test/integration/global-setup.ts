/** Once per run: the real Kafka broker is up (started if needed) and the Worker bundle is fresh. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../support/paths.ts';
import { buildWorker } from '../support/worker.ts';

export default function setup(): void {
  execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'start'], { stdio: 'inherit' });
  buildWorker();
}
