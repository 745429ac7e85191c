// The connection drops (the server stops) and comes back (it restarts on
// the same address): the page says so, then carries on by itself.
import { test, expect } from '@playwright/test';
import { io, type Socket } from 'socket.io-client';
import { Frames } from './frames';
import { Server } from './server';

const server = new Server(Number(process.env.HUDDLE_E2E_RECONNECT_PORT ?? 3418));
const base = server.base;

function once<T = any>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, resolve));
}

test('a dropped connection shows a banner, then rejoins and sends what was typed', async ({ browser }) => {
  await server.start();
  const context = await browser.newContext();
  const page = await context.newPage();
  const frames = new Frames(page);
  let kim: Socket | null = null;
  try {
    await page.goto(base);
    await expect(page.getByTestId('connection-banner')).toHaveCount(0);
    await page.getByTestId('tab-guest').click();
    await page.getByTestId('username').fill('Robin');
    await page.getByTestId('join').click();
    await expect(page.getByTestId('me')).toHaveText('Robin');
    await page.getByTestId('room-input').fill('ops');
    await page.getByTestId('join-room').click();
    await expect(page.locator('.room-header h2')).toHaveText('#ops');

    await server.stop();
    await expect(page.getByTestId('connection-banner')).toContainText('Reconnecting');

    // Typed while offline: queued, sent after the page has rejoined.
    await page.getByTestId('composer').fill('written while offline');
    await page.getByTestId('composer').press('Enter');

    const restarted = frames.mark();
    await server.start();
    await expect(page.getByTestId('connection-banner')).toHaveCount(0, { timeout: 20_000 });

    // The server knows Robin again: someone who connects only now, to the
    // restarted server (it keeps who is online in memory), sees Robin.
    kim = io(`${base}/chat`, { forceNew: true, transports: ['websocket'] });
    await once(kim, 'connect');
    expect(await kim.emitWithAck('join', { username: 'Kim' })).toMatchObject({ status: 'ok' });
    await expect
      .poll(async () => (await kim!.emitWithAck('get-users', {})).users)
      .toContain('Robin');
    await expect(page.getByTestId('user-list')).toContainText('Robin');
    await expect(page.getByTestId('messages').getByTestId('message').last()).toContainText(
      'written while offline',
    );
    await expect(page.getByTestId('composer-error')).toHaveCount(0);

    // In #ops too: once the page has caught up on #ops from the history
    // (its `history {room:"ops", after}` answered), what Kim says there can
    // only reach Robin live, through the room the page re-entered.
    await expect
      .poll(() => {
        const catchUp = frames
          .emitted('/chat', restarted)
          .filter((e) => e.name === 'history' && e.arg?.room === 'ops' && e.arg?.after !== undefined);
        const answered = frames.answered('/chat', restarted);
        return catchUp.length > 0 && catchUp.every((e) => answered.has(e.id!));
      })
      .toBe(true);
    expect(await kim.emitWithAck('join-room', { room: 'ops' })).toMatchObject({ status: 'ok' });
    expect(
      await kim.emitWithAck('send-message', { room: 'ops', message: 'Kim here, after the restart' }),
    ).toMatchObject({ status: 'ok' });
    const last = page.getByTestId('messages').getByTestId('message').last();
    await expect(last).toContainText('Kim here, after the restart');
    await expect(last.locator('.author')).toHaveText('Kim');
  } finally {
    kim?.disconnect();
    await context.close();
    await server.stop();
  }
});
