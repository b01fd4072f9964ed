import { defineConfig } from 'vitest/config';

/**
 * Test projects: `unit` (pure logic beside its module, Node), `workerd` (the Worker in real
 * workerd), `workerd-sharded` (the same with ROOM_SHARDS = 3), `web` (Solid components in jsdom)
 * and `integration` (real Kafka, Worker, bridge,
 * Chromium). scripts/test.sh runs them in that order.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'protocol/**/*.test.ts',
            'bridge/**/*.test.ts',
            'worker/**/*.test.ts',
            'scripts/**/*.test.ts',
            'bench/**/*.test.ts',
            'deploy/**/*.test.ts',
            'test/architecture.test.ts',
          ],
          environment: 'node',
        },
      },
      './test/workerd/vitest.config.ts',
      './test/workerd-sharded/vitest.config.ts',
      './web/vitest.config.ts',
      './test/integration/vitest.config.ts',
    ],
  },
});
