// Completion in the composer (issue #15, item 7): `@` and the first
// letters of a name offer the room's people first, `:` and two letters of
// a shortcode offer emoji; the list's keys (Up, Down, Enter, Tab, Escape),
// a click, what is put in and where the caret goes, at phone width too.
import { test, expect, type Page } from '@playwright/test';
import { unique, signUp, messages, expectAccessible, createRoom, invite } from './people';

/// Where the caret is in the composer (UTF-16 units, as the DOM counts).
async function caret(page: Page) {
  return page
    .getByTestId('composer')
    .evaluate((t: HTMLTextAreaElement) => [t.selectionStart, t.selectionEnd]);
}

test.afterEach(async ({ browser }) => {
  await Promise.all(browser.contexts().map((c) => c.close()));
});

test('@ offers the room member first; Enter, Tab and a click put the name in, Escape only closes', async ({
  browser,
}) => {
  // Two names that start alike: Bea is in the room, Bel only online (and
  // came online first, so the online list alone would put Bel first).
  const stamp = Date.now().toString(36).slice(-5);
  const annName = unique('Ann');
  const beaName = `Bea${stamp}`;
  const belName = `Bel${stamp}`;
  const room = unique('plans');
  const ann = await signUp(browser, annName);
  await signUp(browser, belName);
  await signUp(browser, beaName);
  await expect(ann.getByTestId('user').filter({ hasText: beaName })).toHaveCount(1);
  await createRoom(ann, room);
  await invite(ann, beaName);

  const composer = ann.getByTestId('composer');
  const list = ann.getByRole('listbox');
  const options = list.getByRole('option');
  await composer.click();
  await composer.pressSequentially('hi @Be');
  await expect(list).toBeVisible();
  await expect(list).toHaveAttribute('aria-label', 'People');
  // The member first, the one only online after; never oneself.
  await expect(options).toHaveCount(2);
  await expect(options.nth(0)).toHaveText(`@${beaName}`);
  await expect(options.nth(1)).toHaveText(`@${belName}`);
  // The box names the list and its active option.
  const listId = await list.getAttribute('id');
  await expect(composer).toHaveAttribute('aria-autocomplete', 'list');
  await expect(composer).toHaveAttribute('aria-controls', listId!);
  const firstId = await options.nth(0).getAttribute('id');
  await expect(composer).toHaveAttribute('aria-activedescendant', firstId!);
  await expect(options.nth(0)).toHaveAttribute('aria-selected', 'true');
  await expect(options.nth(1)).toHaveAttribute('aria-selected', 'false');
  await expect(ann.getByTestId('completion-status')).toHaveText(
    '2 names: Up and Down to choose, Enter or Tab to accept, Escape to close',
  );
  await expectAccessible(ann, '.chat');

  // Down, and round the ends both ways.
  await composer.press('ArrowDown');
  await expect(options.nth(1)).toHaveAttribute('aria-selected', 'true');
  await expect(composer).toHaveAttribute(
    'aria-activedescendant',
    (await options.nth(1).getAttribute('id'))!,
  );
  await composer.press('ArrowDown');
  await expect(options.nth(0)).toHaveAttribute('aria-selected', 'true');
  await composer.press('ArrowUp');
  await expect(options.nth(1)).toHaveAttribute('aria-selected', 'true');
  await composer.press('ArrowUp');
  await expect(options.nth(0)).toHaveAttribute('aria-selected', 'true');

  // Enter puts the name in (and sends nothing); the caret goes after it.
  const before = await messages(ann).count();
  await composer.press('Enter');
  await expect(list).toBeHidden();
  await expect(composer).toHaveValue(`hi @${beaName} `);
  await expect(composer).not.toHaveAttribute('aria-controls');
  await expect(composer).not.toHaveAttribute('aria-activedescendant');
  expect(await caret(ann)).toEqual([`hi @${beaName} `.length, `hi @${beaName} `.length]);
  await composer.pressSequentially('and ');
  await expect(composer).toHaveValue(`hi @${beaName} and `);
  expect(await messages(ann).count()).toBe(before);

  // Tab, after non-ASCII text (the caret is counted in UTF-16 units).
  await composer.pressSequentially('né 🎉 @bEL');
  await expect(options).toHaveCount(1);
  await composer.press('Tab');
  const withBel = `hi @${beaName} and né 🎉 @${belName} `;
  await expect(composer).toHaveValue(withBel);
  await expect(composer).toBeFocused();
  expect(await caret(ann)).toEqual([withBel.length, withBel.length]);

  // The draft keeps what was put in.
  await ann.locator('[data-room="general"]').click();
  await ann.locator(`[data-room="${room}"]`).click();
  await expect(composer).toHaveValue(withBel);

  // Escape closes the list only; the next Escape empties the box.
  await composer.click();
  await composer.press('End');
  await composer.pressSequentially('@b');
  await expect(list).toBeVisible();
  await composer.press('Escape');
  await expect(list).toBeHidden();
  await expect(composer).toHaveValue(`${withBel}@b`);
  // It stays closed while that word is typed.
  await composer.pressSequentially('e');
  await expect(composer).toHaveValue(`${withBel}@be`);
  await expect(list).toBeHidden();
  await composer.press('Escape');
  await expect(composer).toHaveValue('');

  // A click on an option picks it; the focus stays in the box.
  await composer.pressSequentially('@');
  await expect(options.first()).toHaveText(`@${beaName}`);
  await options.filter({ hasText: belName }).click();
  await expect(composer).toHaveValue(`@${belName} `);
  await expect(composer).toBeFocused();
  await expect(list).toBeHidden();

  // Sent as typed; Bea is mentioned.
  await composer.press('Enter');
  await expect(messages(ann).last().locator('.text')).toHaveText(`@${belName}`);
  await expect(composer).toHaveValue('');
  // Up in the empty composer still edits the last message.
  await composer.press('ArrowUp');
  await expect(messages(ann).last().getByTestId('edit-text')).toBeFocused();
  await messages(ann).last().getByTestId('edit-text').press('Escape');
});

test(':tad offers 🎉, Enter puts it in without sending, and the list fits a phone', async ({
  browser,
}) => {
  const ann = await signUp(browser, unique('Ann'));
  await ann.setViewportSize({ width: 375, height: 667 });
  await createRoom(ann, unique('emoji'));
  const composer = ann.getByTestId('composer');
  const list = ann.getByRole('listbox');
  const options = list.getByRole('option');

  await composer.click();
  await composer.pressSequentially('we shipped :t');
  // One letter opens nothing; two do.
  await composer.pressSequentially('a');
  await expect(list).toBeVisible();
  await composer.pressSequentially('d');
  await expect(list).toHaveAttribute('aria-label', 'Emoji');
  await expect(options.first()).toHaveText('🎉:tada:');
  await expect(options.first()).toHaveAttribute('aria-selected', 'true');

  // On the screen, whole, above the composer, not wider than the phone.
  await expect(list).toBeInViewport({ ratio: 1 });
  const box = (await list.boundingBox())!;
  const composerBox = (await composer.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(375);
  expect(box.y + box.height).toBeLessThanOrEqual(composerBox.y + 1);
  const fits = await ann.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  expect(fits).toBeTruthy();
  await expectAccessible(ann, '.chat');

  // Enter puts the emoji in; nothing is sent while the list is open.
  const before = await messages(ann).count();
  await composer.press('Enter');
  await expect(composer).toHaveValue('we shipped 🎉 ');
  await expect(list).toBeHidden();
  expect(await caret(ann)).toEqual(['we shipped 🎉 '.length, 'we shipped 🎉 '.length]);
  expect(await messages(ann).count()).toBe(before);

  // A longer list goes round: Up from the first is the last.
  await composer.pressSequentially(':heart');
  await expect(options).toHaveCount(8);
  await expect(options.first()).toHaveText('❤️:heart:');
  await composer.press('ArrowUp');
  await expect(options.last()).toHaveAttribute('aria-selected', 'true');
  await composer.press('Escape');
  await expect(list).toBeHidden();
  await expect(composer).toHaveValue('we shipped 🎉 :heart');
  // A closing colon ends the word (the shortcode becomes ❤️ when sent).
  await composer.pressSequentially(':');
  await expect(list).toBeHidden();

  // No list inside a code span; after it, again.
  await composer.pressSequentially(' `:tad');
  await expect(list).toBeHidden();
  await expect(composer).not.toHaveAttribute('aria-controls');
  await composer.pressSequentially('a` :ta');
  await expect(list).toBeVisible();

  // Escape closes the list; then Enter sends, as typed.
  await composer.press('Escape');
  await expect(list).toBeHidden();
  await composer.press('Enter');
  await expect(messages(ann).last().locator('.text')).toHaveText('we shipped 🎉 ❤️ :tada :ta');
  await expect(composer).toHaveValue('');
});

test('a colon typed starts loading the emoji list, before any shortcode', async ({ browser }) => {
  const ann = await signUp(browser, unique('Ann'));
  const loaded = ann.waitForResponse((r) => new URL(r.url()).pathname === '/api/emoji');
  const composer = ann.getByTestId('composer');
  await composer.click();
  await composer.pressSequentially('at 10:');
  expect((await loaded).status()).toBe(200);
  await expect(ann.getByRole('listbox')).toHaveCount(0);
});
