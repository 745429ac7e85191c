// Edits and reactions in the browser (issue #15): editing one's message
// (its Edit button, and Up in an empty composer), the earlier versions,
// reacting through the emoji picker and taking a reaction back, and
// shortcodes in the composer.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { password, unique, signUp, messages, expectAccessible, createRoom, invite, openDm } from './people';

async function send(page: Page, text: string) {
  const composer = page.getByTestId('composer');
  await composer.fill(text);
  await composer.press('Enter');
  // Shown formatted: a code span's backticks are not shown.
  await expect(messages(page).last().locator('.text')).toHaveText(
    text.replace(':tada:', '🎉').replace(/`/g, ''),
  );
}

// Every page a test opened is closed after it, passed or failed: a page
// left joined would be counted by the tutorial client's get-users.
test.afterEach(async ({ browser }) => {
  await Promise.all(browser.contexts().map((c) => c.close()));
});

test('ann edits her message, bob sees it; bob reacts through the picker and takes it back', async ({
  browser,
}) => {
  const annName = unique('Ann');
  const bobName = unique('Bob');
  const room = unique('edits');
  const ann = await signUp(browser, annName);
  const bob = await signUp(browser, bobName);
  await createRoom(ann, room);
  await invite(ann, bobName);
  await bob.locator(`[data-room="${room}"]`).click();
  await expect(bob.locator('.room-header h2')).toHaveText(`#${room}`);

  await send(ann, 'hello wrold');
  const bobLast = messages(bob).last();
  await expect(bobLast.locator('.text')).toHaveText('hello wrold');
  // Only the author has Edit.
  await expect(bobLast.getByTestId('edit-message')).toHaveCount(0);

  // Edit with the button: Enter saves, the focus goes back to Edit.
  await messages(ann).last().getByTestId('edit-message').click();
  const editor = messages(ann).last().getByTestId('edit-text');
  await expect(editor).toBeFocused();
  await expect(editor).toHaveValue('hello wrold');
  await editor.fill('hello world');
  await editor.press('Enter');
  await expect(bobLast.locator('.text')).toHaveText('hello world');
  await expect(bobLast.locator('.edited')).toHaveText('(edited)');
  await expect(bobLast.locator('.edited')).toHaveAttribute('title', /^Edited /);
  await expect(messages(ann).last().getByTestId('edit-message')).toBeFocused();

  // Escape cancels and keeps the text.
  await messages(ann).last().getByTestId('edit-message').click();
  await messages(ann).last().getByTestId('edit-text').fill('not this');
  await messages(ann).last().getByTestId('edit-text').press('Escape');
  await expect(messages(ann).last().getByTestId('edit-form')).toHaveCount(0);
  await expect(messages(ann).last().locator('.text')).toHaveText('hello world');

  // Up in the empty composer edits the last message; shortcodes become emoji.
  const composer = ann.getByTestId('composer');
  await composer.click();
  await composer.press('ArrowUp');
  await expect(messages(ann).last().getByTestId('edit-text')).toBeFocused();
  await messages(ann).last().getByTestId('edit-text').fill('hello world :tada:');
  await messages(ann).last().getByTestId('edit-text').press('Enter');
  await expect(bobLast.locator('.text')).toHaveText('hello world 🎉');
  await expect(composer).toBeFocused();

  // The earlier versions, oldest first.
  await messages(ann).last().getByTestId('edited').click();
  const versions = ann.getByTestId('versions-dialog');
  await expect(versions).toBeVisible();
  await expect(versions.getByTestId('version')).toHaveCount(2);
  await expect(versions.getByTestId('version').first()).toContainText('hello wrold');
  await expect(versions.getByTestId('version').nth(1)).toContainText('hello world');
  await expectAccessible(ann, '.chat');
  await ann.keyboard.press('Escape');
  await expect(versions).toBeHidden();
  await expect(messages(ann).last().getByTestId('edited')).toBeFocused();

  // Bob reacts with 🎉 through the picker.
  await bobLast.getByTestId('add-reaction').click();
  const picker = bob.getByTestId('emoji-picker');
  await expect(picker).toBeVisible();
  await expect(picker.getByTestId('emoji-search')).toBeFocused();
  await picker.getByTestId('emoji-search').fill('tada');
  await expect(picker.getByTestId('emoji-results').locator('button').first()).toHaveAttribute(
    'data-emoji',
    '🎉',
  );
  await expectAccessible(bob, '.chat');
  await picker.getByTestId('emoji-results').locator('[data-emoji="🎉"]').click();
  await expect(picker).toBeHidden();

  const annReaction = messages(ann).last().getByTestId('reaction');
  await expect(annReaction).toHaveText('🎉 1');
  await expect(annReaction).toHaveAttribute('title', `🎉 by ${bobName}`);
  await expect(annReaction).toHaveAttribute('aria-pressed', 'false');
  const bobReaction = bobLast.getByTestId('reaction');
  await expect(bobReaction).toHaveText('🎉 1');
  await expect(bobReaction).toHaveAttribute('aria-pressed', 'true');

  // The picker remembers it; Escape closes it and gives the focus back.
  await bobLast.getByTestId('add-reaction').click();
  await expect(picker.getByTestId('recent-emoji').locator('button').first()).toHaveAttribute(
    'data-emoji',
    '🎉',
  );
  await bob.keyboard.press('Escape');
  await expect(picker).toBeHidden();
  await expect(bobLast.getByTestId('add-reaction')).toBeFocused();

  // Clicked again, it goes.
  await bobReaction.click();
  await expect(messages(ann).last().getByTestId('reaction')).toHaveCount(0);
  await expect(bobLast.getByTestId('reaction')).toHaveCount(0);
});

test('the picker by keyboard, and shortcodes in the composer', async ({ browser }) => {
  const annName = unique('Ann');
  const room = unique('keys');
  const ann = await signUp(browser, annName);
  await createRoom(ann, room);
  await send(ann, 'ship it :tada: `:tada:` :no-such-code:');
  // The shortcode in code is left alone, and shown as code.
  await expect(messages(ann).last().locator('.text')).toHaveText(
    'ship it 🎉 :tada: :no-such-code:',
  );
  await expect(messages(ann).last().locator('.text code')).toHaveText(':tada:');

  await messages(ann).last().getByTestId('add-reaction').click();
  const picker = ann.getByTestId('emoji-picker');
  await picker.getByTestId('emoji-search').fill('thumbs');
  await ann.keyboard.press('ArrowDown');
  const results = picker.getByTestId('emoji-results');
  await expect(results.locator('[data-index="0"]')).toBeFocused();
  await ann.keyboard.press('ArrowRight');
  await expect(results.locator('[data-index="1"]')).toBeFocused();
  const chosen = await results.locator('[data-index="1"]').getAttribute('data-emoji');
  await ann.keyboard.press('Enter');
  await expect(picker).toBeHidden();
  await expect(messages(ann).last().getByTestId('reaction')).toHaveText(`${chosen} 1`);
  await expect(messages(ann).last().getByTestId('reaction')).toHaveAttribute('aria-pressed', 'true');
});

test('the emoji list loads when first needed; a failed load says so and is tried again', async ({
  browser,
}) => {
  const ann = await signUp(browser, unique('Ann'));
  const asked: string[] = [];
  ann.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/emoji') asked.push(r.url());
  });
  await createRoom(ann, unique('lazy'));
  await send(ann, 'no codes here');
  // Signed up, a room made, a message sent: the list was not needed.
  expect(asked).toHaveLength(0);

  // The server cannot be reached: the picker says so and offers a retry.
  await ann.route('**/api/emoji', (route) => route.abort());
  await messages(ann).last().getByTestId('add-reaction').click();
  const picker = ann.getByTestId('emoji-picker');
  const failed = picker.getByTestId('emoji-load-failed');
  await expect(failed).toContainText(
    'The emoji could not be loaded. The server cannot be reached: check your connection',
  );
  await expectAccessible(ann, '.chat');
  await ann.unroute('**/api/emoji');
  await failed.getByRole('button', { name: 'Try again' }).click();
  await expect(picker.getByTestId('emoji-results').locator('[data-index="0"]')).toHaveAttribute(
    'data-emoji',
    '😀',
  );
  await expect(failed).toHaveCount(0);
  await picker.getByTestId('emoji-search').fill('tada');
  await expect(picker.getByTestId('emoji-results').locator('button').first()).toHaveAttribute(
    'data-emoji',
    '🎉',
  );
  await picker.getByTestId('emoji-results').locator('[data-emoji="🎉"]').click();
  await expect(picker).toBeHidden();
  await expect(messages(ann).last().getByTestId('reaction')).toHaveText('🎉 1');
  // Tried once more or twice (the pointer on the button asks too), loaded once.
  const loads = asked.length;
  expect(loads).toBeGreaterThanOrEqual(2);

  // Loaded once, it serves the completion too.
  const composer = ann.getByTestId('composer');
  await composer.click();
  await composer.pressSequentially(':tad');
  await expect(ann.getByRole('listbox').getByRole('option').first()).toHaveText('🎉:tada:');
  expect(asked).toHaveLength(loads);
});

test('the picker fits a phone, and a message takes at most 20 different emoji', async ({
  browser,
}) => {
  const ann = await signUp(browser, unique('Ann'));
  await ann.setViewportSize({ width: 375, height: 740 });
  await createRoom(ann, unique('cap'));
  await send(ann, 'react to me');
  const last = messages(ann).last();
  const picker = ann.getByTestId('emoji-picker');

  await last.getByTestId('add-reaction').click();
  await expect(picker).toBeVisible();
  const box = await picker.boundingBox();
  expect(box && box.x >= 0 && box.x + box.width <= 375).toBeTruthy();
  const fits = await picker.evaluate((d) => d.scrollWidth <= d.clientWidth);
  expect(fits).toBeTruthy();
  await ann.keyboard.press('Escape');

  for (let i = 0; i < 20; i++) {
    await last.getByTestId('add-reaction').click();
    await picker.getByTestId('emoji-results').locator(`[data-index="${i}"]`).click();
    await expect(last.getByTestId('reaction')).toHaveCount(i + 1);
  }
  await last.getByTestId('add-reaction').click();
  await picker.getByTestId('emoji-results').locator('[data-index="20"]').click();
  await expect(last.getByTestId('reaction-error')).toContainText(
    'A message holds at most 20 different reactions',
  );
  await expect(last.getByTestId('reaction')).toHaveCount(20);
});

test('each room and conversation shows its own messages, though their numbers repeat', async ({
  browser,
}) => {
  // Two new rooms and a new conversation: each one's first message is
  // number 1, and the list stays on screen from one to the next.
  const annName = unique('Ann');
  const bobName = unique('Bob');
  const ann = await signUp(browser, annName);
  await signUp(browser, bobName);
  const alpha = unique('alpha');
  const beta = unique('beta');
  await createRoom(ann, alpha);
  await send(ann, 'first in alpha');
  await createRoom(ann, beta);
  await send(ann, 'first in beta');
  await openDm(ann, bobName);
  await send(ann, 'first to bob');

  for (const [room, text] of [
    [alpha, 'first in alpha'],
    [beta, 'first in beta'],
    [alpha, 'first in alpha'],
  ]) {
    await ann.locator(`[data-room="${room}"]`).click();
    await expect(ann.locator('.room-header h2')).toHaveText(`#${room}`);
    await expect(messages(ann)).toHaveCount(1);
    await expect(messages(ann).first().locator('.text')).toHaveText(text);
  }
  await ann.locator(`[data-dm="${bobName}"]`).click();
  await expect(ann.locator('.room-header h2')).toHaveText(`@${bobName}`);
  await expect(messages(ann)).toHaveCount(1);
  await expect(messages(ann).first().locator('.text')).toHaveText('first to bob');
});
