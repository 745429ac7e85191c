// A first visit over a typical link: a cold cache, 10 Mbit/s each way and
// 40 ms of round trip (Chromium's network emulation). The test checks what
// the server promises (the client's files come compressed, under hashed
// names kept for a year, so a second visit takes them from the cache) and
// prints what crossed the link and how long the login form took to work,
// for docs/performance.md. It asserts no time: a shared machine's timings
// are figures, not facts.
import { test, expect, type CDPSession } from '@playwright/test';
import { joinAsGuest, messages, unique } from './people';

const MBIT_PER_S = 1_000_000 / 8; // bytes per second

type Transfer = {
  url: string;
  status: number;
  encoding: string | null;
  cacheControl: string | null;
  /// Bytes on the wire, headers included (0 when served from the cache).
  wire: number;
  fromCache: boolean;
};

/// Every response of the page while `visit` runs, with its bytes on the wire.
async function recordTransfers(cdp: CDPSession, visit: () => Promise<void>) {
  const seen = new Map<string, Transfer>();
  const done = new Map<string, number>();
  const cached = new Set<string>();
  const onResponse = (e: any) => {
    const headers = Object.fromEntries(
      Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    seen.set(e.requestId, {
      url: e.response.url,
      status: e.response.status,
      encoding: headers['content-encoding'] ?? null,
      cacheControl: headers['cache-control'] ?? null,
      wire: 0,
      fromCache: Boolean(e.response.fromDiskCache || e.response.fromPrefetchCache),
    });
  };
  const onCached = (e: any) => cached.add(e.requestId);
  const onFinished = (e: any) => done.set(e.requestId, e.encodedDataLength);
  cdp.on('Network.responseReceived', onResponse);
  cdp.on('Network.requestServedFromCache', onCached);
  cdp.on('Network.loadingFinished', onFinished);
  try {
    await visit();
  } finally {
    // One visit's listeners only: the next visit records its own.
    cdp.off('Network.responseReceived', onResponse);
    cdp.off('Network.requestServedFromCache', onCached);
    cdp.off('Network.loadingFinished', onFinished);
  }
  return [...seen.entries()].map(([id, t]) => ({
    ...t,
    wire: done.get(id) ?? 0,
    fromCache: t.fromCache || cached.has(id),
  }));
}

/// Resolves when the chat's chunks of the WASM have arrived (the chat
/// view, what follows the chat): the page fetches them in the background
/// once the login form's module runs.
async function chatChunkLoaded(page: import('@playwright/test').Page) {
  await page.waitForFunction(
    () =>
      ['chat_view', 'follow_the_chat'].every((name) =>
        performance
          .getEntriesByType('resource')
          .some((e) => new RegExp(`^/pkg/split_${name}_[^/]+\\.wasm$`).test(new URL(e.name).pathname)),
      ),
    null,
    { polling: 100, timeout: 60_000 },
  );
}

/// Resolves when the login form works: the page is hydrated and connected
/// (the server-rendered "Connecting to the server…" banner is gone, which
/// only the browser code does) and the form is shown. Returns the time
/// since navigation started, read in the page on the frame it happened.
async function loginFormUsable(page: import('@playwright/test').Page): Promise<number> {
  const handle = await page.waitForFunction(
    () =>
      document.querySelector('[data-testid="tab-login"]') !== null &&
      document.querySelector('[data-testid="connection-banner"]') === null &&
      performance.now(),
    null,
    { polling: 'raf', timeout: 60_000 },
  );
  return (await handle.jsonValue()) as number;
}

test('a first visit moves the client compressed; a second takes it from the cache', async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.clearBrowserCache');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 40,
    downloadThroughput: 10 * MBIT_PER_S,
    uploadThroughput: 10 * MBIT_PER_S,
  });

  let usableMs = 0;
  const first = await recordTransfers(cdp, async () => {
    await page.goto('/', { waitUntil: 'commit' });
    usableMs = await loginFormUsable(page);
    await chatChunkLoaded(page);
  });
  const pkg = first.filter((t) => new URL(t.url).pathname.startsWith('/pkg/'));
  // The login form's module (the chat view's code is a chunk of its own).
  const wasm = pkg.find((t) => /^\/pkg\/huddle\.[^/]+\.wasm$/.test(new URL(t.url).pathname));
  const js = pkg.find((t) => t.url.endsWith('.js'));
  const css = pkg.find((t) => t.url.endsWith('.css'));
  const total = first.reduce((sum, t) => sum + t.wire, 0);
  const summary = {
    usableMs: Math.round(usableMs),
    totalBytes: total,
    files: first
      .filter((t) => t.wire > 0)
      .map((t) => `${new URL(t.url).pathname} ${t.status} ${t.encoding ?? 'identity'} ${t.wire}`),
  };
  console.log(`first load at 10 Mbit/s, 40 ms: ${JSON.stringify(summary, null, 2)}`);
  test.info().annotations.push({ type: 'first-load', description: JSON.stringify(summary) });

  // Nothing the page asks for is missing (the icon was a 404 once).
  expect(first.filter((t) => t.status >= 400).map((t) => `${t.status} ${t.url}`)).toEqual([]);
  // The emoji list waits until the picker or `:` needs it.
  expect(first.map((t) => new URL(t.url).pathname)).not.toContain('/api/emoji');
  for (const file of [wasm, js, css]) {
    expect(file, 'the page loads its wasm, js and css from /pkg/').toBeDefined();
    // Hashed names (huddle.<22 characters of base64url>.ext), kept a year.
    expect(new URL(file!.url).pathname).toMatch(/^\/pkg\/huddle\.[A-Za-z0-9_-]{22}\.(wasm|js|css)$/);
    expect(file!.cacheControl).toBe('public, max-age=31536000, immutable');
    expect(file!.status).toBe(200);
    // Precompressed at build time: brotli where the browser offers it
    // (Chromium does only over HTTPS), gzip otherwise.
    expect(['br', 'gzip']).toContain(file!.encoding);
  }

  // The chat view's code and what follows the chat on the connection came
  // as chunks of their own (cargo leptos --split), fetched after the form's
  // module, hashed and compressed too.
  for (const name of ['chat_view', 'follow_the_chat']) {
    const chunk = pkg.find((t) => new URL(t.url).pathname.startsWith(`/pkg/split_${name}_`));
    expect(chunk, `${name} is a chunk of its own`).toBeDefined();
    expect(new URL(chunk!.url).pathname).toMatch(
      new RegExp(`^/pkg/split_${name}_\\w+\\.[A-Za-z0-9_-]{22}\\.wasm$`),
    );
    expect(chunk!.cacheControl).toBe('public, max-age=31536000, immutable');
    expect(['br', 'gzip']).toContain(chunk!.encoding);
  }

  // A second visit, in the same browser: the hashed files come from the
  // cache without asking the server.
  const again = await recordTransfers(cdp, async () => {
    await page.goto('/', { waitUntil: 'commit' });
    await loginFormUsable(page);
    await chatChunkLoaded(page);
  });
  const pkgAgain = again.filter((t) => new URL(t.url).pathname.startsWith('/pkg/'));
  expect(pkgAgain.map((t) => new URL(t.url).pathname).sort()).toEqual(
    pkg.map((t) => new URL(t.url).pathname).sort(),
  );
  for (const file of pkgAgain) {
    expect(file.fromCache, `${file.url} from the cache`).toBe(true);
    expect(file.status).toBe(200);
  }
  await context.close();
});

test('joining before the chat\'s code has arrived waits for it, then misses nothing', async ({
  browser,
}) => {
  const context = await browser.newContext();
  // The chunks of the chat (its view, what follows it on the connection)
  // are held back until the guest has pressed Join.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held: string[] = [];
  await context.route(/\/pkg\/split_/, async (route) => {
    held.push(new URL(route.request().url()).pathname);
    await released;
    await route.continue();
  });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByTestId('connection-banner')).toHaveCount(0);
  const early = unique('Early');
  await page.getByTestId('tab-guest').click();
  await page.getByTestId('username').fill(early);
  await page.getByTestId('join').click();
  await expect.poll(() => held.some((p) => p.startsWith('/pkg/split_follow_the_chat_'))).toBe(true);

  // Not in the chat before the code that follows it is there: the form
  // says it is working, and nobody sees the guest yet.
  await expect(page.getByTestId('join')).toBeDisabled();
  await expect(page.getByTestId('join')).toHaveText('One moment…');
  const otherName = unique('Other');
  const other = await joinAsGuest(browser, otherName);
  await expect(other.getByTestId('user-list')).toContainText(otherName);
  await expect(other.getByTestId('user-list')).not.toContainText(early);

  release();
  await expect(page.getByTestId('me')).toHaveText(early);
  // Everything after the join is heard: the other person's list, their
  // message, and they see the guest arrive.
  await expect(other.getByTestId('user-list')).toContainText(early);
  await expect(page.getByTestId('user-list')).toContainText(otherName);
  const composer = other.getByTestId('composer');
  await composer.fill('Welcome, early one');
  await composer.press('Enter');
  await expect(messages(page).last()).toContainText('Welcome, early one');
  await context.close();
  await other.context().close();
});
