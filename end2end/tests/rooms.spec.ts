// Rooms, roles and moderation in the browser (issue #14): private rooms,
// invitations, the directory, the settings, and what a moderator does.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { password, unique, signUp, messages, expectAccessible } from './people';

async function createRoom(page: Page, room: string, opts: { topic?: string; public?: boolean } = {}) {
  await page.getByTestId('open-create-room').click();
  const dialog = page.getByTestId('create-room-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('new-room-name').fill(room);
  if (opts.public) await dialog.getByTestId('new-room-public').check();
  if (opts.topic) await dialog.getByTestId('new-room-topic').fill(opts.topic);
  await dialog.getByTestId('create-room').click();
}

async function openSettings(page: Page) {
  await page.getByTestId('open-room-settings').click();
  const dialog = page.getByTestId('room-settings-dialog');
  await expect(dialog).toBeVisible();
  // Loaded: the kind is shown.
  await expect(dialog.getByTestId('room-kind')).toBeVisible();
  return dialog;
}

async function invite(page: Page, name: string) {
  const dialog = await openSettings(page);
  await dialog.getByTestId('invite-name').fill(name);
  await dialog.getByTestId('invite').click();
  await expect(dialog.getByTestId('invite-progress')).toContainText(`${name} was added to`);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
}

test('a private room: the invited see it appear, others can neither find nor open it', async ({
  browser,
}) => {
  const annName = unique('Ann');
  const bobName = unique('Bob');
  const catName = unique('Cat');
  const room = unique('plans');
  const ann = await signUp(browser, annName);
  const bob = await signUp(browser, bobName);
  const cat = await signUp(browser, catName);

  await createRoom(ann, room, { topic: 'Q3 plans' });
  await expect(ann.getByTestId('create-room-dialog')).toBeHidden();
  await expect(ann.locator('.room-header h2')).toHaveText(`#${room}`);
  const annEntry = ann.locator(`[data-room="${room}"]`);
  await expect(annEntry.getByRole('img', { name: 'private' })).toBeVisible();

  // The settings: the owner's controls, accessible.
  const settings = await openSettings(ann);
  await expect(settings.getByTestId('room-kind')).toContainText('Private room');
  await expect(settings.getByTestId('room-topic-input')).toHaveValue('Q3 plans');
  await expect(settings.getByTestId('slow-mode')).toBeVisible();
  await expect(settings.getByTestId('load-audit')).toBeVisible();
  await expect(
    settings.locator(`[data-testid="member"][data-username="${annName}"]`).getByTestId('member-role'),
  ).toHaveText('owner');
  await expectAccessible(ann, '[data-testid="room-settings-dialog"]');
  await ann.keyboard.press('Escape');
  // Focus goes back to what opened the dialog.
  await expect(ann.getByTestId('open-room-settings')).toBeFocused();

  await invite(ann, bobName);
  // Bob sees it appear, with who added him, marked private.
  await expect(bob.getByTestId('room-notice')).toContainText(`${annName} added you to #${room}`);
  const bobEntry = bob.locator(`[data-room="${room}"]`);
  await expect(bobEntry.getByRole('img', { name: 'private' })).toBeVisible();
  await bobEntry.click();
  await ann.getByTestId('composer').fill('the plan, privately');
  await ann.getByTestId('composer').press('Enter');
  await expect(messages(bob).last()).toContainText('the plan, privately');
  // A member's settings: no owner's controls.
  const bobSettings = await openSettings(bob);
  await expect(bobSettings.getByTestId('member')).toHaveCount(2);
  await expect(bobSettings.getByTestId('member-remove')).toHaveCount(0);
  await expect(bobSettings.getByTestId('member-role-choice')).toHaveCount(0);
  await expect(bobSettings.getByTestId('archived')).toHaveCount(0);
  await expect(bobSettings.getByTestId('load-audit')).toHaveCount(0);
  await bob.keyboard.press('Escape');

  // Cat: not in the directory...
  await cat.getByTestId('open-directory').click();
  const directory = cat.getByTestId('directory-dialog');
  await expect(directory).toBeVisible();
  await expect(directory.getByTestId('directory-query')).toBeFocused();
  await directory.getByTestId('directory-query').fill(room);
  await expect(directory.getByTestId('directory-status')).toHaveText(
    `No public room matches “${room}”. Try another word.`,
  );
  await expect(directory.getByTestId('directory-room')).toHaveCount(0);
  await expectAccessible(cat, '[data-testid="directory-dialog"]');
  // Escape first empties the search field (the browser's way), then closes.
  await cat.keyboard.press('Escape');
  await expect(directory.getByTestId('directory-query')).toHaveValue('');
  await cat.keyboard.press('Escape');
  await expect(directory).toBeHidden();
  await expect(cat.getByTestId('open-directory')).toBeFocused();
  // ...not to be opened by name...
  await cat.getByTestId('room-input').fill(room);
  await cat.getByTestId('join-room').click();
  await expect(cat.getByTestId('room-error')).toHaveText(
    `${room} is a private room: a member must invite you`,
  );
  await expect(cat.locator(`[data-room="${room}"]`)).toHaveCount(0);
  // ...and its name is taken, said next to the field.
  await createRoom(cat, room);
  await expect(cat.getByTestId('new-room-name-error')).toHaveText(
    `The name ${room} is taken: pick another`,
  );
  await expect(cat.getByTestId('new-room-name')).toHaveAttribute('aria-invalid', 'true');
  for (const page of [ann, bob, cat]) await page.context().close();
});

test('the directory finds public rooms as you type, and joins one', async ({ browser }) => {
  const annName = unique('Ann');
  const room = unique('garden');
  const ann = await signUp(browser, annName);
  await createRoom(ann, room, { public: true, topic: 'tomatoes and bees' });
  await expect(ann.locator('.room-header h2')).toHaveText(`#${room}`);
  await expect(ann.locator(`[data-room="${room}"]`).getByRole('img')).toHaveCount(0);

  const bob = await signUp(browser, unique('Bob'));
  // At phone width, the dialog fits the screen.
  await bob.setViewportSize({ width: 375, height: 720 });
  await bob.getByTestId('open-directory').click();
  const directory = bob.getByTestId('directory-dialog');
  await directory.getByTestId('directory-query').fill('tomatoes and');
  const row = directory.locator(`[data-testid="directory-room"][data-room="${room}"]`);
  await expect(row).toContainText('tomatoes and bees');
  await expect(row).toContainText('1 member');
  const box = await directory.boundingBox();
  expect(box && box.x >= 0 && box.x + box.width <= 375).toBeTruthy();
  await row.getByRole('button', { name: `Join #${room}` }).click();
  await expect(directory).toBeHidden();
  await expect(bob.locator('.room-header h2')).toHaveText(`#${room}`);
  await expect(bob.locator(`[data-room="${room}"]`)).toBeVisible();
  for (const page of [ann, bob]) await page.context().close();
});

test('a moderator deletes a message and mutes someone, who sees why they cannot send', async ({
  browser,
}) => {
  const annName = unique('Ann');
  const bobName = unique('Bob');
  const room = unique('ops');
  const ann = await signUp(browser, annName);
  const bob = await signUp(browser, bobName);
  await createRoom(ann, room);
  await expect(ann.locator('.room-header h2')).toHaveText(`#${room}`);
  await invite(ann, bobName);
  await bob.locator(`[data-room="${room}"]`).click();

  await bob.getByTestId('composer').fill('buy cheap watches');
  await bob.getByTestId('composer').press('Enter');
  const spam = messages(ann).filter({ hasText: 'buy cheap watches' });
  await expect(spam).toHaveCount(1);
  // Bob, a member, may delete only his own messages: none of Ann's.
  await ann.getByTestId('composer').fill('welcome, bob');
  await ann.getByTestId('composer').press('Enter');
  const welcome = messages(bob).filter({ hasText: 'welcome, bob' });
  await expect(welcome).toHaveCount(1);
  await expect(welcome.getByTestId('delete-message')).toHaveCount(0);

  // Ann, the owner, deletes Bob's message: a tombstone on both pages.
  await spam.getByTestId('delete-message').click();
  await spam.getByTestId('confirm-delete').click();
  for (const page of [ann, bob]) {
    await expect(messages(page).getByTestId('deleted-message')).toHaveCount(1);
    await expect(messages(page).filter({ hasText: 'buy cheap watches' })).toHaveCount(0);
  }

  // Ann mutes Bob for 10 minutes, with a reason.
  const settings = await openSettings(ann);
  const bobRow = settings.locator(`[data-testid="member"][data-username="${bobName}"]`);
  await expect(bobRow.getByTestId('member-role')).toHaveText('member');
  await bobRow.getByTestId('member-mute').click();
  await bobRow.getByTestId('sanction-minutes').selectOption({ label: '10 minutes' });
  await bobRow.getByTestId('sanction-reason').fill('no ads here');
  await bobRow.getByTestId('sanction-confirm').click();
  await expect(settings.getByTestId('member-progress')).toContainText(
    `${bobName} is muted in ${room}`,
  );
  await expect(
    settings.locator(`[data-testid="member"][data-username="${bobName}"] .muted-badge`),
  ).toContainText('muted until');

  // Bob sees why he cannot send, instead of the composer.
  const hold = bob.getByTestId('composer-hold');
  await expect(hold).toContainText(`You are muted in #${room} until`);
  await expect(hold).toContainText(`by ${annName}: no ads here`);
  await expect(bob.getByTestId('composer')).toHaveCount(0);
  // What he received stays.
  await expect(welcome).toHaveCount(1);

  // The audit log says what happened.
  await settings.getByTestId('load-audit').click();
  const log = settings.getByTestId('audit-entry');
  await expect(log.filter({ hasText: `${annName} muted ${bobName}` })).toHaveCount(1);
  await expect(log.filter({ hasText: 'no ads here' })).toHaveCount(1);
  await expect(log.filter({ hasText: `${annName} deleted a message` })).toHaveCount(1);
  await expectAccessible(ann, '[data-testid="room-settings-dialog"]');

  // Unmuted: the composer is back.
  await settings
    .locator(`[data-testid="member"][data-username="${bobName}"]`)
    .getByTestId('member-unmute')
    .click();
  await expect(bob.getByTestId('composer')).toBeVisible();
  await expect(bob.getByTestId('room-notice').last()).toContainText(`You may post in #${room} again`);
  for (const page of [ann, bob]) await page.context().close();
});

test('a removed member is told by whom and why; what they read stays', async ({ browser }) => {
  const annName = unique('Ann');
  const bobName = unique('Bob');
  const room = unique('core');
  const ann = await signUp(browser, annName);
  const bob = await signUp(browser, bobName);
  await createRoom(ann, room);
  await expect(ann.locator('.room-header h2')).toHaveText(`#${room}`);
  await invite(ann, bobName);
  await bob.locator(`[data-room="${room}"]`).click();
  await ann.getByTestId('composer').fill('the roadmap');
  await ann.getByTestId('composer').press('Enter');
  await expect(messages(bob).filter({ hasText: 'the roadmap' })).toHaveCount(1);

  const settings = await openSettings(ann);
  const bobRow = settings.locator(`[data-testid="member"][data-username="${bobName}"]`);
  await bobRow.getByTestId('member-remove').click();
  await bobRow.getByTestId('sanction-reason').fill('wrong team');
  await bobRow.getByTestId('sanction-confirm').click();
  await expect(settings.getByTestId('member')).toHaveCount(1);

  const text = `You were removed from #${room} by ${annName}: wrong team`;
  await expect(bob.getByTestId('room-notice').last()).toContainText(text);
  await expect(bob.getByTestId('composer-hold')).toHaveText(text);
  await expect(bob.locator(`[data-room="${room}"]`)).toHaveCount(0);
  await expect(messages(bob).filter({ hasText: 'the roadmap' })).toHaveCount(1);
  // Nothing more arrives.
  await ann.keyboard.press('Escape');
  await ann.getByTestId('composer').fill('after bob left');
  await ann.getByTestId('composer').press('Enter');
  await expect(messages(ann).filter({ hasText: 'after bob left' })).toHaveCount(1);
  await bob.waitForTimeout(500);
  await expect(messages(bob).filter({ hasText: 'after bob left' })).toHaveCount(0);
  for (const page of [ann, bob]) await page.context().close();
});

test('slow mode counts down until the next message may go; a locked room says so', async ({ browser }) => {
  const ann = await signUp(browser, unique('Ann'));
  const room = unique('quiet');
  await createRoom(ann, room, { public: true });
  await expect(ann.locator('.room-header h2')).toHaveText(`#${room}`);
  const settings = await openSettings(ann);
  await settings.getByTestId('slow-mode').selectOption('30');
  await expect(settings.getByTestId('options-progress')).toHaveText('Saved.');
  await ann.keyboard.press('Escape');

  const bob = await signUp(browser, unique('Bob'));
  await bob.getByTestId('room-input').fill(room);
  await bob.getByTestId('join-room').click();
  await expect(bob.locator('.room-header h2')).toHaveText(`#${room}`);
  await bob.getByTestId('composer').fill('first');
  await bob.getByTestId('composer').press('Enter');
  await expect(messages(bob).filter({ hasText: 'first' })).toHaveCount(1);
  const wait = bob.getByTestId('slow-wait');
  await expect(wait).toContainText(/you can send again in \d+ s/);
  const first = Number((await wait.textContent())?.match(/in (\d+) s/)?.[1]);
  expect(first).toBeGreaterThan(25);
  await expect(bob.getByTestId('send')).toBeDisabled();
  // It counts down, live.
  await expect
    .poll(async () => Number((await wait.textContent())?.match(/in (\d+) s/)?.[1]), {
      timeout: 5_000,
    })
    .toBeLessThan(first);
  // The owner is not slowed.
  await ann.getByTestId('composer').fill('one');
  await ann.getByTestId('composer').press('Enter');
  await ann.getByTestId('composer').fill('two');
  await ann.getByTestId('composer').press('Enter');
  await expect(messages(ann).filter({ hasText: 'two' })).toHaveCount(1);
  await expect(ann.getByTestId('slow-wait')).toHaveCount(0);

  // Locked: Bob is told so in place of the composer; Ann still writes.
  const again = await openSettings(ann);
  await again.getByTestId('locked').check();
  await expect(again.getByTestId('options-progress')).toHaveText('Saved.');
  await ann.keyboard.press('Escape');
  await bob.locator('[data-room="general"]').click();
  await bob.locator(`[data-room="${room}"]`).click();
  await expect(bob.getByTestId('composer-hold')).toHaveText(
    `${room} is locked: only its moderators may post`,
  );
  await expect(ann.getByTestId('composer')).toBeVisible();
  for (const page of [ann, bob]) await page.context().close();
});

test('an invite link lets a second account in once; a revoked one is refused', async ({ browser }) => {
  const annName = unique('Ann');
  const bobName = unique('Bob');
  const catName = unique('Cat');
  const room = unique('crew');
  const ann = await signUp(browser, annName);
  await ann.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await createRoom(ann, room);
  await expect(ann.locator('.room-header h2')).toHaveText(`#${room}`);
  await ann.getByTestId('composer').fill('welcome aboard');
  await ann.getByTestId('composer').press('Enter');
  await expect(messages(ann).last()).toContainText('welcome aboard');

  // A link in the settings, shown once, copied.
  const settings = await openSettings(ann);
  const links = settings.getByTestId('invite-links');
  await expect(links.getByTestId('invite-expiry')).toHaveValue(String(7 * 24 * 60));
  await links.getByTestId('invite-max-uses').fill('5');
  await links.getByTestId('create-invite-link').click();
  const urlField = links.getByTestId('invite-url');
  await expect(urlField).toHaveValue(/\/invite\/\S+$/);
  const url = await urlField.inputValue();
  await links.getByTestId('copy-invite-url').click();
  await expect(links.getByTestId('copy-status')).toHaveText('Copied');
  await expect(links.getByTestId('invite-link')).toHaveCount(1);
  await expect(links.getByTestId('invite-link')).toContainText(`by ${annName}`);
  await expect(links.getByTestId('invite-link')).toContainText('used 0 of 5');
  await expectAccessible(ann, '[data-testid="invite-links"]');
  await ann.keyboard.press('Escape');

  // Bob opens it: in the room, with its messages, and the address is `/`.
  const bob = await signUp(browser, bobName);
  await bob.goto(url);
  await expect(bob.getByTestId('room-notice')).toContainText(`You joined #${room}`);
  await expect(bob.locator('.room-header h2')).toHaveText(`#${room}`);
  await expect(messages(bob).last()).toContainText('welcome aboard');
  await expect.poll(() => new URL(bob.url()).pathname).toBe('/');

  // Ann revokes it (at a phone's width); Cat is refused, and told what to do.
  await ann.setViewportSize({ width: 375, height: 740 });
  const again = await openSettings(ann);
  const row = again.getByTestId('invite-links').getByTestId('invite-link');
  await expect(row).toContainText('used 1 of 5');
  const overflow = await again.evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await row.getByTestId('revoke-invite-link').click();
  await expect(again.getByTestId('revoke-progress')).toContainText('was revoked');
  await expect(row).toHaveCount(0);

  const cat = await signUp(browser, catName);
  await cat.goto(url);
  const refused = cat.getByTestId('invite-refused');
  await expect(refused).toContainText('ask for a new one');
  await expect.poll(() => new URL(cat.url()).pathname).toBe('/');
  await refused.getByTestId('invite-back').click();
  await expect(refused).toHaveCount(0);
  await expect(cat.locator(`[data-room="${room}"]`)).toHaveCount(0);
  // Their sockets go with their pages: later specs count who is in the chat.
  for (const page of [ann, bob, cat]) await page.context().close();
});
