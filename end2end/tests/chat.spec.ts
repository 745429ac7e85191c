import { test, expect, type Page, type Browser } from '@playwright/test';
import * as path from 'path';
import { io } from 'socket.io-client';

async function join(browser: Browser, name: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  (page as any).errors = errors;
  await page.goto('/');
  // Wait for hydration: the banner disappears once the socket is connected.
  await expect(page.getByTestId('connection-banner')).toHaveCount(0);
  await page.getByTestId('tab-guest').click();
  await page.getByTestId('username').fill(name);
  await page.getByTestId('join').click();
  await expect(page.getByTestId('me')).toHaveText(name);
  return page;
}

async function send(page: Page, text: string) {
  const composer = page.getByTestId('composer');
  await composer.fill(text);
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
}

function messages(page: Page) {
  return page.getByTestId('messages').getByTestId('message');
}

test('two people chat in general and in a new room', async ({ browser }) => {
  const ann = await join(browser, 'Ann');
  const bob = await join(browser, 'Bob');

  // Each sees the other online.
  await expect(ann.getByTestId('user-list')).toContainText('Bob');
  await expect(bob.getByTestId('user-list')).toContainText('Ann');
  await expect(ann.getByTestId('notice').last()).toHaveText('Bob has joined the chat');

  // General.
  await send(ann, 'Hello Bob!');
  await expect(messages(bob).last()).toContainText('Hello Bob!');
  await expect(messages(bob).last().locator('.author')).toHaveText('Ann');
  await send(bob, 'Hi Ann, how are you?');
  await expect(messages(ann).last()).toContainText('Hi Ann, how are you?');

  // A new room, joined by both.
  for (const page of [ann, bob]) {
    await page.getByTestId('room-input').fill('design');
    await page.getByTestId('join-room').click();
    await expect(page.locator('.room-header h2')).toHaveText('#design');
  }
  await send(bob, 'Mockups are ready');
  await expect(messages(ann).last()).toContainText('Mockups are ready');
  // general did not get it.
  await ann.locator('[data-room="general"]').click();
  await expect(messages(ann).last()).toContainText('Hi Ann, how are you?');
  // A message to design while Ann looks at general shows as unread.
  await send(bob, 'One more thing');
  await expect(ann.locator('.room-item', { hasText: 'design' }).locator('.badge')).toHaveText('1');

  // User text is text: nothing runs, no element is created.
  let dialogs = 0;
  ann.on('dialog', async (d) => {
    dialogs++;
    await d.dismiss();
  });
  await bob.locator('[data-room="general"]').click();
  const xss = '<img src=x onerror=alert(1)>';
  await send(bob, xss);
  await expect(messages(ann).last().locator('.text')).toHaveText(xss);
  expect(await ann.getByTestId('messages').locator('img').count()).toBe(0);
  await ann.waitForTimeout(500);
  expect(dialogs).toBe(0);

  await ann.screenshot({ path: path.join(__dirname, '..', 'artifacts', 'chat.png'), fullPage: true });

  // Bob leaves: Ann sees it.
  await bob.context().close();
  await expect(ann.getByTestId('notice').last()).toHaveText('Bob has left the chat');
  await expect(ann.getByTestId('user-list')).not.toContainText('Bob');

  expect((ann as any).errors).toEqual([]);
  await ann.context().close();
});

test('a name that breaks the rules is explained', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('connection-banner')).toHaveCount(0);
  await page.getByTestId('tab-guest').click();
  await page.getByTestId('username').fill('   ');
  await page.getByTestId('join').click();
  await expect(page.getByTestId('login-error')).toHaveText('Username must not be empty');
});

test('the chat fits a phone screen', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByTestId('connection-banner')).toHaveCount(0);
  await page.getByTestId('tab-guest').click();
  await page.getByTestId('username').fill('Pat');
  await page.getByTestId('join').click();
  await send(page, 'Typing on a phone');
  await expect(messages(page).last()).toContainText('Typing on a phone');
  // Nothing scrolls sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // The README's phone layout, one column: the rooms a strip at the top,
  // then the messages and the composer, the online list below the composer.
  const box = async (selector: string) => {
    const b = await page.locator(selector).boundingBox();
    expect(b, selector).not.toBeNull();
    return b!;
  };
  const rooms = await box('nav.rooms');
  const list = await box('[data-testid="messages"]');
  const composer = await box('form.composer');
  const users = await box('aside.users');
  // A strip: the whole width, low, its rooms and "Join a room…" side by side.
  expect(rooms.width).toBeGreaterThanOrEqual(390 - 1);
  expect(rooms.height).toBeLessThan(844 / 4);
  const roomItems = await box('[data-testid="room-list"]');
  const joinRoom = await box('[data-testid="room-input"]');
  expect(joinRoom.x).toBeGreaterThanOrEqual(roomItems.x + roomItems.width - 1);
  expect(joinRoom.y).toBeLessThan(roomItems.y + roomItems.height);
  expect(roomItems.y).toBeLessThan(joinRoom.y + joinRoom.height);
  expect(rooms.y + rooms.height).toBeLessThanOrEqual(list.y + 1);
  expect(list.y + list.height).toBeLessThanOrEqual(composer.y + 1);
  expect(composer.y + composer.height).toBeLessThanOrEqual(users.y + 1);
  // All of it on the screen, the composer included, none of it cut off sideways.
  for (const [name, b] of Object.entries({ rooms, list, composer, users })) {
    expect(b.x, name).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width, name).toBeLessThanOrEqual(390 + 1);
  }
  expect(users.y + users.height).toBeLessThanOrEqual(844 + 1);
  await expect(page.getByTestId('composer')).toBeInViewport({ ratio: 1 });
  await page.screenshot({ path: path.join(__dirname, '..', 'artifacts', 'chat-phone.png') });
  await context.close();
});

test('a protected message shows the account that vouched for it, as text', async ({ browser, baseURL }) => {
  const page = await join(browser, 'Pat');
  const registered = await fetch(`${baseURL}/api/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'Voucher', password: 'correct horse battery' }),
  });
  expect(registered.status).toBe(201);
  const { token } = await registered.json();
  // A tutorial client, as a guest named Sam, vouched for by Voucher's token.
  const sam = io(`${baseURL}/chat`, { forceNew: true, transports: ['websocket'] });
  try {
    await new Promise((resolve) => sam.once('connect', resolve));
    expect(await sam.emitWithAck('join', { username: 'Sam' })).toMatchObject({ status: 'ok' });
    expect(
      await sam.emitWithAck('protected-message', { message: '<b>not bold</b>', token }),
    ).toMatchObject({ status: 'ok' });
    const line = page.getByTestId('protected-message').last();
    await expect(line.locator('.author')).toHaveText('Sam');
    await expect(line.getByTestId('vouched-by')).toHaveText(
      'protected message, vouched for by Voucher',
    );
    await expect(line.locator('.text')).toHaveText('<b>not bold</b>');
    await expect(line.locator('b')).toHaveCount(0);
  } finally {
    sam.close();
    await page.context().close();
  }
});
