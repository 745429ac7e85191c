// The composer keeps a draft per conversation across switching rooms and
// reloading the page; Escape cancels it (issue #15, item 7).
import { test, expect, type Browser, type Page } from '@playwright/test';
import { password, unique, signUp } from './people';

test('a draft survives a room switch and a reload, and Escape cancels it', async ({ browser }) => {
  const name = unique('dora');
  const room = unique('drafts');
  const page = await signUp(browser, name);
  const composer = page.getByTestId('composer');

  await composer.fill('half a thought for general');
  await page.getByTestId('room-input').fill(room);
  await page.getByTestId('join-room').click();
  await expect(page.locator('.room-header h2')).toHaveText(`#${room}`);
  await expect(composer).toHaveValue('');
  await composer.fill('and one for the room');

  await page.locator('[data-room="general"]').click();
  await expect(composer).toHaveValue('half a thought for general');

  // A reload keeps both.
  await page.reload();
  await expect(page.getByTestId('me')).toHaveText(name);
  await expect(composer).toHaveValue('half a thought for general');
  await page.locator(`[data-room="${room}"]`).click();
  await expect(composer).toHaveValue('and one for the room');

  // Escape cancels: gone here, and after switching back.
  await composer.press('Escape');
  await expect(composer).toHaveValue('');
  await page.locator('[data-room="general"]').click();
  await expect(composer).toHaveValue('half a thought for general');
  await page.locator(`[data-room="${room}"]`).click();
  await expect(composer).toHaveValue('');

  // Sent: no draft left.
  await page.locator('[data-room="general"]').click();
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
  await expect(page.getByTestId('messages').getByTestId('message').last()).toContainText(
    'half a thought for general',
  );
  await page.reload();
  await expect(page.getByTestId('me')).toHaveText(name);
  await expect(composer).toHaveValue('');
  await page.context().close();
});
