import { loadStateTableConfig } from '../settings/stateTable';
import { Finding, ok, problem } from './check';
import { describeFailure, HealthContext, ReadFailure, HealthCheck } from './context';

const TITLE = 'State table';

export interface StateTableReading {
    /** Where the table is, for the message (an endpoint, or "connection string"). */
    readonly where: string;
    readonly tableName: string;
    readonly failure?: ReadFailure;
}

/** One page of the table's rows (never a write: the doctor must not create what the template should have). */
export async function readStateTable(ctx: HealthContext): Promise<StateTableReading> {
    const config = loadStateTableConfig(ctx.env);
    const where = config.kind === 'endpoint' ? config.endpoint : 'STATE_TABLE_CONNECTION_STRING';
    try {
        // One page proves the table answers; the listing stops after its first row.
        const rows = ctx.runtime.store.list()[Symbol.asyncIterator]();
        try {
            await rows.next();
        } finally {
            await rows.return?.();
        }
        return { where, tableName: config.tableName };
    } catch (e) {
        return { where, tableName: config.tableName, failure: describeFailure((e as Error).cause ?? e) };
    }
}

export function evaluateStateTable(r: StateTableReading, asApp: boolean): Finding[] {
    const name = `${r.tableName} at ${r.where}`;
    if (!r.failure) return [ok('state-table', TITLE, `${name} is reachable`)];
    const f = r.failure;
    if (f.status === 404) {
        return [
            problem(
                'failed',
                'state-table',
                TITLE,
                `${name} does not exist (${f.code ?? '404'})`,
                'The template creates it (infra/app/resources.bicep): check STATE_TABLE_NAME and STATE_TABLE_ENDPOINT against the deployment, or run azd provision.',
            ),
        ];
    }
    if (f.kind === 'refused') {
        return [
            problem(
                asApp ? 'failed' : 'warning',
                'state-table',
                TITLE,
                `${name} refused this identity (${f.status ?? ''} ${f.code ?? ''})`.replace(/\s+\)/, ')'),
                asApp
                    ? "The app's identity needs Storage Table Data Contributor on the table (the template grants it; a new grant can take minutes)."
                    : 'Your sign-in needs Storage Table Data Reader on the table (or the storage account) to check it; the app itself needs Storage Table Data Contributor.',
            ),
        ];
    }
    return [
        problem(
            'failed',
            'state-table',
            TITLE,
            `${name} is unreachable: ${f.message}`,
            'Check STATE_TABLE_ENDPOINT and the storage account’s network rules (a private endpoint is reachable only from its network).',
        ),
    ];
}

export const stateTableCheck: HealthCheck = {
    id: 'state-table',
    title: TITLE,
    app: true,
    rights: () => 'Storage Table Data Reader on the state table',
    run: async (ctx) => evaluateStateTable(await readStateTable(ctx), ctx.asApp),
};
