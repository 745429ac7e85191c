// Replies and threads in the browser (issue #15, item 3): a reply in a
// thread shows as a summary under its first message, not in the room;
// the thread opens beside the room with its own replies and composer;
// "Also send to #room" shows a reply in the room too; following a thread
// is a toggle, and a reply in a followed thread alerts; on a phone the
// thread is a view of its own with Back.
import { test, expect, type Page } from '@playwright/test';
import { unique, signUp, messages, expectAccessible, createRoom, invite } from './people';

async function send(page: Page, text: string) {
  const composer = page.getByTestId('composer');
  await composer.fill(text);
  await composer.press('Enter');
  await expect(messages(page).last().locator('.text')).toHaveText(text);
}

function panel(page: Page) {
  return page.getByRole('complementary', { name: 'Thread' });
}

async function reply(page: Page, text: string, alsoToRoom = false) {
  const box = panel(page).getByTestId('thread-composer');
  await box.fill(text);
  if (alsoToRoom) await panel(page).getByTestId('also-to-room').check();
  await box.press('Enter');
  await expect(panel(page).getByTestId('reply').last().locator('.text')).toHaveText(text);
  await expect(box).toHaveValue('');
}

/// Ann and Bob, both in a new room, Bob looking at it.
async function twoInARoom(browser: import('@playwright/test').Browser) {
  const annName = unique('Ann');
  const bobName = unique('Bob');
  const room = unique('threads');
  const ann = await signUp(browser, annName);
  const bob = await signUp(browser, bobName);
  await createRoom(ann, room);
  await invite(ann, bobName);
  await bob.locator(`[data-room="${room}"]`).click();
  await expect(bob.locator('.room-header h2')).toHaveText(`#${room}`);
  return { ann, bob, annName, bobName, room };
}

// Every page a test opened is closed after it, passed or failed: a page
// left joined would be counted by the tutorial client's get-users.
test.afterEach(async ({ browser }) => {
  await Promise.all(browser.contexts().map((c) => c.close()));
});

test('bob replies in a thread; ann reads it beside the room, replies to the room too, unfollows', async ({
  browser,
}) => {
  const { ann, bob, bobName, annName, room } = await twoInARoom(browser);
  await send(ann, 'Lunch at noon?');
  const bobRoot = messages(bob).last();
  await expect(bobRoot.locator('.text')).toHaveText('Lunch at noon?');

  // "Reply in thread", by keyboard: the thread opens beside the room, the
  // focus in its composer.
  await bobRoot.getByTestId('reply-in-thread').focus();
  await bob.keyboard.press('Enter');
  await expect(panel(bob)).toBeVisible();
  await expect(bob.getByRole('region', { name: 'Messages' })).toBeVisible();
  await expect(panel(bob).getByTestId('thread-root-message').locator('.text')).toHaveText(
    'Lunch at noon?',
  );
  await expect(panel(bob).getByTestId('thread-composer')).toBeFocused();
  await reply(bob, 'Count me in');

  // Ann sees the summary under her message, not the reply itself.
  const annRoot = messages(ann).first();
  const summary = annRoot.getByTestId('thread-summary');
  await expect(summary).toHaveText(new RegExp(`^↳1 reply · last reply \\d\\d:\\d\\d · ${bobName}$`));
  await expect(summary).toHaveAttribute(
    'aria-label',
    new RegExp(`^1 reply, the last at \\d\\d:\\d\\d, from ${bobName}\\. Open the thread$`),
  );
  await expect(messages(ann)).toHaveCount(1);
  await expect(ann.getByTestId('messages').getByText('Count me in')).toHaveCount(0);

  // Ann opens it: bob's reply is there; she wrote the root, so she follows it.
  await summary.click();
  await expect(panel(ann)).toBeVisible();
  await expect(panel(ann).getByTestId('reply')).toHaveCount(1);
  await expect(panel(ann).getByTestId('reply').first()).toContainText('Count me in');
  await expect(panel(ann).getByTestId('reply').first().locator('.author')).toHaveText(bobName);
  const follow = panel(ann).getByTestId('follow-thread');
  await expect(follow).toHaveAttribute('aria-pressed', 'true');
  await expectAccessible(ann, '[data-testid="thread-panel"]');

  // A reply of bob's arrives live in ann's open thread.
  await reply(bob, 'I will book a table');
  await expect(panel(ann).getByTestId('reply')).toHaveCount(2);
  await expect(panel(ann).getByTestId('reply').last()).toContainText('I will book a table');
  await expect(messages(ann)).toHaveCount(1);

  // Ann replies to the room as well: both timelines show it, with a link
  // to its thread.
  await expect(panel(ann).getByTestId('also-to-room')).toHaveAccessibleName(
    `Also send to #${room}`,
  );
  await reply(ann, 'Great, see you there', true);
  for (const page of [ann, bob]) {
    await expect(messages(page)).toHaveCount(2);
    const inRoom = messages(page).last();
    await expect(inRoom.locator('.text')).toHaveText('Great, see you there');
    await expect(inRoom.getByTestId('open-reply-thread')).toHaveText('replied to a thread');
    await expect(inRoom.getByTestId('reply-in-thread')).toHaveCount(0);
    await expect(messages(page).first().getByTestId('thread-summary')).toHaveText(
      new RegExp(`^↳3 replies · last reply \\d\\d:\\d\\d · ${annName}, ${bobName}$`),
    );
  }
  await expect(panel(bob).getByTestId('reply')).toHaveCount(3);
  await expect(panel(ann).getByTestId('also-to-room')).not.toBeChecked();

  // Unfollowing is a toggle; the server's answer sets it.
  await follow.click();
  await expect(follow).toHaveAttribute('aria-pressed', 'false');
  await expect(follow).toHaveText('Follow');
  await follow.click();
  await expect(follow).toHaveAttribute('aria-pressed', 'true');

  // Escape closes it; the focus goes back to the summary that opened it.
  await panel(ann).getByTestId('thread-composer').click();
  await ann.keyboard.press('Escape');
  await expect(panel(ann)).toHaveCount(0);
  await expect(messages(ann).first().getByTestId('thread-summary')).toBeFocused();

  // Not looking at it, ann is alerted of bob's next reply; the alert
  // opens the thread.
  await reply(bob, 'Table for two at noon');
  const alert = ann.getByTestId('alert').filter({ hasText: 'Table for two at noon' });
  await expect(alert).toContainText(`${bobName} replied in a thread in #${room}`);
  await alert.click();
  await expect(panel(ann)).toBeVisible();
  await expect(panel(ann).getByTestId('reply').last()).toContainText('Table for two at noon');

  // Unfollowed, the next reply alerts her no more.
  await panel(ann).getByTestId('close-thread').click();
  await expect(panel(ann)).toHaveCount(0);
  await messages(ann).first().getByTestId('thread-summary').click();
  await expect(panel(ann).getByTestId('follow-thread')).toHaveAttribute('aria-pressed', 'true');
  await panel(ann).getByTestId('follow-thread').click();
  await expect(panel(ann).getByTestId('follow-thread')).toHaveAttribute('aria-pressed', 'false');
  await panel(ann).getByTestId('close-thread').click();
  await reply(bob, 'Never mind, at one');
  await expect(messages(ann).first().getByTestId('thread-summary')).toHaveText(/^↳5 replies/);
  // An alert would have come by now (the one above came within this time).
  await ann.waitForTimeout(1500);
  await expect(ann.getByTestId('alert').filter({ hasText: 'Never mind, at one' })).toHaveCount(0);
});

test('on a phone the thread is a view of its own, with Back', async ({ browser }) => {
  const { ann, bob } = await twoInARoom(browser);
  await send(ann, 'Who has the keys?');
  await messages(bob).last().getByTestId('reply-in-thread').click();
  await reply(bob, 'I do');

  await ann.setViewportSize({ width: 375, height: 740 });
  await messages(ann).last().getByTestId('thread-summary').click();
  await expect(panel(ann)).toBeVisible();
  await expect(ann.getByRole('region', { name: 'Messages' })).toBeHidden();
  await expect(ann.getByRole('navigation', { name: 'Rooms' })).toBeHidden();
  await expect(panel(ann).getByTestId('close-thread')).toBeHidden();
  const back = panel(ann).getByTestId('thread-back');
  await expect(back).toBeVisible();
  await expect(panel(ann).getByTestId('reply')).toContainText(['I do']);
  // The panel fits the screen: nothing wider than the phone.
  const fits = await panel(ann).evaluate((el) => el.scrollWidth <= el.clientWidth);
  expect(fits).toBeTruthy();
  await expectAccessible(ann, '[data-testid="thread-panel"]');

  // Replies kept to the thread stay out of the room; Back returns to it.
  await reply(ann, 'Thanks!');
  await back.click();
  await expect(panel(ann)).toHaveCount(0);
  await expect(ann.getByRole('region', { name: 'Messages' })).toBeVisible();
  await expect(messages(ann)).toHaveCount(1);
  await expect(messages(ann).last().getByTestId('thread-summary')).toHaveText(/^↳2 replies/);
  await expect(messages(ann).last().getByTestId('thread-summary')).toBeFocused();
});
