import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect } from '../fixtures';
import { pages, uniqueEmail } from '../pages/account-pages';
import { DashboardPage } from '../pages/dashboard-page';

/** The rows of a CSV file, quotes and doubled quotes understood. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += c;
    }
  }
  return rows;
}

/** Clicks the export link; returns the rows of the CSV file, its header checked. */
async function exportCsv(page: Page): Promise<string[][]> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Exporter en CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('santhium-audit.csv');
  const text = readFileSync((await download.path())!, 'utf8');
  expect(text.startsWith('\ufeff')).toBe(true);
  const [header, ...rows] = parseCsv(text.slice(1));
  expect(header).toEqual([
    'time (UTC)',
    'user',
    'email',
    'ip',
    'action',
    'action (words)',
    'object type',
    'object id',
    'object',
    'details',
    'event',
  ]);
  return rows;
}

test('the admin reads the audit trail in words and exports it as CSV', async ({ page }) => {
  await pages(page).register.register('Pharmacie du Port', 'Camille Martin', uniqueEmail('audit'));
  const code = await new DashboardPage(page).createCode(1, '');
  await page.getByRole('banner').getByRole('link', { name: "Journal d'audit" }).click();
  await expect(page).toHaveURL('/audit');
  const events = page.getByTestId('audit-events');
  const created = events.getByRole('listitem').filter({ hasText: 'Code créé' });
  await expect(created).toContainText('Camille Martin');
  await expect(created).toContainText(code);
  await expect(events).not.toContainText('code_created');
  await expect(events).not.toContainText('transfer_code');
  await page.getByLabel('Action').selectOption({ label: 'Pharmacie inscrite' });
  await expect(events.getByRole('listitem')).toHaveCount(1);
  await expect(events).toContainText('Pharmacie du Port');
  await expect(page.getByRole('button', { name: 'Suivants' })).toBeHidden();

  // The export follows the page's filter.
  const filtered = await exportCsv(page);
  expect(filtered.map((row) => row[4])).toEqual(['pharmacy_registered']);

  await page.getByLabel('Action').selectOption('');
  const rows = await exportCsv(page);
  const actions = rows.map((row) => row[4]);
  expect(actions).toContain('pharmacy_registered');
  expect(actions).toContain('code_created');
  const codeCreated = rows.find((row) => row[4] === 'code_created')!;
  expect(codeCreated[1]).toBe('Camille Martin');
  expect(codeCreated[5]).toBe('Code créé');
  expect(codeCreated[6]).toBe('transfer_code');
  expect(codeCreated[8]).toBe(code);
});
