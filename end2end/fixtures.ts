import { test as base, expect, Page } from '@playwright/test';

// Every test fails if one of its pages logs a console error, throws, or has a request
// fail. Two kinds of answer are the app working as intended, not problems: a page's own
// status (a test may expect a 404 page), and a server function or an upload refusing
// input with a 4xx (a wrong password, a wrong code); the browser's console line about
// either is not counted.
function watchForProblems(page: Page): () => string[] {
  const problems: { text: string; url?: string }[] = [];
  const intendedAnswers = new Set<string>();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push({ text: `console: ${message.text()}`, url: message.location().url });
  });
  page.on('pageerror', (error) => problems.push({ text: `page error: ${error.message}` }));
  page.on('requestfailed', (request) => {
    // A request the browser cancels because the test navigates away did not fail.
    const error = request.failure()?.errorText;
    if (error !== 'net::ERR_ABORTED') problems.push({ text: `failed: ${request.url()} ${error}` });
  });
  page.on('response', (response) => {
    const request = response.request();
    const status = response.status();
    const path = new URL(response.url()).pathname;
    const refusal = request.method() === 'POST' && path.startsWith('/api/') && status < 500;
    if (request.isNavigationRequest() || refusal) {
      intendedAnswers.add(response.url());
    } else if (status >= 400) {
      problems.push({ text: `HTTP ${status}: ${response.url()}` });
    }
  });
  return () => problems.filter((p) => !(p.url && intendedAnswers.has(p.url))).map((p) => p.text);
}

export const phone = { viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true };

export const test = base.extend<{ failOnPageProblems: void; patientPage: Page }>({
  failOnPageProblems: [
    async ({ page }, use) => {
      const problems = watchForProblems(page);
      await use();
      expect(problems(), 'no failed request and no console error').toEqual([]);
    },
    { auto: true },
  ],
  // A patient's phone: a browser context of its own, without the pharmacy's cookies.
  patientPage: async ({ browser, baseURL }, use) => {
    const context = await browser.newContext({ ...phone, baseURL });
    const page = await context.newPage();
    const problems = watchForProblems(page);
    await use(page);
    expect(problems(), 'no failed request and no console error on the phone').toEqual([]);
    await context.close();
  },
});

export { expect };
