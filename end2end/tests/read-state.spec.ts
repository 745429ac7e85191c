// Read state in the browser (issue #15): unread counts kept by the server
// across a reload, the "new messages" line where the room was left, and
// "mark all read".
import { test, expect, type Page } from '@playwright/test';
import { unique, signUp, expectAccessible } from './people';

async function joinRoom(page: Page, room: string) {
  await page.getByTestId('room-input').fill(room);
  await page.getByTestId('join-room').click();
  await expect(page.locator('.room-header h2')).toHaveText(`#${room}`);
}

async function send(page: Page, text: string) {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('send').click();
  await expect(page.getByTestId('messages').getByText(text)).toBeVisible();
}

test('unread counts survive a reload, the room opens at a New messages line, mark all read', async ({
  browser,
}) => {
  const room = unique('standup');
  const ann = await signUp(browser, unique('Ann'));
  const bob = await signUp(browser, unique('Bob'));
  await joinRoom(ann, room);
  await send(ann, 'morning all');
  await joinRoom(bob, room);
  await expect(bob.getByTestId('messages').getByText('morning all')).toBeVisible();
  // ann looks elsewhere while bob writes.
  await ann.locator('[data-room="general"]').click();
  for (const text of ['first news', 'second news', 'third news']) await send(bob, text);
  const annEntry = ann.locator(`[data-room="${room}"]`);
  await expect(annEntry.getByTestId('room-unread')).toHaveText('3');

  // The count is the server's: a reload keeps it.
  await ann.reload();
  await expect(ann.getByTestId('me')).toBeVisible();
  await expect(annEntry.getByTestId('room-unread')).toHaveText('3');

  await annEntry.click();
  const divider = ann.getByTestId('unread-divider');
  await expect(divider).toHaveCount(1);
  await expect(divider).toHaveText(/New messages/);
  const firstUnread = ann.getByTestId('message').filter({ has: divider });
  await expect(firstUnread).toContainText('first news');
  await expect(annEntry.getByTestId('room-unread')).toHaveCount(0);
  await expectAccessible(ann, '.chat');

  // Read here: after another reload there is nothing new, no line.
  await ann.reload();
  await expect(ann.getByTestId('me')).toBeVisible();
  await expect(annEntry.getByTestId('room-unread')).toHaveCount(0);
  await annEntry.click();
  await expect(ann.getByTestId('messages').getByText('third news')).toBeVisible();
  await expect(ann.getByTestId('unread-divider')).toHaveCount(0);

  // Mark all read, from another room.
  await ann.locator('[data-room="general"]').click();
  await send(bob, 'fourth news');
  await expect(annEntry.getByTestId('room-unread')).toHaveText('1');
  await ann.getByTestId('mark-all-read').click();
  await expect(annEntry.getByTestId('room-unread')).toHaveCount(0);
  await ann.reload();
  await expect(ann.getByTestId('me')).toBeVisible();
  await expect(annEntry.getByTestId('room-unread')).toHaveCount(0);

  await ann.context().close();
  await bob.context().close();
});

// What arrives while the page is hidden (a background tab) is not read
// until the page is looked at again: another tab of the same account still
// counts it, and stops once the first tab is shown.
test('a hidden tab does not mark the room read until it is shown', async ({ browser }) => {
  const room = unique('night');
  const ann = await signUp(browser, unique('Ann'));
  const bob = await signUp(browser, unique('Bob'));
  await joinRoom(ann, room);
  await joinRoom(bob, room);
  const setHidden = (hidden: boolean) =>
    ann.evaluate((hidden) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await setHidden(true);
  await send(bob, 'while you were away');
  await expect(ann.getByTestId('messages').getByText('while you were away')).toBeVisible();

  // A second tab of ann's (the same saved login) opens in general.
  const other = await ann.context().newPage();
  await other.goto('/');
  await expect(other.getByTestId('me')).toBeVisible();
  const entry = other.locator(`[data-room="${room}"]`);
  await expect(entry.getByTestId('room-unread')).toHaveText('1');

  await setHidden(false);
  await expect(entry.getByTestId('room-unread')).toHaveCount(0);

  await ann.context().close();
  await bob.context().close();
});
