import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect } from '../fixtures';
import { pages, uniqueEmail } from '../pages/account-pages';
import { DashboardPage } from '../pages/dashboard-page';
import { SendPage } from '../pages/send-page';

const prescription = Buffer.from('%PDF-1.7\n% Ordonnance\n' + 'a'.repeat(20_000) + '\n%%EOF\n');

/** Axe's WCAG 2.1 A and AA rules find nothing on the page as it is now; a screenshot of
 *  it is kept with the test's results, to be looked at. */
async function checked(page: Page, name: string): Promise<void> {
  await page.locator('body[data-hydrated="true"]').waitFor();
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(
    violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    name,
  ).toEqual([]);
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

for (const colorScheme of ['light', 'dark'] as const) {
  for (const width of [360, 1280]) {
    test(`every page passes axe at ${width} px in ${colorScheme} colours`, async ({ page, browser, baseURL }) => {
      test.setTimeout(60_000);
      await page.setViewportSize({ width, height: width === 360 ? 740 : 800 });
      await page.emulateMedia({ colorScheme });
      for (const path of ['/', '/login', '/register', '/send']) {
        await page.goto(path);
        await checked(page, `public${path.replace('/', '-')}`);
      }

      await pages(page).register.register('Pharmacie des Tilleuls', 'Camille Martin', uniqueEmail(`axe-${width}`));
      const dashboard = new DashboardPage(page);
      const code = await dashboard.createCode(2, 'Mme Blanc');

      // The patient's page in the same colours and width: open, then with a receipt.
      const phone = await browser.newContext({ baseURL, viewport: { width, height: 800 }, colorScheme });
      const send = new SendPage(await phone.newPage());
      await send.open('/send');
      await send.typeCode(code);
      await expect(send.pharmacyName).toHaveText('Pharmacie des Tilleuls');
      await checked(send.page, 'send-open');
      await send.choose([{ name: 'ordonnance.pdf', mimeType: 'application/pdf', buffer: prescription }]);
      await send.sendButton.click();
      await expect(send.receiptEntry('ordonnance.pdf')).toBeVisible();
      await checked(send.page, 'send-receipt');
      await phone.close();

      await expect(dashboard.documentRow('ordonnance.pdf')).toBeVisible({ timeout: 15_000 });
      await checked(page, 'dashboard');
      for (const path of ['/staff', '/audit', '/account', '/account/second-factor']) {
        await page.goto(path);
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        await checked(page, path.slice(1).replace('/', '-'));
      }
    });
  }
}
