import { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

import { createTableClient } from '../../shared/state/createTableClient';

let n = 0;

/** A fresh table in the Azurite that globalSetup started, so that tests never see each other's rows. */
export function azuriteTableClient(options: TableServiceClientOptions = {}): TableClient {
    const connectionString = process.env.AZURITE_TABLE_CONNECTION_STRING;
    if (!connectionString) throw new Error('Azurite is not running: jest globalSetup starts it');
    const tableName = `t${process.pid}x${Date.now().toString(36)}x${n++}`;
    return createTableClient({ kind: 'connectionString', connectionString, tableName }, undefined, options);
}

/**
 * Counts HTTP requests per partition (a user's row, or a campaign source's rows: PartitionKey in the URL, in a query's
 * filter, or in the body) through the client's real pipeline.
 */
export class RequestCounter {
    readonly byUser = new Map<string, number>();
    total = 0;

    readonly policy: PipelinePolicy = {
        name: 'requestCounter',
        sendRequest: async (request, next) => {
            this.total++;
            const match = /PartitionKey(?:='| eq ')([^']+)'/.exec(decodeURIComponent(request.url).replace(/\+/g, ' '));
            const body = typeof request.body === 'string' ? request.body : '';
            const key = match?.[1] ?? /"PartitionKey":"([^"]+)"/.exec(body)?.[1];
            if (key) this.byUser.set(key, (this.byUser.get(key) ?? 0) + 1);
            return next(request);
        },
    };

    reset(): void {
        this.byUser.clear();
        this.total = 0;
    }
}

/** The Table endpoint of the Azurite that globalSetup started (…/devstoreaccount1). */
export function azuriteTableEndpoint(): string {
    const connectionString = process.env.AZURITE_TABLE_CONNECTION_STRING ?? '';
    const endpoint = /TableEndpoint=([^;]+)/.exec(connectionString)?.[1];
    if (!endpoint) throw new Error('Azurite is not running: jest globalSetup starts it');
    return endpoint;
}
