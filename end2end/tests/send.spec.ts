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

// A phone photo of a page carrying an e-prescription's QR code, made by
// tests/fixtures/images.rs (`page_photo(900, 1200, Some("2025-E2E-PAGE-0042"))`).
const pageWithCode = readFileSync(join(__dirname, '..', '..', 'tests', 'fixtures', 'page-with-qr.jpg'));
const scan = readFileSync(join(__dirname, '..', '..', 'tests', 'fixtures', 'scan-with-text.png'));

test('a patient photographs three pages, puts them in order and sends one document; the pharmacy sees a 3-page PDF and its QR code', async ({
  page,
  patientPage,
}) => {
  await pages(page).register.register('Pharmacie des Tilleuls', 'Camille Martin', uniqueEmail('pages'));
  const dashboard = new DashboardPage(page);
  const code = await dashboard.createCode(1, 'Mme Roux');

  const send = new SendPage(patientPage);
  await send.open('/send');
  await send.typeCode(code);
  await expect(send.remaining).toHaveText('1');
  for (const file of [
    { name: 'IMG_1.jpg', mimeType: 'image/jpeg', buffer: photo },
    { name: 'IMG_2.png', mimeType: 'image/png', buffer: scan },
    { name: 'IMG_3.jpg', mimeType: 'image/jpeg', buffer: pageWithCode },
  ]) {
    await send.takePhoto(file);
  }
  await expect(send.chosenFiles).toHaveCount(1);
  const document = send.chosenFiles.first();
  await expect(document.locator('.file-name')).toHaveText('Ordonnance - 3 pages');
  await expect(document.getByRole('img', { name: /^Page \d$/ })).toHaveCount(3);
  const sources = async () =>
    Promise.all([1, 2, 3].map((n) => document.getByRole('img', { name: `Page ${n}`, exact: true }).getAttribute('src')));
  const [first, second, third] = await sources();

  // The page with the code goes first and the scan second, by touch, both ways.
  await document.getByRole('button', { name: 'Page 1 : descendre' }).tap();
  await document.getByRole('button', { name: 'Page 3 : monter' }).tap();
  await document.getByRole('button', { name: 'Page 2 : monter' }).tap();
  expect(await sources()).toEqual([third, second, first]);
  await expect(document.getByRole('button', { name: 'Page 1 : monter' })).toBeDisabled();
  await document.getByLabel('Nom du document').fill('Ordonnance Dr Bernard');

  await send.sendButton.tap();
  await expect(document.getByRole('status')).toHaveText('Envoyé');
  const entry = send.receiptEntry('Ordonnance Dr Bernard.pdf');
  await expect(entry.locator('.receipt-pages')).toHaveText('3 pages');
  await expect(entry).toContainText('Empreinte du PDF que le serveur a assemblé');
  await expect(send.remaining).toHaveText('0');

  // The pharmacist sees one PDF of 3 pages, the number its first page carries, and can
  // show that number again as a QR code for the scanner.
  const row = dashboard.documentRow('Ordonnance Dr Bernard.pdf');
  await expect(row).toContainText('3 pages', { timeout: 15_000 });
  await expect(row.locator('.found-code-text')).toHaveText('2025-E2E-PAGE-0042');
  await row.getByRole('button', { name: 'Afficher le QR code' }).click();
  await expect(row.getByRole('img', { name: /QR code trouvé dans le document/ }).locator('svg')).toBeVisible();

  // In the PDF the pages are in the patient's order: the JPEG with the code, the PNG
  // (deflated again), then the other JPEG.
  const href = await row.locator('a.document-name').getAttribute('href');
  const pdf = (await (await page.request.get(href!)).body()).toString('latin1');
  expect(pdf).toContain('/Count 3');
  const filters = [...pdf.matchAll(/\/Subtype \/Image[^]*?\/Filter \/(\w+)/g)].map((m) => m[1]);
  expect(filters).toEqual(['DCTDecode', 'FlateDecode', 'DCTDecode']);
});
