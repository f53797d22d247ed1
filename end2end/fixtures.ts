import { test as base, expect } from '@playwright/test';

// Every test fails if its page logs a console error, throws, or has a request fail.
// Two kinds of answer are the app working as intended, not problems: a page's own status
// (a test may expect a 404 page), and a server function refusing input with a 4xx (a
// wrong password); the browser's console line about either is not counted.
export const test = base.extend<{ failOnPageProblems: void }>({
  failOnPageProblems: [
    async ({ page }, use) => {
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
        const refusal = request.method() === 'POST' && new URL(response.url()).pathname.startsWith('/api/') && status < 500;
        if (request.isNavigationRequest() || refusal) {
          intendedAnswers.add(response.url());
        } else if (status >= 400) {
          problems.push({ text: `HTTP ${status}: ${response.url()}` });
        }
      });
      await use();
      const unexpected = problems.filter((p) => !(p.url && intendedAnswers.has(p.url))).map((p) => p.text);
      expect(unexpected, 'no failed request and no console error').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
