import { balancerApiSpec } from '../../balancer/index.ts';
import { openApiDocument } from '../../control-api/index.ts';
import { journalApiSpec } from '../../journal/index.ts';
import { rolloutApiSpec } from '../../rollout/index.ts';
import { controlPlaneApiSpec } from './control-plane-api.ts';

/**
 * The OpenAPI document of the admin API `piper up` serves (docs/openapi.json): every part's slice
 * as composed there. The data-plane-only `GET /api/v1/events?after=ID` of `--role data` takes the
 * journal's path, so it stays in docs/api.md alone.
 */
export function controlApiDocument(): Record<string, unknown> {
  return openApiDocument(
    {
      title: 'piper admin API',
      version: 'v1',
      description:
        'The control-plane API of `piper up` and `piper control` (docs/api.md). GET and HEAD take the read or the admin ' +
        'bearer token, other methods the admin token. Every error answers { "error": { "code", "message" } } (docs/errors.md). ' +
        "Written by `npm run docs:openapi` from the routes' zod schemas.",
    },
    [balancerApiSpec, controlPlaneApiSpec, journalApiSpec, rolloutApiSpec],
  );
}
