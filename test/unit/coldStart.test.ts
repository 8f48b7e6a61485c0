/**
 * The function app's cold start loads no SDK it does not need at once: the Event Hubs and Blob SDKs are loaded on
 * first use (the timer's first lag read, a health request), never by registering the functions.
 */
const loaded: string[] = [];

jest.mock('@azure/event-hubs', () => {
    loaded.push('@azure/event-hubs');
    return jest.requireActual('@azure/event-hubs');
});
jest.mock('@azure/storage-blob', () => {
    loaded.push('@azure/storage-blob');
    return jest.requireActual('@azure/storage-blob');
});

describe('cold start', () => {
    it('registers every function without loading the Event Hubs or Blob SDKs', async () => {
        jest.spyOn(console, 'warn').mockImplementation(() => undefined);
        await import('../../functions/signInEvents');
        await import('../../functions/containmentTimer');
        await import('../../functions/admin');
        await import('../../functions/health');
        await import('../../cli/main');
        expect(loaded).toEqual([]);
        // and they are there when a read needs them
        const { createConsumerClient } = await import('../../shared/eventhub/sdk');
        const client = createConsumerClient(
            {
                kind: 'connectionString',
                connectionString:
                    'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true',
                fullyQualifiedNamespace: '127.0.0.1',
                eventHubName: 'h',
                consumerGroup: '$Default',
            },
            () => {
                throw new Error('not needed');
            },
        );
        expect(loaded).toEqual(['@azure/event-hubs']);
        await client.close();
    });
});
