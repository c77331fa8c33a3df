/**
 * Words of HAProxy's configuration language (configuration.txt §2.2 "Quoting and escaping", §2.5
 * "Time format"): every value taken from piper.yaml goes through here, so no value can end a line,
 * start a comment or expand an environment variable in the rendered haproxy.cfg.
 */

/** Largest timeout HAProxy takes: a signed 32-bit count of milliseconds (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * A value as one weakly quoted word: `"` `\` and `$` escaped (the last would expand an environment
 * variable), and a character below 0x20 or 0x7f as `\xNN`. HAProxy unquotes it to exactly `value`.
 */
export function quoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\' || ch === '$') out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Whether a value holds a control character (a line end among them), which no HAProxy argument here should. */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Milliseconds in HAProxy's time format, in the largest unit that divides them: `2s`, `250ms`, `5m`. */
export function haproxyDuration(ms: number): string {
  const whole = Math.round(ms);
  if (whole === 0) return '0';
  if (whole % 3_600_000 === 0) return `${whole / 3_600_000}h`;
  if (whole % 60_000 === 0) return `${whole / 60_000}m`;
  if (whole % 1_000 === 0) return `${whole / 1_000}s`;
  return `${whole}ms`;
}

/** `address:port` for `bind`, `log` or `server`, an IPv6 address in brackets. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]:${port}` : `${address}:${port}`;
}
