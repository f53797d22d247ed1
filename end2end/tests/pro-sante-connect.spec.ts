import { test, expect } from '../fixtures';
import { PASSWORD, pages, totpCode, uniqueEmail } from '../pages/account-pages';

// The release server talks to the fake Pro Santé Connect the config starts
// (`cargo run --features ssr --example fake_psc`), whose professionals are fixed: each
// RPPS number can be linked to one account per run, so each test below uses its own.

test('a pharmacist invited by RPPS number signs in with Pro Santé Connect and out of both', async ({ page }) => {
  const { register, login, staff, psc } = pages(page);
  const adminEmail = uniqueEmail('psc-admin');
  await register.register('Pharmacie de la Fontaine', 'Alex Bernard', adminEmail);
  await staff.createStaff('Camille Martin', uniqueEmail('camille'), '10001234567');
  await expect(staff.member('Camille Martin')).toContainText('RPPS 10001234567');
  await login.logOut();

  // A doctor's identity is linked to no account here: refused, in the patient's words.
  await psc.logIn(/Jeanne Durand/);
  await expect(page).toHaveURL('/login?psc=unknown_account');
  await expect(page.getByRole('alert')).toContainText(
    "Aucun compte n'est lié à votre identité Pro Santé Connect.",
  );

  // Nothing is linked until the professional, signed in with PSC, accepts the invitation.
  await psc.logIn(/Camille Martin/);
  await expect(page).toHaveURL('/login/invitations');
  await page.getByRole('button', { name: 'Rejoindre Pharmacie de la Fontaine' }).click();
  await expect(page).toHaveURL('/dashboard');
  await expect(page.getByText('Camille Martin · Pharmacie de la Fontaine')).toBeVisible();

  // Logging out goes through the provider's end-session page and back to the login page.
  const providerLogout = page.waitForRequest((request) => request.url().includes('/protocol/openid-connect/logout'));
  await login.header.getByRole('button', { name: 'Se déconnecter' }).click();
  await providerLogout;
  await expect(page).toHaveURL('/login');
  await login.open('/dashboard');
  await expect(page).toHaveURL(/\/login/);
});

test('a pharmacist links their account after a second-factor login, signs in with it, and unlinks it', async ({
  page,
}) => {
  const { register, login, secondFactor, psc } = pages(page);
  const email = uniqueEmail('psc-link');
  await register.register('Pharmacie des Tilleuls', 'Louis Bernard', email);
  const { secret } = await secondFactor.setUp();
  await login.logOut();
  await login.logIn(email, PASSWORD);
  await login.enterCode(totpCode(secret, 1));
  await expect(page).toHaveURL('/dashboard');

  await login.open('/account');
  const section = page.getByRole('region', { name: 'Pro Santé Connect' });
  await section.getByRole('button', { name: 'Lier mon compte à Pro Santé Connect' }).click();
  await psc.signInAs(/Louis Bernard/);
  await expect(page).toHaveURL('/account?psc=linked');
  await expect(section.getByRole('status')).toContainText('Votre compte est lié à Pro Santé Connect');
  await expect(section).toContainText('RPPS 10009876543');
  await login.logOut();

  await psc.logIn(/Louis Bernard/);
  await expect(page).toHaveURL('/dashboard');
  await expect(page.getByText('Louis Bernard · Pharmacie des Tilleuls')).toBeVisible();

  // Unlinking ends the sessions PSC opened, this one too; the identity opens nothing more.
  await login.open('/account');
  await section.getByRole('button', { name: 'Délier de Pro Santé Connect' }).click();
  await expect(page).toHaveURL('/login');
  await psc.logIn(/Louis Bernard/);
  await expect(page).toHaveURL('/login?psc=unknown_account');
});
