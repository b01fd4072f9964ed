import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, 'migrations'));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: path.join(root, 'wrangler.toml') },
        miniflare: {
          bindings: { TEST_MIGRATIONS: migrations, JWT_SECRET: 'workerd-test-secret', INGEST_TOKEN: 'workerd-test-ingest', LOG_LEVEL: 'warn' },
        },
      }),
    ],
    test: {
      name: 'workerd',
      root: path.join(root, 'test/workerd'),
      include: ['**/*.test.ts'],
      setupFiles: ['./apply-migrations.ts'],
      testTimeout: 30_000,
    },
  };
});
