import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Tests against the real broker (scripts/kafka.sh), the Worker in workerd (Miniflare) and the bridge. */
export default defineConfig({
  test: {
    name: 'integration',
    root: path.join(root, 'test/integration'),
    include: ['**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    globalSetup: ['./global-setup.ts'],
  },
});
