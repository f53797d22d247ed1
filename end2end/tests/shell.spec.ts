import { test, expect } from '../fixtures';
import { AppPage } from '../pages/app-page';

test('the home page loads in French and hydrates', async ({ page }) => {
  const app = new AppPage(page);
  const response = await app.open('/');
  expect(response?.status()).toBe(200);
  await expect(app.heading).toHaveText('Envoyez vos ordonnances à votre pharmacie, en toute sécurité.');
  expect(await app.documentLanguage()).toBe('fr');
  await expect(page).toHaveTitle('Santhium');
});

test('the language switches to English and back, and is remembered', async ({ page }) => {
  const app = new AppPage(page);
  await app.open('/');
  await app.switchLanguage('English');
  await expect(app.heading).toHaveText('Send your prescriptions to your pharmacy, safely.');
  await expect(app.languageButton('English')).toHaveAttribute('aria-pressed', 'true');
  expect(await app.documentLanguage()).toBe('en');

  await app.open('/');
  await expect(app.heading).toHaveText('Send your prescriptions to your pharmacy, safely.');

  await app.switchLanguage('Français');
  await expect(app.heading).toHaveText('Envoyez vos ordonnances à votre pharmacie, en toute sécurité.');
  expect(await app.documentLanguage()).toBe('fr');
});

test('header links navigate inside the app', async ({ page }) => {
  const app = new AppPage(page);
  await app.open('/');
  await app.navigationLink('Envoyer un document').click();
  await expect(page).toHaveURL('/send');
  await expect(app.heading).toHaveText('Envoyer un document à votre pharmacie');
  await app.navigationLink('Espace pharmacie').click();
  await expect(app.heading).toHaveText('Connexion pharmacien');
});

test('an unknown address shows the not-found page with status 404', async ({ page }) => {
  const app = new AppPage(page);
  const response = await app.open('/nulle-part');
  expect(response?.status()).toBe(404);
  await expect(app.heading).toHaveText('Page introuvable');
});

test('/health reports a healthy service, database and document store', async ({ request }) => {
  const response = await request.get('/health');
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: 'healthy', service: 'santhium-api', database: 'ok', storage: 'ok' });
});

test('pages are served with the security headers', async ({ page }) => {
  const app = new AppPage(page);
  const response = await app.open('/');
  const headers = response!.headers();
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  const csp = headers['content-security-policy'];
  for (const directive of ["'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
    expect(csp).toContain(directive);
  }
  expect(csp).not.toContain('unsafe-inline');
});

test.describe('on a 360-pixel phone', () => {
  test.use({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });

  test('nothing overflows sideways and the switch stays reachable', async ({ page }) => {
    const app = new AppPage(page);
    for (const path of ['/', '/login', '/register']) {
      await app.open(path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    const box = await app.languageButton('English').boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(44);
    await app.languageButton('English').tap();
    await expect(app.heading).toHaveText('Register a pharmacy');
  });

  test('form fields are labelled and at least 44 pixels tall', async ({ page }) => {
    const app = new AppPage(page);
    await app.open('/register');
    const inputs = page.locator('main input');
    await expect(inputs).toHaveCount(5);
    for (const input of await inputs.all()) {
      const id = await input.getAttribute('id');
      await expect(page.locator(`label[for="${id}"]`)).toHaveCount(1);
      expect((await input.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    }
  });
});
