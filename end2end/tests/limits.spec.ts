// A person who sends faster than the server's rate limit sees why, gets
// the text back, and the send button waits until the server would accept.
import { test, expect } from '@playwright/test';
import * as path from 'path';
import { Server } from './server';

// Three sends at once, then one every 2 s.
const server = new Server(Number(process.env.HUDDLE_E2E_LIMITS_PORT ?? 3419), {
  HUDDLE_SEND_LIMIT: '30/m:3',
});

test.beforeAll(async () => server.start());
test.afterAll(async () => server.stop());

test('a rate-limited send is refused in the composer and the button is held', async ({ page }) => {
  await page.goto(server.base);
  await page.getByTestId('tab-guest').click();
  await page.getByTestId('username').fill('Quick');
  await page.getByTestId('join').click();
  await expect(page.getByTestId('me')).toHaveText('Quick');

  const composer = page.getByTestId('composer');
  const messages = page.getByTestId('messages').getByTestId('message');
  for (const text of ['one', 'two', 'three']) {
    await composer.fill(text);
    await composer.press('Enter');
    await expect(messages.last()).toContainText(text);
  }
  await composer.fill('four, too fast');
  await composer.press('Enter');

  await expect(page.getByTestId('composer-error')).toContainText(
    'You are sending faster than this server allows',
  );
  await expect(page.getByTestId('send')).toBeDisabled();
  // Nothing was lost: the text is back, and it was not delivered.
  await expect(composer).toHaveValue('four, too fast');
  await expect(messages).toHaveCount(3);
  await page.screenshot({ path: path.join(__dirname, '..', 'artifacts', 'rate-limited.png') });

  // Held only for as long as the server said.
  await expect(page.getByTestId('send')).toBeEnabled({ timeout: 5_000 });
  await expect(page.getByTestId('composer-error')).toHaveCount(0);
  await page.getByTestId('send').click();
  await expect(messages.last()).toContainText('four, too fast');
  await expect(messages).toHaveCount(4);
});
