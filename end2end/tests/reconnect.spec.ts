// The connection drops (the server stops) and comes back (it restarts on
// the same address): the page says so, then carries on by itself.
import { test, expect } from '@playwright/test';
import { Server } from './server';

const server = new Server(Number(process.env.HUDDLE_E2E_RECONNECT_PORT ?? 3418));
const base = server.base;

test('a dropped connection shows a banner, then rejoins and sends what was typed', async ({ browser }) => {
  await server.start();
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

    await server.stop();
    await expect(page.getByTestId('connection-banner')).toContainText('Reconnecting');

    // Typed while offline: queued, sent after the page has rejoined.
    await page.getByTestId('composer').fill('written while offline');
    await page.getByTestId('composer').press('Enter');

    await server.start();
    await expect(page.getByTestId('connection-banner')).toHaveCount(0, { timeout: 20_000 });
    // The server knows Robin again, in #ops too.
    await expect(page.getByTestId('user-list')).toContainText('Robin');
    await expect(page.getByTestId('messages').getByTestId('message').last()).toContainText(
      'written while offline',
    );
    await expect(page.getByTestId('composer-error')).toHaveCount(0);
  } finally {
    await context.close();
    await server.stop();
  }
});
