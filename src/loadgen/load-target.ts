import { PiperError } from '../core/index.ts';
import { parseScenario, type RequestSpec } from './request-mix.ts';
import { loadgenErrors } from './loadgen-errors.ts';

/** Where to send and what: from a URL and flags, or from a scenario file (with an optional URL). */
export interface LoadTargetInput {
  url: string | undefined;
  scenario?: { text: string; source: string };
  method?: string;
  /** `Name: value` strings. */
  headers?: readonly string[];
  body?: string;
}

/** Resolves a target origin (plus base path) and the request mix to send there. */
export function resolveLoadTarget(input: LoadTargetInput): { target: string; requests: RequestSpec[] } {
  const headers: Record<string, string> = {};
  for (const h of input.headers ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_OPTIONS, `header: "${h}" is not "Name: value"`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  if (input.scenario !== undefined) {
    const scenario = parseScenario(input.scenario.text, input.scenario.source);
    const target = input.url ?? scenario.target;
    if (target === undefined) {
      throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_TARGET, 'target: give a URL or set "target" in the scenario');
    }
    checkUrl(target);
    const requests = scenario.requests.map((r) => ({ ...r, headers: { ...headers, ...r.headers } }));
    return { target, requests };
  }
  if (input.url === undefined)
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_TARGET, 'target: a URL is required (e.g. http://127.0.0.1:8080/)');
  const url = checkUrl(input.url);
  const method = (input.method ?? 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method))
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_OPTIONS, `method: "${input.method}" is not an HTTP method`);
  return {
    target: url.origin,
    requests: [
      { name: `${method} ${url.pathname}`, method, path: url.pathname + url.search, headers, body: input.body ?? null, weight: 1 },
    ],
  };
}

function checkUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_TARGET, `target: "${text}" is not a URL (e.g. http://127.0.0.1:8080/)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_TARGET, `target: "${text}" must be http:// or https://`);
  }
  return url;
}
