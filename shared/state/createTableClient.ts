import { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';

import type { StateTableConfig } from '../config';

/**
 * A TableClient for the state table: with an endpoint, through `credential` (the composition root chooses it); with
 * a connection string, Azurite or a local account, where plain http is allowed only for loopback hosts.
 */
export function createTableClient(
    config: StateTableConfig,
    credential: TokenCredential | undefined,
    options: TableServiceClientOptions = {},
): TableClient {
    if (config.kind === 'connectionString') {
        const local =
            /UseDevelopmentStorage=true/i.test(config.connectionString) ||
            /TableEndpoint=http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/i.test(config.connectionString);
        return TableClient.fromConnectionString(config.connectionString, config.tableName, {
            ...options,
            ...(local ? { allowInsecureConnection: true } : {}),
        });
    }
    if (!credential) throw new Error('a Table endpoint needs a credential');
    return new TableClient(config.endpoint, config.tableName, credential, options);
}
