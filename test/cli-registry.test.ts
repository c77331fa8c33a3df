import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commands } from '../src/cli/commands/index.ts';

test('every registry entry loads its command, with the same name and summary', async () => {
  assert.ok(commands.length > 10);
  for (const entry of commands) {
    const command = await entry.load();
    assert.equal(command.name, entry.name);
    assert.equal(command.summary, entry.summary, `summary of "${entry.name}"`);
  }
  assert.equal(new Set(commands.map((c) => c.name)).size, commands.length, 'command names are unique');
});
