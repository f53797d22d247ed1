import { Locator, Page, Response } from '@playwright/test';

// Any page of the app: the shell around it, and waiting until it is interactive.
export class AppPage {
  readonly heading: Locator;
  readonly header: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1 });
    this.header = page.getByRole('banner');
  }

  // Opens `path` and waits for hydration: clicks before it would do nothing.
  async open(path = '/'): Promise<Response | null> {
    const response = await this.page.goto(path);
    await this.hydrated();
    return response;
  }

  // Waits until the page loaded last (by a link, a redirect or `open`) is interactive.
  async hydrated(): Promise<void> {
    await this.page.locator('body[data-hydrated="true"]').waitFor();
  }

  languageButton(name: 'Français' | 'English'): Locator {
    return this.header.getByRole('button', { name });
  }

  async switchLanguage(name: 'Français' | 'English'): Promise<void> {
    await this.languageButton(name).click();
  }

  async documentLanguage(): Promise<string | null> {
    return this.page.locator('html').getAttribute('lang');
  }

  navigationLink(name: string): Locator {
    return this.header.getByRole('navigation').getByRole('link', { name });
  }
}
