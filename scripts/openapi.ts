// Writes docs/openapi.json from the control-plane routes' zod schemas; test/openapi-doc.test.ts
// fails when the committed file differs.
import { writeFileSync } from 'node:fs';
import { controlApiDocument } from '../src/cli/up/control-api-document.ts';

const path = new URL('../docs/openapi.json', import.meta.url).pathname;
writeFileSync(path, `${JSON.stringify(controlApiDocument(), null, 2)}\n`);
