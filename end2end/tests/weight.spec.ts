import type { Browser, BrowserContextOptions, Page, Response } from '@playwright/test';
import { test, expect, phone } from '../fixtures';
import { pages, uniqueEmail } from '../pages/account-pages';
import { DashboardPage } from '../pages/dashboard-page';

// What a first visit costs a phone, in bytes as they travel (compressed), and whether
// a page moves while it loads and hydrates. The budgets hold what the release build
// reaches today, so that a change that makes a page heavier fails here; the README's
// "Page weight" says how far they are from issue 15's targets.
const budget = { patient: 431_000, login: 335_000, dashboard: 482_000 };

interface Download {
  bytes: number;
  encoding: string;
  /** Sent as a file compressed at build time: its length is known, unlike a stream
   *  the server compresses as it goes. */
  precompressed: boolean;
  cacheControl: string;
}

/** Runs `visit`, then waits until the page is hydrated and the network is quiet. */
async function loaded(page: Page, visit: () => Promise<unknown>): Promise<void> {
  await visit();
  await page.locator('body[data-hydrated="true"]').waitFor();
  await page.waitForLoadState('networkidle');
}

/** Every answer the browser received while `visit` ran, with its size on the wire. */
async function downloads(page: Page, visit: () => Promise<unknown>): Promise<Map<string, Download>> {
  const sizes = new Map<string, Download>();
  const measured: Promise<void>[] = [];
  const onResponse = (response: Response) =>
    measured.push(
      response
        .request()
        .sizes()
        .then(({ responseBodySize }) => {
          const url = new URL(response.url());
          const headers = response.headers();
          const encoding = headers['content-encoding'] ?? 'identity';
          const precompressed = encoding === 'br' && headers['content-length'] !== undefined;
          sizes.set(`${response.request().method()} ${url.pathname}`, {
            bytes: responseBodySize,
            encoding,
            precompressed,
            cacheControl: headers['cache-control'] ?? '',
          });
        }),
    );
  page.on('response', onResponse);
  await loaded(page, visit);
  page.off('response', onResponse);
  await Promise.all(measured);
  return sizes;
}

/** Prints what a visit downloaded, and checks its total against `limit`. */
function weigh(name: string, sizes: Map<string, Download>, limit: number): void {
  const total = [...sizes.values()].reduce((sum, { bytes }) => sum + bytes, 0);
  const lines = [...sizes].map(([what, { bytes, encoding }]) => `  ${String(bytes).padStart(9)}  ${encoding.padEnd(8)}  ${what}`);
  console.log(`${name}: ${total} bytes\n${lines.join('\n')}`);
  expect(total, `${name}: at most ${limit} bytes`).toBeLessThanOrEqual(limit);
}

/** A browser with nothing cached, as on a first visit. */
async function freshPage(browser: Browser, options: BrowserContextOptions): Promise<Page> {
  const context = await browser.newContext(options);
  return context.newPage();
}

test('a first visit of each main page stays within its weight budget', async ({ page, browser, baseURL }) => {
  test.setTimeout(60_000);
  const visitor = await freshPage(browser, { ...phone, baseURL });
  weigh('login page (/login)', await downloads(visitor, () => visitor.goto('/login')), budget.login);
  await visitor.context().close();

  await pages(page).register.register('Pharmacie du Port', 'Inès Caron', uniqueEmail('weight'));
  const dashboard = new DashboardPage(page);
  await dashboard.createCode(1, '');
  const link = await dashboard.readQrCode();
  expect(link).toContain('/t/');
  const staff = await freshPage(browser, { baseURL, storageState: await page.context().storageState() });
  weigh('dashboard (/dashboard)', await downloads(staff, () => staff.goto('/dashboard')), budget.dashboard);
  await staff.context().close();

  const patient = await freshPage(browser, { ...phone, baseURL });
  const send = await downloads(patient, () => patient.goto(link!));
  await expect(patient.locator('.pharmacy-name')).toHaveText('Pharmacie du Port');
  weigh('patient page (/send, opened from the QR code)', send, budget.patient);
  await patient.context().close();

  // The page's code and style come as compressed at build time, at brotli's best, and
  // a browser asks whether they changed before using them again: after an upgrade, a
  // page must not start the old build's code with the new build's modules.
  const assets = [...send].filter(([what]) => what.includes('/pkg/'));
  expect(assets.length).toBeGreaterThan(3);
  for (const [what, { precompressed, cacheControl }] of assets) {
    expect(precompressed, `${what} is precompressed`).toBe(true);
    expect(cacheControl, `${what} is checked before reuse`).toBe('no-cache');
  }
  expect(send.get('GET /send')?.cacheControl, 'the page, with health data, is never kept').toBe('no-store');
  const code = await page.request.get('/pkg/santhium.wasm');
  expect(code.headers()['vary'], 'caches keep the brotli and plain copies apart').toContain('accept-encoding');
  const unchanged = await page.request.get('/pkg/santhium.wasm', {
    headers: { 'if-modified-since': code.headers()['last-modified'] },
  });
  expect(unchanged.status(), 'an unchanged file is not sent again').toBe(304);
});

/** Layout shifts since the page began loading, with the elements that moved. */
async function layoutShifts(page: Page): Promise<{ score: number; moved: string[] }> {
  // A frame after the last change, so the browser has reported every shift.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  return page.evaluate(() => {
    const shifts = (window as unknown as { layoutShifts: { value: number; moved: string[] }[] }).layoutShifts;
    return {
      score: shifts.reduce((sum, shift) => sum + shift.value, 0),
      moved: shifts.flatMap((shift) => shift.moved),
    };
  });
}

// Retried: once, in a CI run, the header's links on /dashboard at 1280 px moved by 0.009
// (issue 15's note; not seen in 16 runs since); a shift on every run still fails.
test.describe.configure({ retries: 2 });

for (const viewport of [phone.viewport, { width: 1280, height: 800 }]) {
  test(`no page moves while it loads and hydrates at ${viewport.width} px`, async ({ page, browser, baseURL }) => {
    test.setTimeout(60_000);
    // Recorded from the start of every page load, before any script of the page runs.
    const recordShifts = () => {
      const shifts: { value: number; moved: string[] }[] = [];
      (window as unknown as { layoutShifts: typeof shifts }).layoutShifts = shifts;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as unknown as {
          value: number;
          hadRecentInput: boolean;
          sources: { node?: Node }[];
        }[]) {
          if (entry.hadRecentInput) continue;
          const moved = entry.sources.map((source) => {
            const node = source.node as Element | undefined;
            return node?.outerHTML?.slice(0, 120) ?? node?.nodeName ?? '?';
          });
          shifts.push({ value: entry.value, moved });
        }
      }).observe({ type: 'layout-shift', buffered: true });
    };
    await page.setViewportSize(viewport);
    await page.addInitScript(recordShifts);
    const stable = async (target: Page, path: string, load: () => Promise<unknown>) => {
      await loaded(target, load);
      const { score, moved } = await layoutShifts(target);
      expect({ path, score, moved }).toEqual({ path, score: 0, moved: [] });
    };

    for (const path of ['/', '/login', '/register', '/send', '/page-that-does-not-exist']) {
      await stable(page, path, () => page.goto(path));
    }
    await pages(page).register.register('Pharmacie du Marché', 'Hugo Lemaire', uniqueEmail(`cls-${viewport.width}`));
    const dashboard = new DashboardPage(page);
    await dashboard.createCode(1, '');
    const link = (await dashboard.readQrCode())!;
    for (const path of ['/dashboard', '/staff', '/audit', '/account', '/account/password', '/account/second-factor']) {
      await stable(page, path, () => page.goto(path));
    }

    const patient = await freshPage(browser, { baseURL, viewport, isMobile: viewport.width < 600 });
    await patient.addInitScript(recordShifts);
    await stable(patient, '/send (from the QR code)', () => patient.goto(link));
    await patient.context().close();
  });
}
