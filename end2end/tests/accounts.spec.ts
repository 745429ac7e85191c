// Accounts, direct messages and catching up after going offline.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { password, unique, signUp, messages, expectAccessible, openDm } from './people';
import { Frames } from './frames';

test('sign up, stay logged in across a reload, log out, log in', async ({ browser }) => {
  const name = unique('Sam');
  const page = await signUp(browser, name);
  await page.getByTestId('room-input').fill('projects');
  await page.getByTestId('join-room').click();
  await page.getByTestId('composer').fill('kept for later');
  await page.getByTestId('composer').press('Enter');
  await expect(messages(page).last()).toContainText('kept for later');

  await page.reload();
  await expect(page.getByTestId('me')).toHaveText(name);
  // The room is remembered, and its history comes back.
  await expect(page.locator('[data-room="projects"]')).toBeVisible();
  await page.locator('[data-room="projects"]').click();
  await expect(messages(page).last()).toContainText('kept for later');

  await page.getByTestId('logout').click();
  await expect(page.getByTestId('tab-login')).toBeVisible();
  const frames = new Frames(page);
  await page.reload();
  // Wait for hydration: the server renders "Connecting to the server…";
  // only the browser code, once its own connection is up, removes it.
  await expect(page.getByTestId('connection-banner')).toHaveCount(0);
  expect(frames.connects('/chat').length).toBeGreaterThan(0);
  await expect(page.getByTestId('tab-login')).toBeVisible();
  // A saved login would have shown by now: its token in the handshake, and
  // its `join`, which the page sends before it counts as connected.
  for (const auth of frames.connects('/chat')) expect(auth?.token).toBeUndefined();
  expect(frames.emitted('/chat').map((e) => e.name)).not.toContain('join');
  await expect(page.getByTestId('me')).toHaveCount(0);

  await page.getByTestId('username').fill(name);
  await page.getByTestId('password').fill('not the password');
  await page.getByTestId('join').click();
  await expect(page.getByTestId('login-error')).toHaveText('Wrong username or password');
  // The login view, with its error shown, and at phone width.
  await expectAccessible(page, 'body');
  await page.setViewportSize({ width: 375, height: 740 });
  await expectAccessible(page, 'body');
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.getByTestId('password').fill(password);
  await page.getByTestId('join').click();
  await expect(page.getByTestId('me')).toHaveText(name);
  await page.context().close();
});

test('a direct message shows an unread badge until it is read', async ({ browser }) => {
  const annName = unique('Ann');
  const bobName = unique('Bob');
  const ann = await signUp(browser, annName);
  const bob = await signUp(browser, bobName);

  await openDm(ann, bobName);
  await ann.getByTestId('composer').fill('lunch at noon?');
  await ann.getByTestId('composer').press('Enter');
  await expect(messages(ann).last()).toContainText('lunch at noon?');

  // Bob is in #general: a badge, and a notification.
  const entry = bob.locator(`[data-dm="${annName}"]`);
  await expect(entry.getByTestId('dm-unread')).toHaveText('1');
  await expect(bob.getByTestId('alert').first()).toContainText(`${annName} sent you a message`);
  await entry.click();
  await expect(messages(bob).last()).toContainText('lunch at noon?');
  await expect(entry.getByTestId('dm-unread')).toHaveCount(0);

  // Read stays read after a reload.
  await bob.reload();
  await expect(bob.getByTestId('me')).toHaveText(bobName);
  await expect(bob.locator(`[data-dm="${annName}"]`)).toBeVisible();
  await expect(bob.locator(`[data-dm="${annName}"]`).getByTestId('dm-unread')).toHaveCount(0);
  await ann.context().close();
  await bob.context().close();
});

test('a page that was offline shows what was said meanwhile', async ({ browser }) => {
  const ann = await signUp(browser, unique('Ann'));
  const bob = await signUp(browser, unique('Bob'));
  await bob.context().setOffline(true);
  await expect(bob.getByTestId('connection-banner')).toContainText('Reconnecting');

  for (const text of ['one', 'two', 'three']) {
    await ann.getByTestId('composer').fill(`while you were away: ${text}`);
    await ann.getByTestId('composer').press('Enter');
    await expect(messages(ann).last()).toContainText(text);
  }

  await bob.context().setOffline(false);
  await expect(bob.getByTestId('connection-banner')).toHaveCount(0, { timeout: 20_000 });
  const texts = messages(bob).locator('.text');
  await expect(texts).toContainText([
    'while you were away: one',
    'while you were away: two',
    'while you were away: three',
  ]);
  // In order, once each.
  const all = await texts.allTextContents();
  const away = all.filter((t) => t.startsWith('while you were away'));
  expect(away).toEqual([
    'while you were away: one',
    'while you were away: two',
    'while you were away: three',
  ]);
  await ann.context().close();
  await bob.context().close();
});
