// The platform's website in a real browser (Debian's chromium driven by playwright-core): the
// landing page, an upload through the upload page's file picker with its progress bar and result,
// the download compared byte for byte, the file list, and the status page. Screenshots go to
// test-results/platform/. Any console error or failed request fails the test.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { type PlatformFixture, sampleText, startFixture } from '../platform-fixture.ts';
import { launchChromium } from './chromium.ts';

const root = new URL('../..', import.meta.url).pathname;
const shots = join(root, 'test-results', 'platform');

let fx: PlatformFixture;
let context: BrowserContext;
let page: Page;
let work: string;
const problems: string[] = [];

async function text(selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? '';
}

before(async () => {
  await mkdir(shots, { recursive: true });
  fx = await startFixture();
  work = await mkdtemp(join(tmpdir(), 'piper-platform-chromium-'));
  context = await launchChromium(join(work, 'profile'));
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
});

after(async () => {
  await context?.close();
  await fx?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

test('the landing page says what Pied Piper does and links to the other pages', async () => {
  await page.goto(`${fx.url}/`);
  assert.match(await text('h1'), /compression/i);
  for (const href of ['/upload', '/files', '/status']) assert.equal(await page.locator(`nav a[href="${href}"]`).count(), 1);
  await page.screenshot({ path: join(shots, 'landing.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('uploads a file, shows codec, ratio and Weissman score, and downloads the same bytes', async () => {
  const content = Buffer.concat([sampleText(2_000_000), Buffer.from('\nthe end\n')]);
  const file = join(work, 'quarterly-report.txt');
  await writeFile(file, content);
  await page.goto(`${fx.url}/upload`);
  await page.locator('#file-input').setInputFiles(file);
  assert.match(await text('#drop-text'), /quarterly-report\.txt/);
  await page.locator('#upload-button').click();
  await page.locator('#result').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#progress').getAttribute('value'), '100');
  assert.equal(await text('#r-name'), 'quarterly-report.txt');
  assert.match(await text('#r-codec'), /^(zstd|brotli|gzip) level \d+$/);
  const ratio = Number.parseFloat(await text('#r-ratio'));
  assert.ok(ratio > 10, `ratio ${ratio}`);
  assert.match(await text('#r-weissman'), /^(\d+\.\d\d|— \(too small to time\))$/);
  assert.match(await text('#r-time'), /\d+ ms/);
  const id = await text('#r-id');
  assert.equal(id, createHash('sha256').update(content).digest('hex'));
  await page.screenshot({ path: join(shots, 'upload-result.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#r-download').click()]);
  assert.equal(download.suggestedFilename(), 'quarterly-report.txt');
  const saved = join(work, 'downloaded.txt');
  await download.saveAs(saved);
  assert.ok((await readFile(saved)).equals(content), 'downloaded bytes differ from the upload');
  assert.deepEqual(problems, []);
});

test('the files page lists the upload', async () => {
  await page.goto(`${fx.url}/files`);
  await page.locator('#files-body tr').first().waitFor();
  assert.match(await text('#files-body'), /quarterly-report\.txt/);
  assert.match(await text('#files-summary'), /1 file/);
  await page.screenshot({ path: join(shots, 'files.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('the status page shows health, readiness, version and uptime', async () => {
  await page.goto(`${fx.url}/status`);
  await page.waitForFunction(() => document.getElementById('s-version')?.textContent === 'test');
  assert.equal(await text('#s-health'), 'ok');
  assert.equal(await text('#s-ready'), 'ok');
  assert.match(await text('#s-uptime'), /\d+m \d+s/);
  assert.equal(await text('#s-files'), '1');
  await page.screenshot({ path: join(shots, 'status.png'), fullPage: true });
  assert.deepEqual(problems, []);
});
