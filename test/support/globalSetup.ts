import { startLocalAzurite } from '../../cli/localAzurite';

/**
 * One real Azurite (Table and Blob services) for the whole test run, in memory on a free port. Tests reach it through
 * AZURITE_TABLE_CONNECTION_STRING and isolate themselves with their own table names.
 */
export default async function globalSetup(): Promise<void> {
    const azurite = await startLocalAzurite({ blob: true });
    process.env.AZURITE_TABLE_CONNECTION_STRING = azurite.connectionString;
    // Table and Blob (the Functions host's checkpoints) of the same account, as AzureWebJobsStorage names them.
    process.env.AZURITE_STORAGE_CONNECTION_STRING = azurite.storageConnectionString;
    (globalThis as { __azurite?: typeof azurite }).__azurite = azurite;
}
