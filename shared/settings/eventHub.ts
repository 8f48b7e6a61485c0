import { z } from 'zod';

import { ConfigError } from '../errors';
import { Env, readSetting, requireSetting } from './readSetting';

// Event Hubs and the host's checkpoints, for doctor, drill and the lag check (issue 11).

/** The sign-in hub as the responder's consumer group sees it, reached with an Entra identity or an emulator. */
export type EventHubConfig = {
    readonly eventHubName: string;
    readonly consumerGroup: string;
    /** As the host writes it into checkpoint paths: the namespace host name, lower case. */
    readonly fullyQualifiedNamespace: string;
} & ({ readonly kind: 'identity' } | { readonly kind: 'connectionString'; readonly connectionString: string });

/**
 * The hub, from EVENTHUB_CONNECTION_STRING (a local emulator) or EventHubConnection__fullyQualifiedNamespace (Azure,
 * with the runtime's credential); undefined when neither is set (the lag check then has nothing to read).
 */
export function loadEventHubConfig(env: Env): EventHubConfig | undefined {
    const eventHubName = requireSetting(env, 'EVENTHUB_NAME');
    const consumerGroup = requireSetting(env, 'EVENTHUB_CONSUMER_GROUP');
    const connectionString = readSetting(env, 'EVENTHUB_CONNECTION_STRING');
    if (connectionString) {
        const endpoint = /(?:^|;)\s*Endpoint\s*=\s*sb:\/\/([^;/:]+)/i.exec(connectionString)?.[1];
        if (!endpoint) {
            throw new ConfigError(
                'EVENTHUB_CONNECTION_STRING',
                'Setting EVENTHUB_CONNECTION_STRING has no Endpoint=sb://<host>[:port] part.',
            );
        }
        return {
            kind: 'connectionString',
            connectionString,
            fullyQualifiedNamespace: endpoint.toLowerCase(),
            eventHubName,
            consumerGroup,
        };
    }
    const fullyQualifiedNamespace = readSetting(env, 'EventHubConnection__fullyQualifiedNamespace');
    if (!fullyQualifiedNamespace) return undefined;
    return { kind: 'identity', fullyQualifiedNamespace, eventHubName, consumerGroup };
}

/** Where the Functions host keeps its Event Hubs checkpoints: the blobs of its own storage (AzureWebJobsStorage). */
export type CheckpointStoreConfig =
    | { readonly kind: 'endpoint'; readonly blobServiceUri: string }
    | { readonly kind: 'connectionString'; readonly connectionString: string };

const blobUri = z.url({ protocol: /^https?$/ });

/**
 * The host's storage, from the same settings the host reads (AzureWebJobsStorage__blobServiceUri, __accountName, or
 * the AzureWebJobsStorage connection string locally); undefined when none is set.
 */
export function loadCheckpointStoreConfig(env: Env): CheckpointStoreConfig | undefined {
    const uri = env.AzureWebJobsStorage__blobServiceUri?.trim();
    if (uri) {
        if (!blobUri.safeParse(uri).success) {
            throw new ConfigError(
                'AzureWebJobsStorage__blobServiceUri',
                `Setting AzureWebJobsStorage__blobServiceUri has the value ${JSON.stringify(uri.slice(0, 100))}, but accepts a URL such as https://<account>.blob.core.windows.net.`,
            );
        }
        return { kind: 'endpoint', blobServiceUri: uri };
    }
    const account = env.AzureWebJobsStorage__accountName?.trim();
    if (account) {
        if (!/^[a-z0-9]{3,24}$/.test(account)) {
            throw new ConfigError(
                'AzureWebJobsStorage__accountName',
                `Setting AzureWebJobsStorage__accountName has the value ${JSON.stringify(account.slice(0, 100))}, but accepts a storage account name (3 to 24 lower-case letters and digits).`,
            );
        }
        return { kind: 'endpoint', blobServiceUri: `https://${account}.blob.core.windows.net` };
    }
    const connectionString = env.AzureWebJobsStorage?.trim();
    return connectionString ? { kind: 'connectionString', connectionString } : undefined;
}

/** The lag past which the timer warns and the doctor fails, ms. */
export function loadLagWarningMs(env: Env): number {
    return requireSetting(env, 'LAG_WARNING_MINUTES') * 60_000;
}
