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

/** Counts HTTP requests per user row (PartitionKey in the URL) through the client's real pipeline. */
export class RequestCounter {
    readonly byUser = new Map<string, number>();
    total = 0;

    readonly policy: PipelinePolicy = {
        name: 'requestCounter',
        sendRequest: async (request, next) => {
            this.total++;
            const match = /PartitionKey='([^']+)'/.exec(decodeURIComponent(request.url));
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

/**
 * Sends every character of a JSON request body beyond ASCII as a `\uXXXX` escape: the same JSON, which Azure and
 * Azurite both read as the same entity. Azurite decodes each chunk of a large body on its own and so corrupts a
 * multi-byte UTF-8 character that straddles two chunks (https://github.com/Azure/Azurite/issues/2670); with an ASCII
 * body there is nothing to straddle, and a row's content can be compared exactly after a round trip.
 */
export const asciiJsonBodies: PipelinePolicy = {
    name: 'asciiJsonBodies',
    sendRequest: (request, next) => {
        const type = request.headers.get('content-type') ?? '';
        if (typeof request.body === 'string' && /json/i.test(type)) {
            request.body = request.body.replace(
                /[\u0080-\uffff]/g,
                (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
            );
        }
        return next(request);
    },
};

/** The Table endpoint of the Azurite that globalSetup started (…/devstoreaccount1). */
export function azuriteTableEndpoint(): string {
    const connectionString = process.env.AZURITE_TABLE_CONNECTION_STRING ?? '';
    const endpoint = /TableEndpoint=([^;]+)/.exec(connectionString)?.[1];
    if (!endpoint) throw new Error('Azurite is not running: jest globalSetup starts it');
    return endpoint;
}
