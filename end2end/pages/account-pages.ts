import { expect, Page } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { AppPage } from './app-page';

export const PASSWORD = 'vélo citron orage 92';
export const NEW_PASSWORD = 'marée basse au phare 17';

/** An email no other test uses, so tests can share one server. */
export function uniqueEmail(who: string): string {
  return `${who}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@pharmacie.example`;
}

/** The code an authenticator app shows, `steps` periods from now. */
export function totpCode(secret: string, steps = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  return totp.generate({ timestamp: Date.now() + steps * 30_000 });
}

export class RegisterPage extends AppPage {
  async register(pharmacy: string, fullName: string, email: string, password = PASSWORD): Promise<void> {
    await this.open('/register');
    await this.page.getByLabel('Nom de la pharmacie').fill(pharmacy);
    await this.page.getByLabel('Nom complet').fill(fullName);
    await this.page.getByLabel('Adresse e-mail').fill(email);
    await this.page.getByLabel('Mot de passe', { exact: true }).fill(password);
    await this.page.getByRole('button', { name: 'Créer le compte de la pharmacie' }).click();
    await expect(this.page).toHaveURL('/dashboard');
  }
}

export class LoginPage extends AppPage {
  readonly codeField = this.page.getByLabel('Code de vérification');

  async logIn(email: string, password: string): Promise<void> {
    await this.open('/login');
    await this.page.getByLabel('Adresse e-mail').fill(email);
    await this.page.getByLabel('Mot de passe', { exact: true }).fill(password);
    await this.page.getByRole('button', { name: 'Se connecter' }).click();
  }

  async enterCode(code: string): Promise<void> {
    await this.codeField.fill(code);
    await this.page.getByRole('button', { name: 'Vérifier' }).click();
  }

  async logOut(): Promise<void> {
    await this.header.getByRole('button', { name: 'Se déconnecter' }).click();
    await expect(this.page).toHaveURL('/login');
  }
}

export class ProSanteConnect extends AppPage {
  /** At the fake provider's page, signs in as the test professional named `who`, and
   * waits until the page the server sends the browser back to is interactive. */
  async signInAs(who: RegExp): Promise<void> {
    await expect(this.page.getByRole('heading', { name: 'Fake Pro Santé Connect' })).toBeVisible();
    await this.page.getByRole('button', { name: who }).click();
    await expect(this.page).not.toHaveURL(/\/auth\/realms\//);
    await this.hydrated();
  }

  /** From the login page, through the provider, as `who`. */
  async logIn(who: RegExp): Promise<void> {
    await this.open('/login');
    await this.page.getByRole('link', { name: 'Se connecter avec Pro Santé Connect' }).click();
    await this.signInAs(who);
  }
}

export class SecondFactorPage extends AppPage {
  /** Sets up TOTP; returns the key, the code that confirmed it, and the recovery codes shown once. */
  async setUp(): Promise<{ secret: string; confirmationCode: string; recoveryCodes: string[] }> {
    await this.open('/account/second-factor');
    await this.page.getByRole('button', { name: 'Configurer' }).click();
    await expect(this.page.getByRole('img', { name: /QR code/ }).locator('svg')).toBeVisible();
    const secret = (await this.page.getByTestId('totp-secret').textContent())!.trim();
    const confirmationCode = totpCode(secret);
    await this.page.getByLabel('Code de vérification').fill(confirmationCode);
    await this.page.getByRole('button', { name: 'Confirmer' }).click();
    const codes = this.page.locator('.codes code');
    await expect(codes).toHaveCount(10);
    const recoveryCodes = await codes.allTextContents();
    await this.page.getByRole('button', { name: "J'ai conservé mes codes" }).click();
    await expect(this.page).toHaveURL('/account');
    return { secret, confirmationCode, recoveryCodes };
  }
}

export class PasswordPage extends AppPage {
  async change(current: string, next: string): Promise<void> {
    await this.page.getByLabel('Mot de passe actuel').fill(current);
    await this.page.getByLabel('Nouveau mot de passe').fill(next);
    await this.page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  }
}

export class StaffPage extends AppPage {
  /** Creates an account (linked to Pro Santé Connect when `rpps` is given) and returns its temporary password. */
  async createStaff(fullName: string, email: string, rpps = ''): Promise<string> {
    await this.open('/staff');
    await this.page.getByLabel('Nom complet').fill(fullName);
    await this.page.getByLabel('Adresse e-mail').fill(email);
    await this.page.getByLabel('N° RPPS (Pro Santé Connect)').fill(rpps);
    await this.page.getByLabel('Rôle').selectOption({ label: 'Pharmacien' });
    await this.page.getByRole('button', { name: 'Créer le compte' }).click();
    const password = this.page.getByTestId('temporary-password');
    await expect(password).toBeVisible();
    return (await password.textContent())!.trim();
  }

  member(email: string) {
    return this.page.locator('.staff li', { hasText: email });
  }

  async deactivate(email: string): Promise<void> {
    await this.member(email).getByRole('button', { name: 'Désactiver' }).click();
    await expect(this.member(email)).toContainText('Désactivé');
  }
}

export function pages(page: Page) {
  return {
    register: new RegisterPage(page),
    login: new LoginPage(page),
    secondFactor: new SecondFactorPage(page),
    password: new PasswordPage(page),
    staff: new StaffPage(page),
    psc: new ProSanteConnect(page),
  };
}
