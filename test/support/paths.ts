/** The tests' paths and secrets; ROOT is the repository's (scripts/lib/paths.ts). */
import path from 'node:path';
import { ROOT } from '../../scripts/lib/paths.ts';

export { ROOT };
export const BUILD_DIR = path.join(ROOT, '.data/build/worker');
export const TEST_SECRETS = { JWT_SECRET: 'integration-test-secret', INGEST_TOKEN: 'integration-test-ingest' } as const;
