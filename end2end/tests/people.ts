// What the browser specs share: a unique name, a person signed up (or
// joined as a guest) in a page of their own, the message list, a room
// made and someone invited to it, a direct conversation opened, and the
// accessibility check (axe-core: no serious or critical violation).
import { expect, type Browser, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

export const password = 'correct horse battery';

/// `name` with a suffix of the time, so that runs never share a name.
export function unique(name: string) {
  return `${name}${Date.now().toString(36).slice(-5)}`;
}

/// A new account `name`, signed up and joined in a page of its own.
export async function signUp(browser: Browser, name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/');
  await expect(page.getByTestId('connection-banner')).toHaveCount(0);
  await page.getByTestId('tab-signup').click();
  await page.getByTestId('username').fill(name);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('join').click();
  await expect(page.getByTestId('me')).toHaveText(name);
  return page;
}

/// A guest named `name`, joined in a page of its own.
export async function joinAsGuest(browser: Browser, name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/');
  await expect(page.getByTestId('connection-banner')).toHaveCount(0);
  await page.getByTestId('tab-guest').click();
  await page.getByTestId('username').fill(name);
  await page.getByTestId('join').click();
  await expect(page.getByTestId('me')).toHaveText(name);
  return page;
}

export function messages(page: Page) {
  return page.getByTestId('messages').getByTestId('message');
}

/// No serious or critical accessibility violation inside `selector`.
export async function expectAccessible(page: Page, selector: string) {
  const results = await new AxeBuilder({ page }).include(selector).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
  ).toEqual([]);
}

/// `room`, a new private room made by `page`'s person, who is then in it.
export async function createRoom(page: Page, room: string) {
  await page.getByTestId('open-create-room').click();
  const dialog = page.getByTestId('create-room-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('new-room-name').fill(room);
  await dialog.getByTestId('create-room').click();
  await expect(dialog).toBeHidden();
  await expect(page.locator('.room-header h2')).toHaveText(`#${room}`);
}

/// `name` added to the room `page` shows, through its settings.
export async function invite(page: Page, name: string) {
  await page.getByTestId('open-room-settings').click();
  const dialog = page.getByTestId('room-settings-dialog');
  await expect(dialog.getByTestId('room-kind')).toBeVisible();
  await dialog.getByTestId('invite-name').fill(name);
  await dialog.getByTestId('invite').click();
  await expect(dialog.getByTestId('invite-progress')).toContainText(`${name} was added to`);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
}

/// The direct conversation with `name`, opened from `page`'s sidebar.
export async function openDm(page: Page, name: string) {
  await page.getByTestId('dm-input').fill(name);
  await page.getByTestId('open-dm').click();
  await expect(page.locator('.room-header h2')).toHaveText(`@${name}`);
}
