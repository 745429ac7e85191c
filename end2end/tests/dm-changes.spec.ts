// Edits, reactions and deletions in a direct conversation (issue #15:
// "for rooms and direct messages alike"), both people's pages live; and
// the tombstone of a message its author deleted in a room.
import { test, expect } from '@playwright/test';
import { unique, signUp, messages, expectAccessible, openDm } from './people';

test.afterEach(async ({ browser }) => {
  await Promise.all(browser.contexts().map((c) => c.close()));
});

test('in a direct conversation ann edits and deletes her message, bob reacts to it', async ({
  browser,
}) => {
  const annName = unique('Ann');
  const bobName = unique('Bob');
  const ann = await signUp(browser, annName);
  const bob = await signUp(browser, bobName);
  await openDm(ann, bobName);
  const composer = ann.getByTestId('composer');
  await composer.fill('see you at 3');
  await composer.press('Enter');
  await expect(messages(ann).last().locator('.text')).toHaveText('see you at 3');
  await bob.locator(`[data-dm="${annName}"]`).click();
  const bobLast = messages(bob).last();
  await expect(bobLast.locator('.text')).toHaveText('see you at 3');
  // Only the author edits or deletes.
  await expect(bobLast.getByTestId('edit-message')).toHaveCount(0);
  await expect(bobLast.getByTestId('delete-message')).toHaveCount(0);

  // Up in the empty composer edits her last message.
  await composer.click();
  await composer.press('ArrowUp');
  const editor = messages(ann).last().getByTestId('edit-text');
  await expect(editor).toBeFocused();
  await editor.fill('see you at 4');
  await editor.press('Enter');
  await expect(bobLast.locator('.text')).toHaveText('see you at 4');
  await expect(bobLast.locator('.edited')).toHaveText('(edited)');
  await expect(messages(ann).last().locator('.edited')).toHaveText('(edited)');

  // Bob reacts; ann sees who.
  await bobLast.getByTestId('add-reaction').click();
  const picker = bob.getByTestId('emoji-picker');
  await picker.getByTestId('emoji-search').fill('thumbsup');
  await picker.getByTestId('emoji-results').locator('[data-emoji="👍"]').click();
  await expect(picker).toBeHidden();
  const annReaction = messages(ann).last().getByTestId('reaction');
  await expect(annReaction).toHaveText('👍 1');
  await expect(annReaction).toHaveAttribute('title', `👍 by ${bobName}`);
  await expect(bobLast.getByTestId('reaction')).toHaveAttribute('aria-pressed', 'true');
  await expectAccessible(bob, '.chat');

  // Delete takes a second click; then both see the tombstone, and the
  // reactions and the text are gone.
  await messages(ann).last().getByTestId('delete-message').click();
  await messages(ann).last().getByTestId('confirm-delete').click();
  for (const page of [ann, bob]) {
    const last = messages(page).last();
    await expect(last.getByTestId('deleted-message')).toHaveText('This message was deleted.');
    await expect(last.getByTestId('reaction')).toHaveCount(0);
    await expect(page.getByTestId('messages')).not.toContainText('see you at 4');
  }

  // After a reload it is still a tombstone (the server kept no text).
  await bob.reload();
  await expect(bob.getByTestId('me')).toHaveText(bobName);
  await bob.locator(`[data-dm="${annName}"]`).click();
  await expect(messages(bob).last().getByTestId('deleted-message')).toHaveText(
    'This message was deleted.',
  );
});

test('a message its author deleted in a room says deleted, not by a moderator', async ({
  browser,
}) => {
  const annName = unique('Ann');
  const ann = await signUp(browser, annName);
  const composer = ann.getByTestId('composer');
  await composer.fill('oops, wrong room');
  await composer.press('Enter');
  const mine = messages(ann).last();
  await expect(mine.locator('.text')).toHaveText('oops, wrong room');
  await mine.getByTestId('delete-message').click();
  await mine.getByTestId('confirm-delete').click();
  await expect(messages(ann).last().getByTestId('deleted-message')).toHaveText(
    'This message was deleted.',
  );
});
