import { PiperError } from '../../core/index.ts';
import type { AdminTokens } from './admin-auth.ts';
import { balancerErrors } from '../../balancer/index.ts';

/**
 * Tokens that have been printed in piper's examples or docs: anyone can read them, so none may
 * guard a listener. test/published-admin-token.test.ts checks that every token-like value written
 * in docs/, examples/ and the README is refused, so a new one cannot slip in unlisted.
 */
export const PUBLISHED_TOKENS: readonly string[] = ['change-me-please-0123456789'];

// Words people leave in a token they meant to replace.
const PLACEHOLDER = /change-?me|replace-?me|your-?token|placeholder|example-?token/i;
// A random token of 16 characters from even a 16-letter alphabet has fewer than 6 different
// characters with a probability of about 1 in 30 000; a typed pattern (`aaaa…`, `abab…`) has.
const MIN_DISTINCT_CHARACTERS = 6;

/** Why a token can be guessed, or null when nothing is known against it. */
export function tokenWeakness(token: string): string | null {
  const lower = token.toLowerCase();
  if (PUBLISHED_TOKENS.some((p) => p.toLowerCase() === lower)) return "is a token published in piper's examples or docs";
  if (PLACEHOLDER.test(token)) return 'looks like a placeholder left to be replaced';
  const distinct = new Set(token).size;
  if (distinct < MIN_DISTINCT_CHARACTERS) return `has only ${distinct} different characters`;
  return null;
}

/**
 * Refuses to start with a token that can be guessed (exit code 2). The message names the key and
 * what to do, never the token itself (it would land in logs).
 */
export function assertTokensUnguessable(tokens: AdminTokens): void {
  for (const [key, token] of [
    ['admin.token', tokens.admin],
    ['admin.readToken', tokens.read],
  ] as const) {
    if (token === undefined) continue;
    const weakness = tokenWeakness(token);
    if (weakness === null) continue;
    throw new PiperError(
      balancerErrors.PIPER_BALANCER_ADMIN_WEAK_TOKEN,
      `${key} ${weakness}, so anyone could guess it: make a new one (openssl rand -hex 32) and pass it through the environment, e.g. ${key.endsWith('readToken') ? 'readToken: ${PIPER_READ_TOKEN}' : 'token: ${PIPER_ADMIN_TOKEN}'}`,
    );
  }
}
