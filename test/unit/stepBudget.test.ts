/**
 * One budget per containment step, however many Graph calls it makes, and a lease that outlives it
 * (GRAPH_STEP_BUDGET_SECONDS; the lease = budget + 2 × call timeout + 60 s).
 */
import type { Client } from '@microsoft/microsoft-graph-client';

import { GraphActions } from '../../shared/graph/graphActions';
import { createRuntime } from '../../shared/runtime';

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
const USER = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** Just enough of the Graph SDK's request builder: lists answer at once, deletes never answer. */
function hangingDeletes(methods: number) {
    const started: Array<{ method: string; at: number }> = [];
    const client = {
        api: (path: string) => {
            const builder = {
                select: () => builder,
                option: () => builder,
                get: async () => {
                    started.push({ method: `GET ${path}`, at: Date.now() });
                    return { value: Array.from({ length: methods }, (_, i) => ({ id: `method-${i}` })) };
                },
                delete: () => {
                    started.push({ method: `DELETE ${path}`, at: Date.now() });
                    return new Promise<never>(() => undefined);
                },
            };
            return builder;
        },
    };
    return { client: client as unknown as Client, started };
}

describe('a step’s Graph budget', () => {
    it('bounds the whole remove-method step (a list and N deletes), not each call: no call starts after it', async () => {
        const { client, started } = hangingDeletes(20);
        const actions = new GraphActions(client, {
            baseUrl: 'https://graph.microsoft.com',
            callTimeoutMs: 100,
            budgetMs: 60_000,
        });
        const deadline = Date.now() + 250;
        const error = await GraphActions.withDeadline(actions, deadline)
            .deleteAuthenticatorMethods(USER)
            .catch((e: unknown) => e);
        expect(error).toMatchObject({ graphCode: 'Timeout' });
        expect(started[0]!.method).toMatch(/^GET /);
        expect(started.filter((s) => s.method.startsWith('DELETE')).length).toBeLessThan(20);
        expect(started.every((s) => s.at <= deadline)).toBe(true);
    });

    it.each([
        [5, 1],
        [90, 15],
        [600, 120],
    ])(
        'the lease outlives a step with GRAPH_STEP_BUDGET_SECONDS=%i and GRAPH_CALL_TIMEOUT_SECONDS=%i',
        (budget, timeout) => {
            const rt = createRuntime({
                env: { GRAPH_STEP_BUDGET_SECONDS: String(budget), GRAPH_CALL_TIMEOUT_SECONDS: String(timeout) },
                store: { kind: 'memory' },
            });
            const deps = rt.containmentDeps(silent);
            expect(deps.stepBudgetMs).toBe(budget * 1000);
            // The budget, a last call that started just before it ended, another call timeout and a minute of margin.
            expect(deps.leaseMs).toBeGreaterThanOrEqual((budget + 2 * timeout + 60) * 1000);
        },
    );
});
