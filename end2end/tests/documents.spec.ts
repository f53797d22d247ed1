import { readFileSync } from 'node:fs';
import { test, expect } from '../fixtures';
import { pages, uniqueEmail } from '../pages/account-pages';
import { DashboardPage } from '../pages/dashboard-page';
import { SendPage } from '../pages/send-page';

const prescription = Buffer.from('%PDF-1.7\n% Ordonnance du Dr Bernard\n' + 'y'.repeat(200_000) + '\n%%EOF\n');
const scan = readFileSync(`${__dirname}/../../tests/fixtures/scan-with-text.png`);

test('documents a patient sends appear in the open dashboard, download intact, preview, show as viewed and can be deleted', async ({
  page,
  patientPage,
}) => {
  await pages(page).register.register('Pharmacie du Marché', 'Camille Martin', uniqueEmail('documents'));
  const dashboard = new DashboardPage(page);
  const code = await dashboard.createCode(2, 'Mme Leroy');
  await expect(dashboard.newCount).toHaveText('0 nouveau(x)');

  const send = new SendPage(patientPage);
  await patientPage.goto((await dashboard.readQrCode())!);
  await patientPage.locator('body[data-hydrated="true"]').waitFor();
  await send.choose([
    { name: 'ordonnance.pdf', mimeType: 'application/pdf', buffer: prescription },
    { name: 'scan.png', mimeType: 'image/png', buffer: scan },
  ]);
  await send.sendButton.click();
  await expect(send.receipt.getByRole('listitem')).toHaveCount(2);

  // No reload: the dashboard asks for news by itself.
  await expect(dashboard.documentRow('ordonnance.pdf')).toBeVisible({ timeout: 15_000 });
  await expect(dashboard.newCount).toHaveText('2 nouveau(x)');
  await expect(page).toHaveTitle('(2) Santhium');
  const row = dashboard.documentRow('ordonnance.pdf');
  await expect(row).toContainText(code);
  await expect(row).toContainText('Mme Leroy');
  await expect(row).toContainText('Nouveau');
  // One page: no pager.
  await expect(page.getByRole('button', { name: 'Suivants' })).toBeHidden();
  await expect(page.getByRole('button', { name: 'Précédents' })).toBeHidden();

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('link', { name: 'Télécharger ordonnance.pdf' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('ordonnance.pdf');
  expect(readFileSync((await download.path())!)).toEqual(prescription);
  await expect(row).toContainText('Consulté par Camille Martin', { timeout: 15_000 });
  await expect(dashboard.newCount).toHaveText('1 nouveau(x)');

  // Both preview from the preview origin, inside the dashboard: the PDF in the
  // browser's PDF viewer, the scan as an image.
  const framed = page.frameLocator('.preview iframe');
  await row.getByRole('button', { name: 'Aperçu' }).click();
  const pdfPreview = page.getByRole('dialog', { name: 'Aperçu de ordonnance.pdf' });
  expect(await pdfPreview.locator('iframe').getAttribute('src')).toMatch(/^http:\/\/localhost:3100\/preview\//);
  // Chromium's PDF viewer is a frame of its own inside the preview's.
  const pdfViewer = () => page.frames().some((frame) => frame.url().startsWith('chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/'));
  await expect.poll(pdfViewer).toBe(true);
  await pdfPreview.getByRole('button', { name: "Fermer l'aperçu" }).click();
  await expect(pdfPreview).toHaveCount(0);

  const other = dashboard.documentRow('scan.png');
  await other.getByRole('button', { name: 'Aperçu' }).click();
  const preview = page.getByRole('dialog', { name: 'Aperçu de scan.png' });
  await expect(preview).toBeVisible();
  const image = framed.locator('img');
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await expect(preview.getByRole('button', { name: "Fermer l'aperçu" })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(preview).toHaveCount(0);
  await expect(other).toContainText('Consulté par Camille Martin');

  // Both came with the same code; a click on it narrows the list to that code.
  await other.getByRole('button', { name: code }).click();
  await expect(page.getByRole('button', { name: 'Tous les codes' })).toBeVisible();
  await expect(dashboard.documents.getByRole('listitem')).toHaveCount(2);
  await page.getByRole('button', { name: 'Tous les codes' }).click();

  // Mark by hand, then delete the scan.
  await other.getByRole('button', { name: 'Marquer comme nouveau' }).click();
  await expect(other).toContainText('Nouveau');
  await other.getByRole('checkbox').check();
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Supprimer la sélection (1)' }).click();
  await expect(other).toHaveCount(0);
  await expect(dashboard.documentRow('ordonnance.pdf')).toBeVisible();
});
