/**
 * A vitest project running the Worker inside workerd (@cloudflare/vitest-plugin) from
 * wrangler.toml, with migrations/ applied before the tests and test secrets bound. The `workerd`
 * and `workerd-sharded` projects differ only in name, folder and extra bindings.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function workerdProject(opts: { name: string; dir: string; bindings?: Record<string, string> }) {
  return defineConfig(async () => {
    const migrations = await readD1Migrations(path.join(root, 'migrations'));
    return {
      plugins: [
        cloudflareTest({
          wrangler: { configPath: path.join(root, 'wrangler.toml') },
          miniflare: {
            bindings: {
              TEST_MIGRATIONS: migrations,
              JWT_SECRET: 'workerd-test-secret',
              INGEST_TOKEN: 'workerd-test-ingest',
              LOG_LEVEL: 'warn',
              ...opts.bindings,
            },
          },
        }),
      ],
      test: {
        name: opts.name,
        root: path.join(root, opts.dir),
        include: ['**/*.test.ts'],
        setupFiles: [path.join(root, 'test/workerd/apply-migrations.ts')],
        testTimeout: 30_000,
      },
    };
  });
}
