import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD_DIR = path.join(ROOT, '.data/build/worker');
export const TEST_SECRETS = { JWT_SECRET: 'integration-test-secret', INGEST_TOKEN: 'integration-test-ingest' } as const;
