import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The built release server on a fresh temporary database, on a port of its own so a
// development server on 3000 can keep running.
const port = 3100;
const dataDir = mkdtempSync(join(tmpdir(), 'santhium-e2e-'));
const pscPort = 3190;
const pscRealm = '/auth/realms/esante-wallet';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          // Debian's Chromium: Playwright's own browser download is not reachable here.
          executablePath: '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--disable-quic',
          ],
        },
      },
    },
  ],
  webServer: [
    {
      // The fake Pro Santé Connect the server signs pharmacists in with.
      command: 'target/debug/examples/fake_psc',
      cwd: '..',
      url: `http://127.0.0.1:${pscPort}${pscRealm}/.well-known/wallet-openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: { FAKE_PSC_PORT: `${pscPort}` },
    },
    {
      command: 'target/release/santhium',
      cwd: '..',
      url: `http://127.0.0.1:${port}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        DATA_DIR: dataDir,
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        LEPTOS_SITE_ROOT: 'target/site',
        LEPTOS_ENV: 'PROD',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        RUST_LOG: 'warn',
        // Every test comes from 127.0.0.1: per-address limits would count them together.
        REGISTRATIONS_PER_ADDRESS_PER_DAY: '1000',
        REGISTRATIONS_PER_HOUR: '1000',
        CODE_LOOKUPS_PER_MINUTE: '1000',
        // Failed logins count per address too (each account keeps its own limit).
        LOGIN_MAX_FAILURES: '1000',
        RATE_LIMIT_PER_MINUTE: '10000',
        // Soon spent (the tests type wrong codes), so typed codes are opened after the
        // browser's proof of work, kept small to stay quick.
        CODE_FAILED_LOOKUPS_PER_HOUR: '3',
        CODE_PROOF_OF_WORK_BITS: '16',
        OIDC_ISSUER: `http://127.0.0.1:${pscPort}${pscRealm}`,
        OIDC_CLIENT_ID: 'santhium-test',
        OIDC_CLIENT_SECRET: 'fake-psc-client-secret',
      },
    },
  ],
});
