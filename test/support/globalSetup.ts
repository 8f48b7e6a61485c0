import { join } from 'node:path';

import { startLocalAzurite } from '../../cli/localAzurite';
import { buildWhenStale } from './buildWhenStale';

/**
 * Once per test run, before any worker starts: dist/ built from the current sources (the tests that run the
 * `mfa-responder` launcher run it), so `npm ci && npm test` works on a fresh clone; then one real Azurite (Table and
 * Blob services) for the whole run, in memory on a free port. Tests reach it through AZURITE_TABLE_CONNECTION_STRING
 * and isolate themselves with their own table names.
 */
export default async function globalSetup(): Promise<void> {
    const build = buildWhenStale(join(__dirname, '..', '..'));
    if (build.built) process.stderr.write(`built dist/ in ${(build.buildMs / 1000).toFixed(1)} s\n`);

    const azurite = await startLocalAzurite({ blob: true });
    process.env.AZURITE_TABLE_CONNECTION_STRING = azurite.connectionString;
    // Table and Blob (the Functions host's checkpoints) of the same account, as AzureWebJobsStorage names them.
    process.env.AZURITE_STORAGE_CONNECTION_STRING = azurite.storageConnectionString;
    (globalThis as { __azurite?: typeof azurite }).__azurite = azurite;
}
