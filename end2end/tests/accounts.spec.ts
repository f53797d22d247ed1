import { test, expect } from '../fixtures';
import { NEW_PASSWORD, PASSWORD, pages, totpCode, uniqueEmail } from '../pages/account-pages';

test('a pharmacy registers, logs out and logs in again', async ({ page }) => {
  const { register, login } = pages(page);
  const email = uniqueEmail('admin');
  await register.register('Pharmacie du Centre', 'Camille Martin', email);
  await expect(page.getByText('Camille Martin · Pharmacie du Centre')).toBeVisible();
  await login.logOut();

  await login.logIn(email, 'pas le bon mot de passe');
  await expect(page.getByRole('alert').filter({ hasText: 'E-mail ou mot de passe incorrect.' })).toBeVisible();
  await login.logIn(email, PASSWORD);
  await expect(page).toHaveURL('/dashboard');
  await expect(login.header.getByRole('link', { name: 'Équipe' })).toBeVisible();
});

test('registration explains a refused password next to the field', async ({ page }) => {
  const { register } = pages(page);
  await register.open('/register');
  await page.getByLabel('Nom de la pharmacie').fill('Pharmacie du Port');
  await page.getByLabel('Nom complet').fill('Alex Bernard');
  await page.getByLabel('Adresse e-mail').fill(uniqueEmail('port'));
  const password = page.getByLabel('Mot de passe', { exact: true });
  await password.fill('password1234');
  await page.getByRole('button', { name: 'Créer le compte de la pharmacie' }).click();
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#field-password-error')).toHaveText(
    'Ce mot de passe fait partie des plus courants. Choisissez-en un autre.',
  );
  await expect(page).toHaveURL('/register');
});

test('the second factor protects the login, and each recovery code works once', async ({ page }) => {
  const { register, login, secondFactor } = pages(page);
  const email = uniqueEmail('totp');
  await register.register('Pharmacie de la Gare', 'Camille Martin', email);
  const { secret, confirmationCode, recoveryCodes } = await secondFactor.setUp();
  expect(new Set(recoveryCodes).size).toBe(10);
  await login.logOut();

  await login.logIn(email, PASSWORD);
  await expect(login.codeField).toBeVisible();
  // The code that confirmed the set-up cannot be used again; the next step's code is
  // accepted (one step of clock skew is allowed).
  await login.enterCode(confirmationCode);
  await expect(page.locator('#field-code-error')).toHaveText('Code incorrect ou déjà utilisé.');
  await login.enterCode(totpCode(secret, 1));
  await expect(page).toHaveURL('/dashboard');
  await login.logOut();

  await login.logIn(email, PASSWORD);
  await login.enterCode(recoveryCodes[0]);
  await expect(page).toHaveURL('/dashboard');
  await login.logOut();

  await login.logIn(email, PASSWORD);
  await login.enterCode(recoveryCodes[0]);
  await expect(page.locator('#field-code-error')).toHaveText('Code incorrect ou déjà utilisé.');
  await login.enterCode(recoveryCodes[1]);
  await expect(page).toHaveURL('/dashboard');
});

test('a pharmacist changes the temporary password, cannot manage staff, and is signed out when disabled', async ({
  page,
  browser,
}) => {
  const admin = pages(page);
  await admin.register.register('Pharmacie du Lac', 'Camille Martin', uniqueEmail('lac'));
  const pharmacistEmail = uniqueEmail('pharmacien');
  const temporaryPassword = await admin.staff.createStaff('Dominique Petit', pharmacistEmail);

  const context = await browser.newContext();
  const colleaguePage = await context.newPage();
  const colleague = pages(colleaguePage);
  await colleague.login.logIn(pharmacistEmail, temporaryPassword);
  await expect(colleaguePage).toHaveURL('/account/password');
  await expect(colleaguePage.getByText('Votre mot de passe est temporaire')).toBeVisible();
  await colleague.password.change(temporaryPassword, NEW_PASSWORD);
  await expect(colleaguePage).toHaveURL('/dashboard');
  await expect(colleague.login.header.getByRole('link', { name: 'Équipe' })).toHaveCount(0);
  await colleague.staff.open('/staff');
  await expect(colleaguePage.getByRole('alert').filter({ hasText: 'Action non autorisée.' })).toBeVisible();
  await expect(colleaguePage.getByRole('button', { name: 'Créer le compte' })).toHaveCount(0);

  await colleague.login.open('/account');
  await expect(colleaguePage.getByRole('heading', { name: 'Sessions ouvertes' })).toBeVisible();
  await admin.staff.open('/staff');
  await admin.staff.deactivate(pharmacistEmail);

  await colleaguePage.getByRole('button', { name: 'Fermer toutes les autres sessions' }).click();
  await expect(colleaguePage).toHaveURL('/login');
  await context.close();
});
