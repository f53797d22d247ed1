import { test, expect, phone } from '../fixtures';
import { pages, uniqueEmail } from '../pages/account-pages';
import { DashboardPage } from '../pages/dashboard-page';

test.describe('on a 360-pixel phone', () => {
  test.use(phone);

  test('a pharmacist creates a code whose QR code leads to the upload page, then revokes it', async ({
    page,
    baseURL,
  }) => {
    await pages(page).register.register('Pharmacie de la Gare', 'Camille Martin', uniqueEmail('codes'));
    const dashboard = new DashboardPage(page);
    await expect(dashboard.lifetime).toHaveValue('24');
    const code = await dashboard.createCode(2, 'Mme Durand');
    expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/);
    expect(await dashboard.readQrCode()).toMatch(new RegExp(`^${baseURL}/t/[A-Za-z0-9_-]{22}$`));
    await expect(page.getByText('Scannez ce QR code')).toBeVisible();
    await expect(page.getByText('Scan this QR code')).toBeVisible();

    const row = dashboard.codeRow(dashboard.activeCodes, code);
    await expect(row).toContainText('Mme Durand');
    await expect(row).toContainText('0 / 2');
    page.once('dialog', (dialog) => dialog.accept());
    await row.getByRole('button', { name: 'Révoquer' }).click();
    await expect(dashboard.codeRow(dashboard.codeHistory, code)).toContainText('Révoqué');
    await expect(dashboard.codeRow(dashboard.activeCodes, code)).toHaveCount(0);
  });
});
