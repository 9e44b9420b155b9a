import { defineConfig } from 'vitest/config'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'

export default defineConfig({
  test: {
    projects: [
      // groupOrder runs the projects one after another: they differ in workers, and 2 cores are enough for one at a time.
      { test: { name: 'core', environment: 'node', include: ['src/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      {
        test: {
          name: 'broker',
          environment: 'node',
          include: ['broker/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/**/*.e2e.test.ts'],
          // Real brokers, child processes and sockets: give them time, and keep files apart on 2 cores.
          testTimeout: 30_000,
          hookTimeout: 30_000,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          // End to end: whole home nodes, the CLI as child processes, Debian's mosquitto, wrangler dev.
          // `vitest run --project e2e` runs them alone; last in `npm test`, after the fast projects.
          name: 'e2e',
          environment: 'node',
          include: ['test/**/*.e2e.test.ts'],
          // The CLI runs as installed, from its bundle: built once, from the sources as they are now.
          globalSetup: ['test/fixtures/bundle-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 3 },
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                POSTBRIDGE_ADMIN_TOKEN: 'worker-test-admin-token-0123456789',
                POSTBRIDGE_EDGE_SECRET: 'worker-test-edge-secret-0123456789',
                // Small bounds so the edge's queue tests reach them quickly.
                POSTBRIDGE_EDGE_QUEUE_MAX: '8',
                POSTBRIDGE_EDGE_ACK_TIMEOUT: '1s',
                // What an `env:POSTBRIDGE_SECRET_EDGE_NTFY` notifier secret reads at the edge.
                POSTBRIDGE_SECRET_EDGE_NTFY: 'tk_edge_test_token',
                // The link-quiet alert after 1 s, to the notifier the edge-notify tests create.
                POSTBRIDGE_EDGE_LINK_QUIET: '1s',
                POSTBRIDGE_EDGE_LINK_NOTIFY: 'phone',
              },
            },
          }),
        ],
        test: {
          name: 'worker',
          sequence: { groupOrder: 2 },
          include: ['worker/**/*.test.ts'],
          // without this, importing mqtt-packet under vitest fails with
          // "Cannot redefine property: Symbol(nodejs.util.promisify.custom)"
          // (mqtt/lib/client too: the BROKER_URL mode's client requires mqtt-packet the same way)
          deps: { optimizer: { ssr: { enabled: true, include: ['mqtt-packet', 'mqtt/lib/client'] } } },
        },
      },
    ],
  },
})
