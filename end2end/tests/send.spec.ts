import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from '@playwright/test';
import { test, expect } from '../fixtures';
import { pages, uniqueEmail } from '../pages/account-pages';
import { DashboardPage } from '../pages/dashboard-page';
import { SendPage } from '../pages/send-page';

const prescription = Buffer.from(
  '%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% Ordonnance : amoxicilline 1 g, 3 fois par jour\n' +
    'x'.repeat(400_000) +
    '\n%%EOF\n',
);
const photo = readFileSync(join(__dirname, '..', '..', 'tests', 'fixtures', 'photo-with-gps.jpg'));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('a patient scans the QR code, sends a PDF and a photo, and keeps a receipt; the pharmacy sees the code used', async ({
  page,
  patientPage,
  baseURL,
}) => {
  await pages(page).register.register('Pharmacie des Quais', 'Camille Martin', uniqueEmail('send'));
  const dashboard = new DashboardPage(page);
  const code = await dashboard.createCode(2, 'M. Petit');
  const link = await dashboard.readQrCode();
  expect(link).toMatch(new RegExp(`^${baseURL}/t/[A-Za-z0-9_-]{22}$`));
  expect(link).not.toContain(code);

  // The phone follows the QR code's link and lands on a clean address.
  const send = new SendPage(patientPage);
  await patientPage.goto(link!);
  await expect(patientPage).toHaveURL(`${baseURL}/send`);
  await patientPage.locator('body[data-hydrated="true"]').waitFor();
  await expect(send.pharmacyName).toHaveText('Pharmacie des Quais');
  await expect(send.remaining).toHaveText('2');
  await expect(patientPage.locator('#take-photo')).toHaveAttribute('capture', 'environment');

  // A file of another type is refused in the browser, and can be removed.
  await send.choose([{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes') }]);
  await expect(send.chosen('notes.txt')).toContainText("Ce type de fichier n'est pas accepté");
  await expect(send.sendButton).toHaveCount(0);
  await send.chosen('notes.txt').getByRole('button', { name: 'Retirer' }).click();
  await expect(send.chosenFiles).toHaveCount(0);

  await send.choose([
    { name: 'ordonnance.pdf', mimeType: 'application/pdf', buffer: prescription },
    { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: photo },
  ]);
  await expect(send.chosenFiles).toHaveCount(2);
  await expect(send.chosen('photo.jpg').locator('img.thumbnail')).toBeVisible();
  await expect(send.chosen('ordonnance.pdf')).toContainText('PDF');
  await send.sendButton.click();

  for (const [name, bytes] of [
    ['ordonnance.pdf', prescription],
    ['photo.jpg', photo],
  ] as const) {
    await expect(send.chosen(name).getByRole('progressbar')).toHaveAttribute('value', '100');
    await expect(send.chosen(name).getByRole('status')).toHaveText('Envoyé');
    const entry = send.receiptEntry(name);
    await expect(entry.locator('.receipt-sha256')).toHaveText(sha256(bytes));
    await expect(entry.locator('.receipt-reference')).toHaveText(/^[0-9A-F]{10}$/);
  }
  await expect(send.remaining).toHaveText('0');
  await expect(send.receipt).toContainText('supprimés automatiquement au bout de 30 jours');
  await expect(send.receipt.getByRole('button', { name: 'Imprimer ou enregistrer le reçu' })).toBeVisible();

  // The open dashboard moves the code to the history by itself.
  const used = dashboard.codeRow(dashboard.codeHistory, code);
  await expect(used).toContainText('Utilisé', { timeout: 15_000 });
  await expect(used).toContainText('2 / 2');
});

test('a wrong code, typed or in a link, gets one clear message in the language chosen', async ({ page }) => {
  const send = new SendPage(page);
  await send.open('/send');
  await send.typeCode('zzz-zzz');
  await expect(page.getByRole('alert').filter({ hasText: 'Code invalide ou expiré.' }).first()).toBeVisible();

  await send.switchLanguage('English');
  await expect(page.getByText('Invalid or expired code.').first()).toBeVisible();

  // A link that opens nothing says what to do next.
  await page.goto('/t/ZZZZZZZZZZZZZZZZZZZZZZ');
  await expect(page).toHaveURL('/send?link=invalid');
  await expect(page.getByText('This code can no longer be used. Ask your pharmacy for a new code.').first()).toBeVisible();
});

test('while someone guesses codes, a patient typing theirs gets in after a short check by the phone', async ({
  page,
  patientPage,
}) => {
  await pages(page).register.register('Pharmacie du Canal', 'Camille Martin', uniqueEmail('work'));
  const code = await new DashboardPage(page).createCode(1, 'Mme Roux');

  // Wrong guesses spend the hourly budget of failed look-ups (three on this server).
  const send = new SendPage(patientPage);
  await send.open('/send');
  const lookUp = (response: Response) => new URL(response.url()).pathname.startsWith('/api/open_transfer_code');
  for (const guess of ['AAAAAA', 'BBBBBB', 'CCCCCC', 'DDDDDD']) {
    // Its final answer, after a proof of work once the budget is spent: the next
    // look-up must not be taken for this one.
    const refused = patientPage.waitForResponse((response) => lookUp(response) && response.status() === 400);
    await send.typeCode(guess);
    await refused;
    await expect(patientPage.getByRole('alert').filter({ hasText: 'Code invalide ou expiré.' }).first()).toBeVisible();
  }
  const answers: number[] = [];
  patientPage.on('response', (response) => {
    if (lookUp(response)) answers.push(response.status());
  });
  await send.typeCode(code.toLowerCase());
  await expect(send.pharmacyName).toHaveText('Pharmacie du Canal');
  expect(answers).toEqual([429, 200]);
});
