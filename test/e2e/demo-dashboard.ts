// The dashboard's reading of a finished demo run, in Chromium: the incident page, the ended
// migration, the events and the postmortem view, each checked against what the run wrote (its
// summary, `piper incidents --json`, the postmortem file).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { ListedIncident } from '../../src/journal/index.ts';
import { launchChromium } from './chromium.ts';

export interface DemoRunRecord {
  dashboardUrl: string;
  readToken: string;
  incident: ListedIncident;
  migrationId: string;
  /** The postmortem file the demo wrote, as Markdown. */
  postmortem: string;
  /** Where to write the docs' screenshots (docs/images), or null to write none. */
  screenshots: string | null;
}

/** Every row of the table in the Markdown section `## heading`, header and rule left out. */
export function markdownTableRows(markdown: string, heading: string): string[][] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(`${heading}\n`)) ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replaceAll('\\|', '|')),
    );
}

/** `−1 min 08 s`, `+87 ms`, `0 s` (the postmortem's "since start") in milliseconds. */
export function sinceStartMs(text: string): number {
  const m = /^([−+]?)(?:(\d+) h )?(?:(\d+) min )?(?:([\d.]+) s|([\d.]+) ms)$/.exec(text);
  assert.ok(m, `"${text}" reads as a time since the start`);
  const [, sign, h, min, s, ms] = m;
  const abs = Number(h ?? 0) * 3_600_000 + Number(min ?? 0) * 60_000 + Number(s ?? 0) * 1000 + Number(ms ?? 0);
  return sign === '−' ? -abs : abs;
}

/** Each row says what happened in the server's words: no raw data, no placeholder. */
async function assertSummaries(page: Page, cells: string): Promise<void> {
  const what = await page.locator(cells).allTextContents();
  assert.ok(what.length > 0, `no rows at ${cells}`);
  for (const text of what) assert.ok(text.length > 0 && !/[{?]|undefined|null|NaN/.test(text), `"${text}"`);
}

/** Clock times (`13:20:58`) of a table listed newest first; a run may cross midnight. */
function assertNewestFirst(clocks: string[], what: string): void {
  assert.ok(clocks.length > 1, `${clocks.length} ${what}`);
  const seconds = clocks.map((c) => c.split(':').reduce((s, part) => s * 60 + Number(part), 0));
  for (let i = 1; i < seconds.length; i++) {
    const back = (seconds[i - 1] as number) - (seconds[i] as number);
    assert.ok(back >= 0 || back < -12 * 3600, `${what} out of order: ${clocks[i - 1]} above ${clocks[i]}`);
  }
}

/** The label → value pairs of a `<dl>`, as shown. */
function definitions(page: Page, selector: string): Promise<[string, string][]> {
  return page.locator(selector).evaluate((dl) => {
    const pairs: [string, string][] = [];
    for (const dt of dl.querySelectorAll('dt')) pairs.push([dt.textContent ?? '', dt.nextElementSibling?.textContent ?? '']);
    return pairs;
  });
}

/** Opens the run on the dashboard signed in read-only, as on-call opens a link later, and checks each view. */
export async function checkDemoOnDashboard(run: DemoRunRecord): Promise<void> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'piper-demo-chromium-'));
  const context = await launchChromium(userDataDir);
  try {
    const errors: string[] = [];
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.stack ?? err.message));
    const shotsDir = run.screenshots === null ? null : resolve(run.screenshots);
    if (shotsDir !== null) await mkdir(shotsDir, { recursive: true });
    const { incident } = run;

    // The incident page: the same figures as the demo's summary and `piper incidents`, and as the postmortem file's Impact.
    await page.goto(`${run.dashboardUrl}#/incidents/${incident.id}`);
    await page.getByLabel('Token').fill(run.readToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('section[aria-labelledby="timeline-h"] tbody tr').first().waitFor();
    const shown = await definitions(page, 'section[aria-labelledby="impact-h"] dl.facts');
    assert.deepEqual(shown.slice(0, incident.figures.length), incident.figures);
    const fileImpact = markdownTableRows(run.postmortem, 'Impact');
    assert.deepEqual(fileImpact.slice(0, incident.figures.length), incident.figures);
    await assertSummaries(page, 'section[aria-labelledby="timeline-h"] tbody tr td:nth-child(4)');

    // The ended migration keeps its evidence: the gate, the judge's last window, the decisions.
    await page.goto(`${run.dashboardUrl}#/migrations/${run.migrationId}`);
    await page
      .locator('h1', { hasText: `Migration ${run.migrationId}` })
      .locator('.badge', { hasText: 'rolled back' })
      .waitFor();
    const gate = page.locator('section[aria-labelledby="gate-h"]');
    await gate.getByRole('heading', { name: 'Capacity gate (last evaluation)' }).waitFor();
    await gate.locator('tbody tr', { hasText: 'overridden' }).first().waitFor();
    const judge = page.locator('section[aria-labelledby="judge-h"]');
    await judge.getByRole('heading', { name: 'Judge (last window)' }).waitFor();
    await judge.locator('tbody tr', { hasText: 'target' }).first().waitFor();
    const decisions = page.locator('section[aria-labelledby="decisions-h"]');
    await decisions.locator('tbody tr', { hasText: 'it acted' }).first().waitFor();
    for (const section of [gate, judge, decisions])
      assert.equal(await section.locator('.empty').count(), 0, (await section.textContent()) ?? '');
    assert.equal(await decisions.getByText('live (not journaled)').count(), 0);
    const overflow = await gate.evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.equal(overflow, 0, 'the gate panel holds its text (the certified mix wraps)');
    assertNewestFirst(await gate.locator('table:has(caption) tbody tr td:first-child').allTextContents(), 'gate evaluations');
    assertNewestFirst(await decisions.locator('tbody tr td:first-child').allTextContents(), 'decisions');
    await assertSummaries(page, 'section[aria-labelledby="history-h"] tbody tr td:nth-child(3)');
    if (shotsDir !== null) await page.screenshot({ path: join(shotsDir, 'dashboard-migration-rolled-back.png'), fullPage: true });

    // The journal as the events page shows it: every summary in words.
    await page.goto(`${run.dashboardUrl}#/events`);
    await page.locator('tbody tr', { hasText: 'migration.rolled_back' }).waitFor();
    await assertSummaries(page, 'tbody tr td:nth-child(5)');

    // The postmortem view: the file's Impact and timeline, rows in time order, no JSON, no link.
    await page.goto(`${run.dashboardUrl}#/incidents/${incident.id}/postmortem`);
    const article = page.getByRole('article', { name: 'Postmortem' });
    await article.locator('[data-section="timeline-of-events"] tbody tr').first().waitFor();
    const drawn = await article.evaluate((el) => {
      const rows = (section: string) =>
        [...el.querySelectorAll(`[data-section="${section}"] tbody tr`)].map((tr) =>
          [...tr.querySelectorAll('td')].map((td) => td.textContent),
        );
      return {
        text: el.textContent ?? '',
        links: el.querySelectorAll('a').length,
        impact: rows('impact'),
        timeline: rows('timeline-of-events'),
      };
    });
    assert.equal(drawn.links, 0, 'no link is made from text in the postmortem');
    assert.doesNotMatch(drawn.text, /[{}]|undefined|NaN/, 'no JSON, no placeholder');
    assert.deepEqual(drawn.impact, fileImpact);
    // The view shows the viewer's clock, the file UTC: what happened, and when from the start, agree.
    const fileTimeline = markdownTableRows(run.postmortem, 'Timeline of events');
    assert.ok(fileTimeline.length > 5, `${fileTimeline.length} timeline rows`);
    assert.deepEqual(
      drawn.timeline.map((r) => r.slice(1)),
      fileTimeline.map((r) => r.slice(1)),
    );
    const offsets = fileTimeline.map((r) => sinceStartMs(r[1] ?? ''));
    for (let i = 1; i < offsets.length; i++) {
      assert.ok((offsets[i] as number) >= (offsets[i - 1] as number), `row ${i + 1} out of order: ${fileTimeline[i]?.join(' | ')}`);
    }
    if (shotsDir !== null) await page.screenshot({ path: join(shotsDir, 'dashboard-postmortem.png'), fullPage: true });
    await page.close();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}
