import { PiperError } from '../core/index.ts';
import { haproxyErrors } from './haproxy-errors.ts';

/**
 * Why an answer could not be split: `truncated` when it ended before HAProxy's end-of-output mark
 * (HAProxy stopped mid-answer: a retry may help), `garbage` when it is not the CLI's text at all.
 */
export type SplitFailure = 'truncated' | 'garbage';

/**
 * Splits one session's answer into one block of lines per command. The management guide (§9.3)
 * guarantees that each command's output ends with an empty line and that no command prints an
 * empty line of its own, so blocks are the runs of lines between empty lines; a command with no
 * output (`set server ...` that worked) is an empty block.
 */
export function splitAnswer(text: string, commands: readonly string[]): string[][] {
  // The CLI prints text: a CR, NUL or other control byte means something else answered (an
  // HTTP server, TLS, a random service on the port), or the bytes were not UTF-8.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\0-\x08\x0b-\x1f\x7f\ufffd]/.test(text)) throw garbage(commands, text, 'control characters or bytes that are not UTF-8');
  if (!text.endsWith('\n\n') && text !== '\n') {
    throw new PiperError(haproxyErrors.PIPER_HAPROXY_CONNECTION_LOST, "the Runtime API answer ended before HAProxy's end-of-output mark", {
      details: { commands: commands.length, bytes: text.length, tail: text.slice(-80) },
    });
  }
  const lines = text.slice(0, -1).split('\n');
  const blocks: string[][] = [];
  let block: string[] = [];
  for (const line of lines) {
    if (line === '') {
      blocks.push(block);
      block = [];
    } else {
      block.push(line);
    }
  }
  if (blocks.length !== commands.length) {
    throw garbage(commands, text, `${blocks.length} answers to ${commands.length} commands`);
  }
  return blocks;
}

/**
 * The error for a block that is not what its command prints. A block of one line that is not the
 * expected format is HAProxy refusing the command ("No such server.", "Can't find backend.",
 * "Permission denied"): PIPER_HAPROXY_COMMAND_FAILED with its words. Anything else is garbage.
 */
export function unexpectedBlock(command: string, block: readonly string[], what: string): PiperError {
  if (block.length === 1) return commandFailed(command, block[0] as string);
  return garbage([command], block.join('\n'), what);
}

/** HAProxy refused a command; `message` is its own words. */
export function commandFailed(command: string, message: string): PiperError {
  return new PiperError(haproxyErrors.PIPER_HAPROXY_COMMAND_FAILED, `HAProxy refused "${command}": ${message.slice(0, 200)}`, {
    details: { command, message: message.slice(0, 1000) },
  });
}

/** An answer that is not the Runtime API's. */
export function garbage(commands: readonly string[], text: string, why: string): PiperError {
  return new PiperError(
    haproxyErrors.PIPER_HAPROXY_BAD_RESPONSE,
    `the stats socket answered something that is not the Runtime API's output (${why})`,
    {
      details: { commands: commands.slice(0, 5), why, head: text.slice(0, 120) },
    },
  );
}

/** `show info`: `Name: value` lines, by name (values as printed). */
export function parseInfo(block: readonly string[], command = 'show info'): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of block) {
    const colon = line.indexOf(': ');
    if (colon <= 0) throw unexpectedBlock(command, block, `line without "Name: value": ${line.slice(0, 60)}`);
    out[line.slice(0, colon)] = line.slice(colon + 2);
  }
  if (out.Name === undefined || out.Version === undefined) throw unexpectedBlock(command, block, 'no Name or Version line');
  return Object.freeze(out);
}
