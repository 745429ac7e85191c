// The connection drops (the server stops) and comes back (it restarts on
// the same address): the page says so, then carries on by itself.
import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const port = Number(process.env.HUDDLE_E2E_RECONNECT_PORT ?? 3418);
const base = `http://127.0.0.1:${port}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huddle-e2e-reconnect-'));

async function startServer(): Promise<ChildProcess> {
  const child = spawn(path.join(root, 'target', 'release', 'huddle'), [], {
    cwd: root,
    env: {
      ...process.env,
      HUDDLE_ADDR: `127.0.0.1:${port}`,
      HUDDLE_DATA_DIR: dataDir,
      HUDDLE_SITE_ROOT: path.join(root, 'target', 'site'),
      RUST_LOG: 'warn',
    },
    stdio: 'inherit',
  });
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${base}/`);
      if (r.ok) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not start');
}

async function stopServer(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

test('a dropped connection shows a banner, then rejoins and sends what was typed', async ({ browser }) => {
  let server = await startServer();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(base);
    await expect(page.getByTestId('connection-banner')).toHaveCount(0);
    await page.getByTestId('tab-guest').click();
    await page.getByTestId('username').fill('Robin');
    await page.getByTestId('join').click();
    await expect(page.getByTestId('me')).toHaveText('Robin');
    await page.getByTestId('room-input').fill('ops');
    await page.getByTestId('join-room').click();
    await expect(page.locator('.room-header h2')).toHaveText('#ops');

    await stopServer(server);
    await expect(page.getByTestId('connection-banner')).toContainText('Reconnecting');

    // Typed while offline: queued, sent after the page has rejoined.
    await page.getByTestId('composer').fill('written while offline');
    await page.getByTestId('composer').press('Enter');

    server = await startServer();
    await expect(page.getByTestId('connection-banner')).toHaveCount(0, { timeout: 20_000 });
    // The server knows Robin again, in #ops too.
    await expect(page.getByTestId('user-list')).toContainText('Robin');
    await expect(page.getByTestId('messages').getByTestId('message').last()).toContainText(
      'written while offline',
    );
    await expect(page.getByTestId('composer-error')).toHaveCount(0);
  } finally {
    await context.close();
    await stopServer(server);
  }
});
