// Typing indicators and message formatting in the browser (issue #15,
// items 4 and 5): "ann is typing…" comes and goes; Markdown is rendered as
// elements, and an XSS attempt in a message stays inert text.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { unique, joinAsGuest as join, messages, expectAccessible } from './people';

test('typing is shown to the others, and goes on send and after silence', async ({ browser }) => {
  const annName = unique('ann');
  const ann = await join(browser, annName);
  const bob = await join(browser, unique('bob'));
  const composer = ann.getByTestId('composer');
  const line = bob.getByTestId('typing-line');
  await expect(line).toHaveAttribute('aria-live', 'polite');

  await composer.pressSequentially('hel');
  await expect(line).toHaveText(`${annName} is typing…`);
  // Never yourself.
  await expect(ann.getByTestId('typing-line')).toHaveText('');

  // Gone when her message arrives.
  await composer.pressSequentially('lo');
  await composer.press('Enter');
  await expect(messages(bob).last()).toContainText('hello');
  await expect(line).toHaveText('');

  // Gone after a few seconds of silence. (A page says it is typing at most
  // once per 3 s per conversation: wait that out first.)
  await ann.waitForTimeout(3_500);
  await composer.pressSequentially('more');
  await expect(line).toHaveText(`${annName} is typing…`);
  await expect(line).toHaveText('', { timeout: 9_000 });
  await ann.context().close();
  await bob.context().close();
});

test('markdown is rendered as elements, and HTML stays text', async ({ browser }) => {
  const annName = unique('ann');
  const bobName = unique('bob');
  const ann = await join(browser, annName);
  const bob = await join(browser, bobName);
  let dialogs = 0;
  bob.on('dialog', async (d) => {
    dialogs++;
    await d.dismiss();
  });

  const source =
    '**bold** _it_ ~~s~~ `code` [site](https://example.com) <img src=x onerror="window.pwned=1">';
  const composer = ann.getByTestId('composer');
  await composer.fill(source);
  await composer.press('Enter');
  await expect(composer).toHaveValue('');

  const text = messages(bob).last().locator('.text');
  await expect(text.locator('strong')).toHaveText('bold');
  await expect(text.locator('em')).toHaveText('it');
  await expect(text.locator('del')).toHaveText('s');
  await expect(text.locator('code')).toHaveText('code');
  const link = text.locator('a');
  await expect(link).toHaveText('site');
  await expect(link).toHaveAttribute('href', 'https://example.com');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow');
  await expect(link).toHaveAttribute('target', '_blank');
  // The HTML is shown as typed, and nothing of it runs.
  await expect(text).toContainText('<img src=x onerror="window.pwned=1">');
  expect(await bob.getByTestId('messages').locator('img').count()).toBe(0);
  expect(await ann.getByTestId('messages').locator('img').count()).toBe(0);
  await bob.waitForTimeout(300);
  expect(await bob.evaluate(() => (window as any).pwned)).toBeUndefined();
  expect(await ann.evaluate(() => (window as any).pwned)).toBeUndefined();

  // A javascript: link is no link.
  await composer.fill('[click](javascript:window.pwned=2) and https://example.org/x');
  await composer.press('Enter');
  const last = messages(bob).last().locator('.text');
  await expect(last).toContainText('click and https://example.org/x');
  await expect(last.locator('a')).toHaveCount(1);
  await expect(last.locator('a')).toHaveAttribute('href', 'https://example.org/x');

  // A code block, a quote, a list; a mention of the reader is highlighted.
  // (The mention is not the last word: a name at the caret opens the name
  // completion, where Enter puts the name in instead of sending.)
  await composer.fill(`hi @${bobName}, see:\n\n> quoted\n\n\`\`\`\nlet x = 1;\n\`\`\`\n\n- one\n- two`);
  await composer.press('Enter');
  const rich = messages(bob).last().locator('.text');
  await expect(rich.locator('blockquote')).toHaveText('quoted');
  await expect(rich.locator('pre code')).toHaveText('let x = 1;');
  await expect(rich.locator('ul li')).toHaveCount(2);
  await expect(rich.locator('.mention-me')).toHaveText(`@${bobName}`);
  await expect(messages(ann).last().locator('.mention')).toHaveText(`@${bobName}`);
  await expect(messages(ann).last().locator('.mention-me')).toHaveCount(0);
  await expectAccessible(bob, '.messages');
  expect(dialogs).toBe(0);
  await ann.context().close();
  await bob.context().close();
});
