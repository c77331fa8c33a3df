/**
 * Whether a header token (trimmed) is `lower` in any letter case (RFC 9110 §5.6.2: tokens such as
 * `close` and `keep-alive` are case-insensitive). The usual lower-case spelling is found without
 * `toLowerCase()`, which allocates a copy even of a string already in lower case, on a path that
 * runs for nearly every message.
 */
export function isToken(token: string, lower: string): boolean {
  return token === lower || (token.length === lower.length && token.toLowerCase() === lower);
}
