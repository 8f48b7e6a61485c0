import { SENTINEL_ROW_COLUMNS } from '../../shared/sentinel/sentinelRow';
import type { CreateRuntimeOptions } from '../../shared/runtime';
import { FakeGraph, FakeIdentity } from './fakeGraph';
import { startLocalGraph, stopLocalGraph } from './localGraph';
import { FakeLogsIngestion, startFakeLogsIngestion } from './fakeLogsIngestion';
import { startWebhook } from './webhook';

/**
 * Everything the SOC loop talks to, on this machine: the managed identity endpoint (which the real
 * ManagedIdentityCredential finds through IDENTITY_ENDPOINT and IDENTITY_HEADER, as in Azure), Graph, the Logs
 * Ingestion API and a webhook receiver.
 */
export interface SocLoop {
    readonly identity: FakeIdentity;
    readonly graph: FakeGraph;
    readonly ingestion: FakeLogsIngestion;
    readonly webhook: Awaited<ReturnType<typeof startWebhook>>;
    /** Settings that point the app at all of them (live mode, rows on), over a table of its own. */
    env(tableName: string): Record<string, string | undefined>;
    /** The runtime option that trusts the local Logs Ingestion endpoint's certificate. */
    readonly runtimeOptions: Pick<CreateRuntimeOptions, 'logsIngestionClientOptions'>;
    close(): Promise<void>;
}

export async function startSocLoop(options: { pushBlockGroupId: string }): Promise<SocLoop> {
    const { identity, graph } = await startLocalGraph({ group: options.pushBlockGroupId });
    const ingestion = await startFakeLogsIngestion({ identity, columns: SENTINEL_ROW_COLUMNS });
    const webhook = await startWebhook();
    return {
        identity,
        graph,
        ingestion,
        webhook,
        env: (tableName) => ({
            STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
            STATE_TABLE_NAME: tableName,
            AZURE_CLIENT_ID: identity.clientId,
            GRAPH_BASE_URL: graph.baseUrl,
            GRAPH_CALL_TIMEOUT_SECONDS: '2',
            GRAPH_STEP_BUDGET_SECONDS: '8',
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: options.pushBlockGroupId,
            NEVER_CONTAIN: 'breakglass@contoso.com',
            NOTIFY_WEBHOOK_URL: webhook.url,
            LOGS_INGESTION_ENDPOINT: ingestion.endpoint,
            LOGS_INGESTION_RULE_ID: ingestion.ruleId,
        }),
        runtimeOptions: { logsIngestionClientOptions: { tlsOptions: { ca: ingestion.ca } } },
        close: async () => {
            await stopLocalGraph({ identity, graph });
            await ingestion.close();
            await webhook.close();
        },
    };
}
