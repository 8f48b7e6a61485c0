import { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential, TokenCredential } from '@azure/identity';

import type { StateTableConfig } from '../config';

export interface CreateTableClientOptions extends TableServiceClientOptions {
    /** Overrides the credential chosen from the config (tests). */
    readonly credential?: TokenCredential;
}

/**
 * A TableClient for the state table. With an endpoint: the user-assigned managed identity when AZURE_CLIENT_ID is
 * set (production), else DefaultAzureCredential (an admin's az login). With a connection string: Azurite or a local
 * account; plain http is allowed only for loopback hosts.
 */
export function createTableClient(config: StateTableConfig, options: CreateTableClientOptions = {}): TableClient {
    const { credential, ...clientOptions } = options;
    if (config.kind === 'connectionString') {
        const local =
            /UseDevelopmentStorage=true/i.test(config.connectionString) ||
            /TableEndpoint=http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/i.test(config.connectionString);
        return TableClient.fromConnectionString(config.connectionString, config.tableName, {
            ...clientOptions,
            ...(local ? { allowInsecureConnection: true } : {}),
        });
    }
    const cred =
        credential ??
        (config.clientId ? new ManagedIdentityCredential({ clientId: config.clientId }) : new DefaultAzureCredential());
    return new TableClient(config.endpoint, config.tableName, cred, clientOptions);
}
