import { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';

import type { StateTableConfig } from '../settings/stateTable';

/** Each Table request gives up after this long (then the SDK's retries apply): a storage brownout cannot hang a run. */
export const TABLE_REQUEST_TIMEOUT_MS = 20_000;

const requestTimeout: PipelinePolicy = {
    name: 'mfaResponderRequestTimeout',
    sendRequest: (request, next) => {
        if (!request.timeout) request.timeout = TABLE_REQUEST_TIMEOUT_MS;
        return next(request);
    },
};

/**
 * A TableClient for the state table: with an endpoint, through `credential` (the composition root chooses it); with
 * a connection string, Azurite or a local account, where plain http is allowed only for loopback hosts.
 */
export function createTableClient(
    config: StateTableConfig,
    credential: TokenCredential | undefined,
    given: TableServiceClientOptions = {},
): TableClient {
    const options: TableServiceClientOptions = {
        ...given,
        additionalPolicies: [...(given.additionalPolicies ?? []), { policy: requestTimeout, position: 'perRetry' }],
    };
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
