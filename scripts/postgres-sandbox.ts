// `npm run postgres`: a throwaway PostgreSQL for trying piper on several processes (README.md,
// "Several machines"): the same cluster the tests start (test/postgres-fixture.ts), on a free
// loopback port, with one database `piper`. Prints its URL, then runs until Ctrl-C and removes it.
import { startPostgres } from '../test/postgres-fixture.ts';

const cluster = await startPostgres();
const url = cluster.createDatabase();
process.stdout.write(`${url}\n`);
process.stderr.write('PostgreSQL is running on the URL above (a throwaway cluster: Ctrl-C stops it and deletes its data)\n');
await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
cluster.remove();
