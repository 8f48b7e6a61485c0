import { startLocalAzurite } from '../../cli/localAzurite';

/**
 * One real Azurite Table service for the whole test run, in memory on a free port. Tests reach it through
 * AZURITE_TABLE_CONNECTION_STRING and isolate themselves with their own table names.
 */
export default async function globalSetup(): Promise<void> {
    const azurite = await startLocalAzurite();
    process.env.AZURITE_TABLE_CONNECTION_STRING = azurite.connectionString;
    (globalThis as { __azurite?: typeof azurite }).__azurite = azurite;
}
