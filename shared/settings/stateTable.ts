import { ConfigError } from '../errors';
import { Env, readSetting, requireSetting } from './readSetting';

/** Where the state table lives and how to reach it. */
export type StateTableConfig =
    | { readonly kind: 'endpoint'; readonly endpoint: string; readonly tableName: string; readonly clientId?: string }
    | { readonly kind: 'connectionString'; readonly connectionString: string; readonly tableName: string };

export function loadStateTableConfig(env: Env): StateTableConfig {
    const tableName = requireSetting(env, 'STATE_TABLE_NAME');
    const clientId = readSetting(env, 'AZURE_CLIENT_ID');
    const identity = clientId ? { clientId } : {};
    const endpoint = readSetting(env, 'STATE_TABLE_ENDPOINT');
    if (endpoint) return { kind: 'endpoint', endpoint, tableName, ...identity };
    const connectionString = readSetting(env, 'STATE_TABLE_CONNECTION_STRING');
    if (connectionString) return { kind: 'connectionString', connectionString, tableName };
    // Fall back to the host's own storage, so that a deployment needs no extra setting.
    const hostTableUri = env.AzureWebJobsStorage__tableServiceUri;
    if (hostTableUri) return { kind: 'endpoint', endpoint: hostTableUri, tableName, ...identity };
    const account = env.AzureWebJobsStorage__accountName;
    if (account)
        return { kind: 'endpoint', endpoint: `https://${account}.table.core.windows.net`, tableName, ...identity };
    const hostConnection = env.AzureWebJobsStorage;
    if (hostConnection) return { kind: 'connectionString', connectionString: hostConnection, tableName };
    throw new ConfigError(
        'STATE_TABLE_ENDPOINT',
        'Setting STATE_TABLE_ENDPOINT is required (or STATE_TABLE_CONNECTION_STRING, or AzureWebJobsStorage__accountName): the responder has nowhere to keep its state.',
    );
}
