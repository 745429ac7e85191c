import { test, expect, type Page, type Browser } from '@playwright/test';

// The board's coordinate space (src/protocol/board.rs).
const W = 1600;
const H = 1000;

async function openBoard(browser: Browser, name: string, room: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await joinAndOpen(page, name, room);
  return page;
}

async function joinAndOpen(page: Page, name: string, room: string) {
  await page.goto('/');
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

/// Drags the mouse over the board from `from` to `to` (board units).
async function drag(page: Page, from: [number, number], to: [number, number]) {
  const box = await page.getByTestId('board-canvas').boundingBox();
  if (!box) throw new Error('no canvas');
  const at = (p: [number, number]): [number, number] => [
    box.x + (p[0] / W) * box.width,
    box.y + (p[1] / H) * box.height,
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
  return page.getByTestId('board-canvas').evaluate(
    (canvas: HTMLCanvasElement, [x, y, w, h]) => {
      const ctx = canvas.getContext('2d');
      if (!ctx) return false;
      const px = Math.round((x / w) * canvas.width) - 3;
      const py = Math.round((y / h) * canvas.height) - 3;
      const data = ctx.getImageData(px, py, 7, 7).data;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] + data[i + 1] + data[i + 2] < 600) return true;
      }
      return false;
    },
    [x, y, W, H],
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
