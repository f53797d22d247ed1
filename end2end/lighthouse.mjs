// Lighthouse (mobile, its default) on the patient's page and the login page of the
// release build, served on a fresh database. Prints one JSON object; fails when a
// page's accessibility score is below 100. Performance is printed only: on a shared
// two-core machine it varies from run to run.
//
// node lighthouse.mjs [path of the server binary] [site root]
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const [server = '../target/release/santhium', siteRoot = '../target/site'] = process.argv.slice(2);
const pages = ['/send', '/login'];

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

async function ready(base) {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the server did not answer /health within 30 s');
}

/** Lighthouse sometimes fails to record its trace ("Please run Lighthouse again"):
 *  a page is audited up to three times. */
async function audit(url, work) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await auditOnce(url, work);
    } catch (error) {
      if (attempt === 3) throw error;
      console.error(`lighthouse: ${url}: ${error.stderr?.trim() || error.message}; again`);
    }
  }
}

async function auditOnce(url, work) {
  const report = join(work, 'report.json');
  await promisify(execFile)(
    'npx',
    [
      'lighthouse',
      url,
      '--quiet',
      '--only-categories=performance,accessibility',
      '--output=json',
      `--output-path=${report}`,
      '--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run',
    ],
    { env: { ...process.env, CHROME_PATH: process.env.CHROME_PATH ?? '/usr/bin/chromium' } },
  );
  const { categories, audits } = JSON.parse(readFileSync(report, 'utf8'));
  return {
    performance: Math.round(categories.performance.score * 100),
    accessibility: Math.round(categories.accessibility.score * 100),
    largest_contentful_paint_ms: Math.round(audits['largest-contentful-paint'].numericValue),
    cumulative_layout_shift: audits['cumulative-layout-shift'].numericValue,
    total_blocking_time_ms: Math.round(audits['total-blocking-time'].numericValue),
    transferred_bytes: audits['total-byte-weight'].numericValue,
    failed_accessibility_audits: Object.values(audits)
      .filter((a) => categories.accessibility.auditRefs.some((r) => r.id === a.id && r.weight > 0) && a.score === 0)
      .map((a) => a.id),
  };
}

const work = mkdtempSync(join(tmpdir(), 'santhium-lighthouse-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const child = spawn(server, [], {
  env: {
    ...process.env,
    DATA_DIR: join(work, 'data'),
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    LEPTOS_SITE_ROOT: siteRoot,
    PUBLIC_URL: base,
    RUST_LOG: 'warn',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
let failed = false;
try {
  await ready(base);
  const results = {};
  for (const page of pages) {
    results[page] = await audit(`${base}${page}`, work);
    if (results[page].accessibility < 100) failed = true;
  }
  console.log(JSON.stringify({ lighthouse_mobile: results }, null, 2));
} finally {
  child.kill();
  rmSync(work, { recursive: true, force: true });
}
if (failed) {
  console.error('lighthouse: accessibility below 100');
  process.exit(1);
}
