import { accessSync, constants, statSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { PiperError } from '../core/index.ts';
import { cliErrors } from './cli-errors.ts';

/**
 * Checks, before any work starts, that a command can write the file a flag names: its folder
 * exists and is writable, and the path is not a folder. A load test that runs for ten minutes and
 * then cannot write its report has wasted the ten minutes (k6 checks its outputs first, too).
 */
export function checkOutputFile(flag: string, path: string, cwd: string): void {
  const what = `${flag} ${shown(cwd, path)}`;
  const here = kindOf(path);
  if (here === 'folder') throw unwritable(`${what}: is a folder; name a file in it`);
  checkFolder(what, dirname(path), cwd);
  if (here === 'file' && !writable(path)) throw unwritable(`${what}: the file is not writable by this user`);
}

/**
 * Checks that a command can create or fill the folder a flag names (a data folder): it is a
 * writable folder, or the nearest folder above it that exists is, so that it can be created.
 */
export function checkOutputFolder(flag: string, dir: string, cwd: string): void {
  const what = `${flag} ${shown(cwd, dir)}`;
  let existing = dir;
  while (kindOf(existing) === 'missing' && dirname(existing) !== existing) existing = dirname(existing);
  if (existing === dir) {
    checkFolder(what, dir, cwd);
    return;
  }
  if (kindOf(existing) !== 'folder') throw unwritable(`${what}: ${shown(cwd, existing)} is a file, not a folder`);
  if (!writable(existing)) throw unwritable(`${what}: cannot create it, the folder ${shown(cwd, existing)} is not writable`);
}

function checkFolder(what: string, dir: string, cwd: string): void {
  const name = shown(cwd, dir);
  const kind = kindOf(dir);
  if (kind === 'missing') throw unwritable(`${what}: the folder ${name} does not exist (create it first: mkdir -p ${name})`);
  if (kind === 'file') throw unwritable(`${what}: ${name} is a file, not a folder`);
  if (!writable(dir)) throw unwritable(`${what}: the folder ${name} is not writable by this user`);
}

/** A path as the person wrote it: relative to where they are, or whole when it lies elsewhere. */
function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

function kindOf(path: string): 'missing' | 'folder' | 'file' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'file';
  } catch {
    // Missing, or unreadable on the way there: either way nothing can be written to it.
    return 'missing';
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function unwritable(message: string): PiperError {
  return new PiperError(cliErrors.PIPER_CLI_OUTPUT_UNWRITABLE, message);
}
