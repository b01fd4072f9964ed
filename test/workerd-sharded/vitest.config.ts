import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The Worker in workerd with sharded rooms (ROOM_SHARDS = 3): the same wrangler.toml as the
 * `workerd` project, its own D1 and Durable Objects. Reuses test/workerd's helpers.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, 'migrations'));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: path.join(root, 'wrangler.toml') },
        miniflare: {
          bindings: { TEST_MIGRATIONS: migrations, JWT_SECRET: 'workerd-test-secret', INGEST_TOKEN: 'workerd-test-ingest', LOG_LEVEL: 'warn', ROOM_SHARDS: '3' },
        },
      }),
    ],
    test: {
      name: 'workerd-sharded',
      root: path.join(root, 'test/workerd-sharded'),
      include: ['**/*.test.ts'],
      setupFiles: ['../workerd/apply-migrations.ts'],
      testTimeout: 30_000,
    },
  };
});
