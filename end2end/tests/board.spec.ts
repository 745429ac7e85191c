import { test, expect, type Page, type Browser } from '@playwright/test';
import { Server } from './server';

async function openBoard(browser: Browser, name: string, room: string, base = '/'): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await joinAndOpen(page, name, room, base);
  return page;
}

async function joinAndOpen(page: Page, name: string, room: string, base = '/') {
  await page.goto(base);
  await expect(page.getByTestId('connection-banner')).toHaveCount(0);
  await page.getByTestId('tab-guest').click();
  await page.getByTestId('username').fill(name);
  await page.getByTestId('join').click();
  await expect(page.getByTestId('me')).toHaveText(name);
  await page.getByTestId('room-input').fill(room);
  await page.getByTestId('join-room').click();
  await expect(page.locator('.room-header h2')).toHaveText(`#${room}`);
  await page.getByTestId('board-tab').click();
  await expect(page.getByTestId('board-canvas')).toBeVisible();
}

/// Where the page draws the board on its canvas: the top-left corner and
/// CSS pixels per board unit (the canvas's `data-board`).
async function boardFit(page: Page): Promise<[number, number, number]> {
  const canvas = page.getByTestId('board-canvas');
  await expect(canvas).toHaveAttribute('data-board', /,/);
  const fit = (await canvas.getAttribute('data-board')) ?? '0,0,0';
  const [x, y, scale] = fit.split(',').map(Number);
  return [x, y, scale];
}

/// Drags the mouse over the board from `from` to `to` (board units).
async function drag(page: Page, from: [number, number], to: [number, number]) {
  const box = await page.getByTestId('board-canvas').boundingBox();
  if (!box) throw new Error('no canvas');
  const [fx, fy, scale] = await boardFit(page);
  // +1: the canvas's border.
  const at = (p: [number, number]): [number, number] => [
    box.x + 1 + fx + p[0] * scale,
    box.y + 1 + fy + p[1] * scale,
  ];
  await page.mouse.move(...at(from));
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) {
    const t = i / 12;
    await page.mouse.move(...at([from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t]));
  }
  await page.mouse.up();
}

/// Whether the canvas has ink (a pixel that is not white) within a few
/// pixels of board point (x, y). Reads the canvas's pixels.
async function inkNear(page: Page, x: number, y: number): Promise<boolean> {
  const [fx, fy, scale] = await boardFit(page);
  return page.getByTestId('board-canvas').evaluate(
    (canvas: HTMLCanvasElement, [x, y, fx, fy, scale]) => {
      const ctx = canvas.getContext('2d');
      if (!ctx) return false;
      const ratio = canvas.width / canvas.clientWidth;
      const px = Math.round((fx + x * scale) * ratio) - 3;
      const py = Math.round((fy + y * scale) * ratio) - 3;
      const data = ctx.getImageData(px, py, 7, 7).data;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] + data[i + 1] + data[i + 2] < 600) return true;
      }
      return false;
    },
    [x, y, fx, fy, scale],
  );
}

async function expectInk(page: Page, x: number, y: number, ink: boolean) {
  await expect.poll(() => inkNear(page, x, y), { timeout: 10_000 }).toBe(ink);
}

test('two people draw on one board; undo, late join and reload', async ({ browser }) => {
  // Names of their own: other spec files share this server and check who
  // is online.
  const ann = await openBoard(browser, 'Ada', 'sketch');
  const bob = await openBoard(browser, 'Ben', 'sketch');

  // Ann draws a line with the pen: both canvases show it.
  await expectInk(bob, 500, 300, false);
  await drag(ann, [200, 300], [800, 300]);
  await expectInk(ann, 500, 300, true);
  await expectInk(bob, 500, 300, true);

  // Bob draws a rectangle.
  await bob.getByTestId('tool-rect').click();
  await drag(bob, [1000, 600], [1300, 850]);
  await expectInk(ann, 1150, 600, true);
  await expectInk(ann, 1150, 725, false); // a rectangle's inside is empty

  // Ann undoes: her line goes on both screens; Bob's rectangle stays.
  await ann.getByTestId('board-undo').click();
  await expectInk(ann, 500, 300, false);
  await expectInk(bob, 500, 300, false);
  await expectInk(bob, 1150, 600, true);
  // Redo with the keyboard brings it back.
  await ann.keyboard.press('Control+Shift+Z');
  await expectInk(bob, 500, 300, true);
  // Ctrl+Z on Bob's page undoes Bob's rectangle, not Ann's line.
  await bob.keyboard.press('Control+Z');
  await expectInk(ann, 1150, 600, false);
  await expectInk(ann, 500, 300, true);

  // Someone who opens the board later sees it all.
  const cat = await openBoard(browser, 'Cy', 'sketch');
  await expectInk(cat, 500, 300, true);
  await expectInk(cat, 1150, 600, false);

  // A reload keeps the board.
  await bob.reload();
  await joinAndOpen(bob, 'Ben', 'sketch');
  await expectInk(bob, 500, 300, true);

  // The eraser removes the whole line for everyone.
  await cat.getByTestId('tool-eraser').click();
  await drag(cat, [500, 250], [500, 350]);
  await expectInk(ann, 300, 300, false);
  await expectInk(bob, 700, 300, false);

  // Clear asks first, and can be undone.
  await drag(ann, [100, 100], [400, 100]);
  await expectInk(bob, 250, 100, true);
  ann.once('dialog', (d) => d.accept());
  await ann.getByTestId('board-clear').click();
  await expectInk(bob, 250, 100, false);
  await ann.getByTestId('board-undo').click();
  await expectInk(bob, 250, 100, true);

  for (const page of [ann, bob, cat]) await page.context().close();
});

test('the board exports as PNG and SVG', async ({ browser }) => {
  const ann = await openBoard(browser, 'Dot', 'exports');
  await drag(ann, [200, 200], [600, 200]);
  await expectInk(ann, 400, 200, true);
  const [png] = await Promise.all([
    ann.waitForEvent('download'),
    ann.getByTestId('board-png').click(),
  ]);
  expect(png.suggestedFilename()).toBe('board-exports.png');
  const pngBytes = await (await png.createReadStream()).toArray();
  const head = Buffer.concat(pngBytes).subarray(0, 8);
  expect(head.toString('hex')).toBe('89504e470d0a1a0a');
  const [svg] = await Promise.all([
    ann.waitForEvent('download'),
    ann.getByTestId('board-svg').click(),
  ]);
  expect(svg.suggestedFilename()).toBe('board-exports.svg');
  const text = Buffer.concat(await (await svg.createReadStream()).toArray()).toString();
  expect(text).toContain('<svg');
  expect(text).toContain('<polyline');
  await ann.context().close();
});

test('drawing while the connection is down is kept and sent when it is back', async ({ browser }) => {
  // A server of this test's own, stopped and started again on its data.
  const server = new Server(Number(process.env.HUDDLE_E2E_BOARD_PORT ?? 3421));
  await server.start();
  const ann = await openBoard(browser, 'Oona', 'offline', server.base);
  const bob = await openBoard(browser, 'Otto', 'offline', server.base);
  try {
    await drag(bob, [100, 500], [300, 500]);
    await expectInk(ann, 200, 500, true);

    await server.stop();
    await expect(ann.getByTestId('connection-banner')).toContainText('Reconnecting');
    // Ann draws on; her page keeps it and says so.
    await drag(ann, [600, 300], [1000, 300]);
    await expectInk(ann, 800, 300, true);
    await expect(ann.getByTestId('board-status')).toContainText('Offline: 1 change');
    // Bob, offline too, erases his own line meanwhile.
    await bob.getByTestId('board-undo').click();
    await expectInk(bob, 200, 500, false);

    await server.start();
    await expect(ann.getByTestId('connection-banner')).toHaveCount(0, { timeout: 20_000 });
    await expect(bob.getByTestId('connection-banner')).toHaveCount(0, { timeout: 20_000 });
    // Both boards merge: Ann's line everywhere, Bob's gone everywhere.
    await expectInk(bob, 800, 300, true);
    await expectInk(ann, 200, 500, false);
    await expect(ann.getByTestId('board-status')).toHaveText('');
    // And it is stored: a new visitor sees the same.
    const cy = await openBoard(browser, 'Ozzy', 'offline', server.base);
    await expectInk(cy, 800, 300, true);
    await expectInk(cy, 200, 500, false);
    await cy.context().close();
  } finally {
    await ann.context().close();
    await bob.context().close();
    await server.stop();
  }
});
