/**
 * Browser tests of Seatkeeper. They run Debian's Chromium (Playwright cannot download browsers here)
 * against the release build, started fresh on an empty SQLite database with `--demo`.
 *
 * Environment:
 * - E2E_PORT: port of the server under test (default 3457).
 * - SEATKEEPER_BIN: binary to test (default ../target/release/seatkeeper).
 */
import { defineConfig } from '@playwright/test';

import { BIN as bin, DATA_DIR as dataDir, PORT as port } from './tests/support/env';

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  // One retry on CI: a test that passes only on its retry is reported as flaky, with its first
  // failure and its trace printed, instead of failing the whole run (see README: Development notes).
  retries: process.env.CI ? 1 : 0,
  workers: 2,
  reporter: process.env.CI ? 'line' : 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command:
      `rm -rf ${dataDir} && mkdir -p ${dataDir} && ` +
      // No rate limit: two workers drive the public pages from one address far faster than a person.
      `${bin} serve --demo --test-clock --rate-limit 0 --bind 127.0.0.1:${port} ` +
      `--database-url sqlite://${dataDir}/e2e.db --site-root ../target/site`,
    url: `http://127.0.0.1:${port}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
