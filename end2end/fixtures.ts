import { test as base, expect } from '@playwright/test';

// Every test fails if its page logs a console error, throws, or has a sub-resource fail.
// A page's own status is the test's to check (a test may expect a 404 page), so the
// browser's console line about that navigation is not counted.
export const test = base.extend<{ failOnPageProblems: void }>({
  failOnPageProblems: [
    async ({ page }, use) => {
      const problems: { text: string; url?: string }[] = [];
      const pagesVisited = new Set<string>();
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push({ text: `console: ${message.text()}`, url: message.location().url });
      });
      page.on('pageerror', (error) => problems.push({ text: `page error: ${error.message}` }));
      page.on('requestfailed', (request) =>
        problems.push({ text: `failed: ${request.url()} ${request.failure()?.errorText}` }),
      );
      page.on('response', (response) => {
        if (response.request().isNavigationRequest()) {
          pagesVisited.add(response.url());
        } else if (response.status() >= 400) {
          problems.push({ text: `HTTP ${response.status()}: ${response.url()}` });
        }
      });
      await use();
      const unexpected = problems.filter((p) => !(p.url && pagesVisited.has(p.url))).map((p) => p.text);
      expect(unexpected, 'no failed request and no console error').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
