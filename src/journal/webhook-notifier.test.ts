import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flushMicrotasks, ManualClock, silentLogger } from '../core/index.ts';
import { exampleEvent } from './event-catalogue.ts';
import { Journal } from './journal.ts';
import { jsonPayload, slackPayload, WebhookNotifier } from './webhook-notifier.ts';

test('a failing webhook is retried with exponential backoff, never blocks the writer, and the outcome is journaled', async () => {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  const calls: { at: number; body: Record<string, unknown> }[] = [];
  let failures = 2;
  const notifier = new WebhookNotifier({
    journal,
    clock,
    logger: silentLogger(),
    webhooks: [{ url: 'https://hooks.example/T000/secret', format: 'slack' }],
    backoffMs: 1000,
    send: async (_url, body) => {
      calls.push({ at: clock.now(), body: JSON.parse(body) as Record<string, unknown> });
      return failures-- > 0 ? 503 : 200;
    },
  });
  const e = journal.append(exampleEvent('incident.opened', { incident: 1, title: 'web down' }));
  journal.append(exampleEvent('split.changed')); // not subscribed
  await flushMicrotasks();
  assert.equal(calls.length, 1, 'first attempt at once');
  await clock.tick(1000);
  assert.equal(calls.length, 2);
  await clock.tick(2000);
  assert.equal(calls.length, 3);
  await notifier.idle();
  assert.deepEqual(
    calls.map((c) => c.at - e.time),
    [0, 1000, 3000],
  );
  assert.match(String(calls[0]?.body.text), /incident\.opened/);
  const delivered = journal.query({ kinds: ['notification.*'] });
  assert.equal(delivered.length, 1);
  assert.equal(delivered[0]?.kind, 'notification.delivered');
  assert.equal(delivered[0]?.data.attempts, 3);
  assert.equal(delivered[0]?.data.webhook, 'https://hooks.example', 'the secret path is not journaled');
  notifier.close();
  journal.close();
});

test('a webhook that keeps failing ends in notification.failed; a 4xx is not retried', async () => {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  let calls = 0;
  const notifier = new WebhookNotifier({
    journal,
    clock,
    logger: silentLogger(),
    webhooks: [{ url: 'http://127.0.0.1:1/hook', format: 'json', events: ['incident.resolved'] }],
    attempts: 3,
    send: async () => {
      calls++;
      throw new Error('connect ECONNREFUSED');
    },
  });
  journal.append(exampleEvent('incident.resolved'));
  await clock.tick(10_000, 500);
  await notifier.idle();
  assert.equal(calls, 3);
  const failed = journal.query({ kinds: ['notification.failed'] })[0];
  assert.equal(failed?.data.error, 'connect ECONNREFUSED');
  notifier.close();

  let refused = 0;
  const strict = new WebhookNotifier({
    journal,
    clock,
    logger: silentLogger(),
    webhooks: [{ url: 'http://x/', format: 'json' }],
    send: async () => {
      refused++;
      return 400;
    },
  });
  journal.append(exampleEvent('incident.opened', { incident: 2 }, { subject: 'incident/2' }));
  await strict.idle();
  await flushMicrotasks();
  await strict.idle();
  assert.equal(refused, 1);
  strict.close();
  journal.close();
});

test("the JSON payload carries the event with its summary, the same sentence as the text's", () => {
  const e = { id: 7, time: 0, actor: 'gilfoyle', ...exampleEvent('incident.acknowledged', {}, { actor: 'gilfoyle' }) };
  const p = jsonPayload(e) as { event: { summary: string }; text: string };
  assert.equal(p.event.summary, 'gilfoyle acknowledged incident 1');
  assert.equal(p.text, '[piper] incident.acknowledged incident/1: gilfoyle acknowledged incident 1');
});

test('the Slack payload has text and blocks', () => {
  const p = slackPayload(
    { id: 1, time: 0, kind: 'incident.resolved', source: 'journal', subject: 'incident/1', data: { incident: 1 }, actor: 'piper' },
    'http://dash',
  );
  assert.match(String(p.text), /:white_check_mark: \*incident\.resolved\*/);
  assert.equal((p.blocks as unknown[]).length, 2);
});

test("by default a webhook hears of incidents and of a migration's start, steps, rollback and completion, not of other events", async () => {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  const kinds: string[] = [];
  const notifier = new WebhookNotifier({
    journal,
    clock,
    logger: silentLogger(),
    webhooks: [{ url: 'http://127.0.0.1:1/hook', format: 'json' }],
    send: async (_url, body) => {
      kinds.push(String((JSON.parse(body) as { event: { kind: string } }).event.kind));
      return 200;
    },
  });
  for (const kind of [
    'migration.started',
    'migration.step',
    'migration.decision',
    'split.changed',
    'migration.rolled_back',
    'migration.completed',
    'incident.opened',
  ] as const) {
    journal.append(exampleEvent(kind));
  }
  await notifier.idle();
  assert.deepEqual(kinds, ['migration.started', 'migration.step', 'migration.rolled_back', 'migration.completed', 'incident.opened']);
  notifier.close();
  journal.close();
});
