/**
 * A header field as lines of an HTTP/1.1 head: `name: value\r\n`, once per value when it repeats.
 * Names and values are written as given: they come from piper's parser, which refused CR, LF and
 * NUL in them, or from the balancer itself.
 */
export function fieldLines(name: string, value: string | readonly string[]): string {
  if (typeof value === 'string') return `${name}: ${value}\r\n`;
  let lines = '';
  for (const v of value) lines += `${name}: ${v}\r\n`;
  return lines;
}
