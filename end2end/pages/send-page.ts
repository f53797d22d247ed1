import { Locator } from '@playwright/test';
import { AppPage } from './app-page';

export interface ChosenFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

// The patient's page: the code form, the file picker, the list of chosen files and the
// receipt.
export class SendPage extends AppPage {
  readonly codeField = this.page.getByLabel('Code de transfert');
  readonly pharmacyName = this.page.locator('.pharmacy-name');
  readonly remaining = this.page.locator('.remaining');
  readonly chosenFiles = this.page.locator('.chosen-file');
  readonly sendButton = this.page.getByRole('button', { name: 'Envoyer', exact: true });
  readonly receipt = this.page.getByRole('region', { name: "Reçu d'envoi" });

  async typeCode(code: string): Promise<void> {
    await this.codeField.fill(code);
    await this.page.getByRole('button', { name: 'Continuer' }).click();
  }

  async choose(files: ChosenFile[]): Promise<void> {
    await this.page.locator('#choose-files').setInputFiles(files);
  }

  // A photo taken with the phone's camera: the next page of the document being put
  // together.
  async takePhoto(file: ChosenFile): Promise<void> {
    await this.page.locator('#take-photo').setInputFiles(file);
  }

  chosen(name: string): Locator {
    return this.chosenFiles.filter({ hasText: name });
  }

  receiptEntry(name: string): Locator {
    return this.receipt.getByRole('listitem').filter({ hasText: name });
  }
}
