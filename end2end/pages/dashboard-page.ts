import { expect, Locator } from '@playwright/test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { AppPage } from './app-page';

export class DashboardPage extends AppPage {
  readonly newCode = this.page.getByTestId('new-code');
  readonly qrCode = this.page.getByRole('img', { name: "QR code menant à la page d'envoi de documents" });
  readonly activeCodes = this.page.getByTestId('active-codes');
  readonly codeHistory = this.page.getByTestId('code-history');
  readonly documents = this.page.getByTestId('documents');
  readonly newCount = this.page.getByTestId('new-count');

  readonly lifetime = this.page.getByLabel('Durée de validité');

  /** Creates a code and returns it as shown. */
  async createCode(documents: number, note: string): Promise<string> {
    await this.page.getByLabel('Nombre de documents').selectOption(String(documents));
    await this.page.getByLabel('Note (facultative)').fill(note);
    await this.page.getByRole('button', { name: 'Créer le code' }).click();
    await expect(this.newCode).toBeVisible();
    return (await this.newCode.textContent())!.trim();
  }

  /** What the rendered QR code says, read back from a screenshot of it. */
  async readQrCode(): Promise<string | undefined> {
    const png = PNG.sync.read(await this.qrCode.screenshot());
    return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
  }

  documentRow(name: string): Locator {
    return this.documents.getByRole('listitem').filter({ hasText: name });
  }

  codeRow(list: Locator, code: string): Locator {
    return list.locator('li', { hasText: code });
  }
}
