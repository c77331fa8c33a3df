// The platform's website in a real browser (Debian's chromium driven by playwright-core): the
// landing page, an upload through the upload page's file picker with its progress bar and result,
// the download compared byte for byte, the file list, the status page, and what a person reads when
// something is off: the upload's stages, an empty file, a file stored as is, a limit, a 404. Screenshots go to
// test-results/platform/. Any console error or failed request fails the test.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
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

/** Records every text #upload-status shows, in order, from now on. */
async function recordStatus(): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const el = document.getElementById('upload-status') as HTMLElement;
    const seen: string[] = [];
    (window as unknown as { statusSeen: string[] }).statusSeen = seen;
    new MutationObserver(() => {
      const t = el.textContent ?? '';
      if (seen.at(-1) !== t) seen.push(t);
    }).observe(el, { childList: true, characterData: true, subtree: true });
  });
  return () => page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen);
}

/** Takes the console errors Chromium logs for an HTTP error status the test asked for. */
function expectLoadFailure(status: number): void {
  const i = problems.findIndex((p) => p.includes(`status of ${status}`));
  assert.ok(i >= 0, `no logged ${status} among ${JSON.stringify(problems)}`);
  problems.splice(i, 1);
}

test('the upload shows its percent and bytes as they go, then "compressing…" until the answer', async () => {
  const content = Buffer.concat([sampleText(3 * 1024 * 1024 - 16), Buffer.from('\nprogress test\n')]);
  const file = join(work, 'progress.txt');
  await writeFile(file, content);
  await page.goto(`${fx.url}/upload`);
  // Loopback sends 3 MiB in one progress event: the upload is slowed to ~1 MiB/s so the bar moves.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
  const seen = await recordStatus();
  await page.locator('#file-input').setInputFiles(file);
  await page.locator('#upload-button').click();
  await page.locator('#result').waitFor({ state: 'visible', timeout: 30_000 });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.detach();
  const texts = await seen();
  const steps = texts.filter((t) => /^\d+ % · /.test(t));
  for (const t of steps) assert.match(t, /^\d{1,3} % · \d+(\.\d)? (B|KiB|MiB) of 3\.0 MiB$/);
  const percents = steps.map((t) => Number.parseInt(t, 10));
  assert.ok(
    percents.some((p) => p > 0 && p < 100),
    `no step between 0 and 100 %: ${JSON.stringify(texts)}`,
  );
  assert.deepEqual(
    percents,
    [...percents].sort((a, b) => a - b),
    'progress went backwards',
  );
  const compressing = texts.indexOf('Compressing… (all 3.0 MiB sent)');
  assert.ok(compressing > 0, `no compressing stage: ${JSON.stringify(texts)}`);
  assert.equal(texts.at(-1), 'Done.');
  assert.ok(texts.slice(compressing + 1).every((t) => t === 'Done.'));
  assert.equal(await page.locator('#progress').getAttribute('value'), '100');
  assert.deepEqual(problems, []);
});

test('an empty file is refused on the page before anything is sent', async () => {
  const file = join(work, 'empty.txt');
  await writeFile(file, '');
  await page.goto(`${fx.url}/upload`);
  const posts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push(r.url());
  });
  await page.locator('#file-input').setInputFiles(file);
  assert.equal(await text('#upload-status'), 'empty.txt is empty (0 bytes): there is nothing to store. Choose another file.');
  assert.equal(await page.locator('#upload-button').isDisabled(), true);
  await page.locator('#upload-form').evaluate((f: HTMLFormElement) => f.requestSubmit());
  assert.deepEqual(posts, []);
  await page.screenshot({ path: join(shots, 'upload-empty.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('an incompressible file says it was stored as is, and why, instead of a Weissman score', async () => {
  const file = join(work, 'noise.bin');
  await writeFile(file, randomBytes(200 * 1024));
  await page.goto(`${fx.url}/upload`);
  await page.locator('#file-input').setInputFiles(file);
  await page.locator('#upload-button').click();
  await page.locator('#result').waitFor({ state: 'visible' });
  assert.equal(await text('#r-codec'), 'identity (stored as is)');
  assert.match(await text('#r-reason'), /^stored as is: incompressible on the whole file; /);
  assert.equal(await text('#r-weissman'), '— (stored as is)');
  await page.screenshot({ path: join(shots, 'upload-stored-as-is.png'), fullPage: true });
  await page.goto(`${fx.url}/files`);
  await page.locator('#files-body tr').first().waitFor();
  assert.match(await text('#files-body tr:first-child'), /noise\.bin.*identity.*— \(stored as is\)/);
  assert.deepEqual(problems, []);
});

test('a refused upload says its size and the limit in MiB', async () => {
  const small = await startFixture({ maxUploadSize: 1024 * 1024 });
  try {
    const file = join(work, 'big.bin');
    await writeFile(file, randomBytes(3 * 1024 * 1024));
    await page.goto(`${small.url}/upload`);
    await page.locator('#file-input').setInputFiles(file);
    await page.locator('#upload-button').click();
    await page.waitForFunction(() => document.getElementById('upload-status')?.textContent?.startsWith('Upload failed'));
    assert.equal(
      await text('#upload-status'),
      'Upload failed: an upload of 3.00 MiB is over the limit of 1.00 MiB (PIPER_PLATFORM_TOO_LARGE)',
    );
    expectLoadFailure(413);
    assert.deepEqual(problems, []);
  } finally {
    await small.close();
  }
});

test('a browser asking for a page that is not there gets a 404 page in the site’s style with a way home', async () => {
  const answer = await page.goto(`${fx.url}/no-such-page`);
  assert.equal(answer?.status(), 404);
  assert.match(answer?.headers()['content-type'] ?? '', /^text\/html/);
  assert.equal(await text('h1'), '404 Not Found');
  assert.equal(await text('#error-message'), 'Nothing at /no-such-page.');
  assert.equal(await text('#error-code'), 'PIPER_PLATFORM_NOT_FOUND');
  // The site's stylesheet applies: the brand is in the accent colour.
  assert.equal(await page.locator('.brand').evaluate((el) => getComputedStyle(el).color), 'rgb(31, 122, 77)');
  await page.screenshot({ path: join(shots, 'not-found.png'), fullPage: true });
  expectLoadFailure(404);
  await page.locator('main a.button').click();
  await page.waitForURL(`${fx.url}/`);
  assert.match(await text('h1'), /compression/i);
  assert.deepEqual(problems, []);
});
