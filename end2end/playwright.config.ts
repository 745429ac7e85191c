import { defineConfig } from '@playwright/test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The browser tests run the release build (`cargo leptos build --release`)
// on its own port with a fresh data directory, in Debian's Chromium.
const port = Number(process.env.HUDDLE_E2E_PORT ?? 3417);
const root = path.resolve(__dirname, '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huddle-e2e-'));

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // A `test.only` left in a file would quietly skip every other test (CI
  // here is `.ci/run`, which need not set `CI`): refused everywhere; use
  // `--grep` to run one test.
  forbidOnly: true,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
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
    command: path.join(root, 'target', 'release', 'huddle'),
    cwd: root,
    env: {
      HUDDLE_ADDR: `127.0.0.1:${port}`,
      HUDDLE_DATA_DIR: dataDir,
      // Another site (docs/performance.md measures a first load with and
      // without the precompressed, hashed files).
      HUDDLE_SITE_ROOT: process.env.HUDDLE_E2E_SITE_ROOT ?? path.join(root, 'target', 'site'),
      // The specs start servers of their own beside this one: none takes
      // the metrics port.
      HUDDLE_METRICS_ADDR: 'off',
      // Every spec signs its people up from 127.0.0.1: the default budget
      // of an address (10/h, a burst of 30) is for the open internet, and
      // the suite needs more than 30 accounts.
      HUDDLE_REGISTER_LIMIT: '1000/h:1000',
      RUST_LOG: 'huddle=info,warn',
    },
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
