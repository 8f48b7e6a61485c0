/**
 * A wave: USERS users attacked in ONE Event Hub batch (issue 18 item 3), through the real handler, against Azurite
 * and the local HTTPS Graph with a managed identity token, then one containment timer tick. Measures what the wave
 * costs the worker: peak resident memory above the starting point (sampled every 20 ms), the most Graph requests in
 * flight at once, and the log lines the batch and the tick wrote. Run: `npm run bench wave` (USERS=10000 by default;
 * WAVE_USERS sets it).
 */
import { InvocationContext } from '@azure/functions';

import { startLocalAzurite } from '../cli/localAzurite';
import { createContainmentTimerHandler } from '../functions/containmentTimer';
import { createSignInEventsHandler } from '../functions/signInEvents';
import { createRuntime } from '../shared/runtime';
import { startFakeGraph, startFakeIdentity } from '../test/support/fakeGraph';
import { grantedRolesFor } from '../test/support/grantedRoles';
import { envelope, pushDenied, user } from '../test/support/signInFactory';
import { startWebhook } from '../test/support/webhook';

function rssMb(): number {
    return process.memoryUsage().rss / 1024 / 1024;
}

/** Samples resident memory until stopped; returns the peak, MB. */
function samplePeak(): { stop: () => number } {
    let peak = rssMb();
    const timer = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
    return {
        stop: () => {
            clearInterval(timer);
            return Math.max(peak, rssMb());
        },
    };
}

export async function wave(): Promise<void> {
    const users = Number(process.env.WAVE_USERS ?? 10_000);
    const identity = await startFakeIdentity();
    // The roles the grant script gives a default live deployment: the local Graph refuses any call they do not allow.
    identity.roles = grantedRolesFor(['--mode', 'live']).roles;
    const graph = await startFakeGraph(identity);
    const webhook = await startWebhook();
    const azurite = await startLocalAzurite();
    process.env.IDENTITY_ENDPOINT = identity.endpoint;
    process.env.IDENTITY_HEADER = identity.secret;
    const group = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
    graph.addGroup(group, 'SG-MFA-Push-Blocked');
    // WAVE_GRAPH_DELAY_MS: every Graph answer this late (a Graph under load), so that concurrent calls overlap.
    const delayMs = Number(process.env.WAVE_GRAPH_DELAY_MS ?? 0);
    if (delayMs > 0) graph.fail({ path: /./, delayMs, times: Number.MAX_SAFE_INTEGER });
    try {
        // WAVE_STORE=memory: the in-memory store of `replay --contain`, where claims cost nothing and runs reach Graph at once.
        const memory = process.env.WAVE_STORE === 'memory';
        const rt = createRuntime({
            ...(memory ? { store: { kind: 'memory' as const } } : {}),
            env: {
                STATE_TABLE_CONNECTION_STRING: azurite.connectionString,
                STATE_TABLE_NAME: `benchWave${Date.now().toString(36)}`,
                AZURE_CLIENT_ID: identity.clientId,
                GRAPH_BASE_URL: graph.baseUrl,
                CONTAINMENT_MODE: 'live',
                PUSH_BLOCK_GROUP_ID: group,
                NEVER_CONTAIN: 'breakglass@contoso.com',
                MAX_CONTAINMENTS_PER_HOUR: '10000',
                ...(process.env.WAVE_CONCURRENCY ? { GRAPH_CONCURRENCY: process.env.WAVE_CONCURRENCY } : {}),
                NOTIFY_WEBHOOK_URL: webhook.url,
            },
        });
        await rt.ready();
        const records: unknown[] = [];
        for (let i = 0; i < users; i++) {
            const victim = user(`Wave Victim ${i}`);
            graph.addUser(victim.id, { userPrincipalName: victim.upn });
            for (let k = 0; k < 6; k++) {
                records.push(pushDenied({ user: victim, at: new Date(Date.UTC(2026, 10, 2, 9, 0, k * 20)) }));
            }
        }
        // As the hub delivers them: at most 256 messages a batch, each carrying many records.
        const perMessage = Math.ceil(records.length / 256);
        const messages: unknown[] = [];
        for (let i = 0; i < records.length; i += perMessage) messages.push(envelope(records.slice(i, i + perMessage)));
        records.length = 0;
        global.gc?.();
        const lines = { batch: 0, tick: 0 };
        const context = (kind: 'batch' | 'tick') => new InvocationContext({ logHandler: () => void lines[kind]++ });
        const before = rssMb();
        const peak = samplePeak();
        const t0 = Date.now();
        await createSignInEventsHandler(() => rt)(messages, context('batch'));
        const batchMs = Date.now() - t0;
        const batchPeak = peak.stop();
        const batchInFlight = graph.maxInFlight;
        graph.maxInFlight = 0;
        const tickPeak = samplePeak();
        const t1 = Date.now();
        await createContainmentTimerHandler(() => rt)(
            {
                isPastDue: false,
                schedule: { adjustForDST: false },
                scheduleStatus: { last: '', next: '', lastUpdated: '' },
            },
            context('tick'),
        );
        const tickMs = Date.now() - t1;
        const tickRss = tickPeak.stop();
        const contained = graph.groups.get(group)!.members.size;
        console.log(
            `\n# A wave: ${users.toLocaleString('en-US')} users attacked in one batch (${messages.length} messages; ${memory ? 'in-memory store' : 'Azurite'})`,
        );
        console.log(`resident memory before the batch                 ${before.toFixed(0)} MB`);
        console.log(
            `the batch (handler):  ${batchMs} ms, peak RSS +${(batchPeak - before).toFixed(0)} MB, ` +
                `at most ${batchInFlight} Graph request(s) in flight, ${lines.batch} log line(s)`,
        );
        console.log(
            `one timer tick:       ${tickMs} ms, peak RSS +${(tickRss - before).toFixed(0)} MB, ` +
                `at most ${graph.maxInFlight} Graph request(s) in flight, ${lines.tick} log line(s)`,
        );
        console.log(`users in the push-block group after both         ${contained}`);
        console.log(`Graph calls refused for a missing app role         ${graph.refusedForRoles.length}`);
    } finally {
        await azurite.stop();
        await webhook.close();
        await graph.close();
        await identity.close();
    }
}
