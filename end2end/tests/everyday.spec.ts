import type { Locator, Page } from '@playwright/test';
import { test, expect } from '../fixtures';
import { pages, uniqueEmail } from '../pages/account-pages';
import { DashboardPage } from '../pages/dashboard-page';
import { SendPage } from '../pages/send-page';

const prescription = Buffer.from('%PDF-1.7\n% Ordonnance\n' + 'z'.repeat(50_000) + '\n%%EOF\n');

/** A moment as the pages show it, `dd/mm/yyyy hh:mm`, in `zone`. */
function shownIn(zone: string, at: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('day')}/${part('month')}/${part('year')} ${part('hour')}:${part('minute')}`;
}

/** The times a clock in `zone` may show for a moment `hours` from now, seen a few
 *  seconds either side (the minute may turn meanwhile). */
function expectedTimes(zone: string, hours: number): RegExp {
  const now = Date.now() + hours * 3_600_000;
  const shown = [-60_000, 0, 60_000].map((shift) => shownIn(zone, new Date(now + shift)));
  return new RegExp(shown.map((s) => s.replace(/\//g, '\\/')).join('|'));
}

/** The WCAG contrast ratio between an element's text and the background behind it. */
async function contrast(element: Locator): Promise<number> {
  return element.evaluate((node) => {
    const rgb = (css: string) => css.match(/[\d.]+/g)!.slice(0, 4).map(Number);
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const colour = rgb(getComputedStyle(el).backgroundColor);
        if (colour.length < 4 || colour[3] > 0) return colour;
      }
      return [255, 255, 255];
    };
    const luminance = ([r, g, b]: number[]) => {
      const [R, G, B] = [r, g, b].map((v) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * R + 0.7152 * G + 0.0722 * B;
    };
    const [a, b] = [luminance(rgb(getComputedStyle(node).color)), luminance(background(node))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}

async function registered(page: Page, who: string): Promise<DashboardPage> {
  await pages(page).register.register(`Pharmacie ${who}`, 'Camille Martin', uniqueEmail(who));
  return new DashboardPage(page);
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`the header's controls read clearly on the header (${colorScheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme });
    await registered(page, `contraste-${colorScheme}`);
    const header = page.getByRole('banner');
    const logOut = header.getByRole('button', { name: 'Se déconnecter' });
    await expect(logOut).toBeVisible();
    expect(await contrast(logOut)).toBeGreaterThanOrEqual(4.5);
    expect(await contrast(header.getByRole('link', { name: 'Tableau de bord' }))).toBeGreaterThanOrEqual(4.5);
    expect(await contrast(header.getByRole('button', { name: 'English' }))).toBeGreaterThanOrEqual(4.5);
  });
}

test.describe('with the browser in another time zone', () => {
  test.use({ timezoneId: 'Pacific/Honolulu' });

  test("times show in the pharmacy's time zone, which its admin can change", async ({ page }) => {
    const dashboard = await registered(page, 'fuseau');
    await dashboard.lifetime.selectOption('4');
    const code = await dashboard.createCode(1, '');
    const row = dashboard.codeRow(dashboard.activeCodes, code);
    await expect(row).toContainText(expectedTimes('Europe/Paris', 4));
    await expect(page.getByRole('status').filter({ hasText: 'Valable jusqu' })).toContainText('(Europe/Paris)');

    await page.goto('/staff');
    const zone = page.getByLabel('Fuseau horaire de la pharmacie');
    await expect(zone).toHaveValue('Europe/Paris');
    await zone.selectOption('America/Martinique');
    await page.locator('form', { has: zone }).getByRole('button', { name: 'Enregistrer' }).click();
    await expect(zone).toHaveValue('America/Martinique');

    await page.getByRole('banner').getByRole('link', { name: 'Tableau de bord' }).click();
    await expect(dashboard.codeRow(dashboard.activeCodes, code)).toContainText(expectedTimes('America/Martinique', 4));
  });
});

test('after "Créer le code" the sheet is in view, the form is cleared, and the sheet says when the code is used', async ({
  page,
  patientPage,
}) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const dashboard = await registered(page, 'fiche');
  const code = await dashboard.createCode(1, 'M. Lambert');
  await expect(dashboard.newCode).toBeInViewport();
  await expect(page.getByLabel('Note (facultative)')).toHaveValue('');
  const sheet = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Code à remettre au patient' }) });
  await expect(sheet).toContainText('127.0.0.1:3100/send');
  await expect(sheet.getByRole('button', { name: 'Imprimer la fiche patient' })).toBeVisible();

  const send = new SendPage(patientPage);
  await send.open('/send');
  await send.typeCode(code);
  await send.choose([{ name: 'ordonnance.pdf', mimeType: 'application/pdf', buffer: prescription }]);
  await send.sendButton.click();
  await expect(send.receiptEntry('ordonnance.pdf')).toBeVisible();

  await expect(sheet).toContainText('Utilisé', { timeout: 15_000 });
  await expect(sheet).toContainText('Créez un nouveau code pour le prochain patient.');
  await expect(sheet.getByRole('button', { name: 'Imprimer la fiche patient' })).toHaveCount(0);
  await expect(dashboard.newCode).toHaveCount(0);
});

test('a patient who reloads after sending still sees the receipt, and another browser sees nothing of it', async ({
  page,
  patientPage,
  browser,
  baseURL,
}) => {
  const dashboard = await registered(page, 'rechargement');
  const code = await dashboard.createCode(1, '');
  const send = new SendPage(patientPage);
  await send.open('/send');
  await send.typeCode(code);
  // Instructions come before the buttons that choose files.
  const tips = patientPage.getByRole('list').filter({ hasText: 'Photographiez la page entière, à plat et bien éclairée.' });
  await expect(tips).toContainText("Les photos prises à la suite sont les pages d'un même document");
  const [tipsBox, photoBox] = [await tips.boundingBox(), await patientPage.getByText('Prendre une photo').boundingBox()];
  expect(tipsBox!.y).toBeLessThan(photoBox!.y);
  await send.choose([{ name: 'ordonnance.pdf', mimeType: 'application/pdf', buffer: prescription }]);
  await send.sendButton.click();
  await expect(send.receiptEntry('ordonnance.pdf')).toContainText('identique à celle calculée par votre téléphone');
  await expect(send.sendButton).toHaveCount(0);
  await expect(patientPage.getByText('Vos documents ont bien été envoyés.')).toBeVisible();
  const reference = await send.receiptEntry('ordonnance.pdf').locator('.receipt-reference').textContent();

  await patientPage.reload();
  await patientPage.locator('body[data-hydrated="true"]').waitFor();
  await expect(patientPage.getByText('Vos documents ont bien été envoyés.')).toBeVisible();
  await expect(patientPage.getByText('Code invalide ou expiré.')).toHaveCount(0);
  const entry = send.receiptEntry('ordonnance.pdf');
  await expect(entry.locator('.receipt-reference')).toHaveText(reference!);
  await expect(entry.getByText('Fichier', { exact: true })).toBeVisible();
  await expect(patientPage.getByText("Code valable jusqu'au :")).toBeVisible();
  // A new code from the pharmacy can be typed right there.
  await expect(patientPage.getByRole('heading', { name: 'Vous avez un autre code ?' })).toBeVisible();
  await expect(send.codeField).toBeEditable();

  // Someone else typing the same code learns nothing of what was sent.
  const other = await browser.newContext({ baseURL });
  const stranger = new SendPage(await other.newPage());
  await stranger.open('/send');
  await stranger.typeCode(code);
  await expect(stranger.page.getByRole('alert').filter({ hasText: 'Code invalide ou expiré.' }).first()).toBeVisible();
  await expect(stranger.page.getByText('ordonnance.pdf')).toHaveCount(0);
  await other.close();
});

test('http://localhost reaches the site at the same path', async ({ page }) => {
  await page.goto('http://localhost:3100/login');
  await expect(page).toHaveURL('http://127.0.0.1:3100/login');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Connexion pharmacien');
});

test('the staff page shows whether the second factor is required, and no email setting without email', async ({
  page,
}) => {
  await registered(page, 'equipe');
  await page.goto('/staff');
  const required = page.getByRole('checkbox', { name: "Exiger la double authentification pour toute l'équipe" });
  await expect(required).not.toBeChecked();
  // This server sends no email: the notification address is not offered.
  await expect(page.getByLabel('Adresse de notification')).toHaveCount(0);
  await expect(page.getByText('courriel')).toHaveCount(0);
  await expect(page.getByLabel('Adresse e-mail')).toBeVisible();
});

test('the dashboard can be installed as an app', async ({ page, request }) => {
  await page.goto('/');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  const manifest = await request.get(href!);
  expect(manifest.headers()['content-type']).toContain('application/manifest+json');
  const app = await manifest.json();
  expect(app).toMatchObject({ name: 'Santhium', start_url: '/dashboard', display: 'standalone' });
  for (const size of ['192x192', '512x512']) {
    const icon = app.icons.find((i: { sizes: string; purpose?: string }) => i.sizes === size && !i.purpose);
    const answer = await request.get(icon.src);
    expect(answer.headers()['content-type']).toBe('image/png');
  }
});

test('on a desktop the narrow cards are centred, and badges fit their text', async ({ page, patientPage }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/login');
  const card = await page.locator('.page.narrow').boundingBox();
  expect(Math.abs(card!.x - (1280 - card!.x - card!.width))).toBeLessThanOrEqual(2);

  const dashboard = await registered(page, 'badge');
  const code = await dashboard.createCode(1, '');
  const send = new SendPage(patientPage);
  await send.open('/send');
  await send.typeCode(code);
  await send.choose([{ name: 'ordonnance.pdf', mimeType: 'application/pdf', buffer: prescription }]);
  await send.sendButton.click();
  const badge = dashboard.documentRow('ordonnance.pdf').getByText('Nouveau', { exact: true });
  await expect(badge).toBeVisible({ timeout: 15_000 });
  expect((await badge.boundingBox())!.width).toBeLessThan(120);
});
