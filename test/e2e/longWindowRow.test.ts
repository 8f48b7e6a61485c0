/**
 * The long window within Azure's real limits: a user row holding hours of an attacker's prompts (rotating IPv6
 * addresses, long non-Latin application names, over-long correlation ids) stays within what Azure accepts, measured
 * by an endpoint that enforces Azure's entity rules in front of Azurite, and keeps every prompt of the long window
 * that can still make a trigger: a slow spam-then-success at the end of it is still caught.
 */
import { createSignInEventsHandler } from '../../functions/signInEvents';
import { createRuntime, Runtime } from '../../shared/runtime';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { AZURE_MAX_ENTITY_BYTES, AzureTableLimits, startAzureTableLimits } from '../support/azureTableLimits';
import { azuriteTableEndpoint } from '../support/azuriteTables';
import { eventHubContext } from '../support/host';
import { envelope, guid, pushApproved, pushDenied, pushTimeout, user } from '../support/signInFactory';

const T0 = Date.now() - 5 * 3_600_000;
const at = (minute: number) => new Date(T0 + minute * 60_000);
const LONG_APP = 'Ứng dụng quản lý tài chính doanh nghiệp 企業財務管理アプリケーション'.repeat(20);
let limits: AzureTableLimits;
let tables = 0;

beforeAll(async () => {
    limits = await startAzureTableLimits(azuriteTableEndpoint());
});
afterAll(() => limits.close());

function runtime(env: Record<string, string>): Runtime {
    return createRuntime({
        env: {
            STATE_TABLE_CONNECTION_STRING: limits.connectionString,
            STATE_TABLE_NAME: `longrow${process.pid}x${tables++}`,
            ...env,
        },
    });
}

async function deliver(rt: Runtime, records: unknown[]): Promise<string> {
    const { context, logs } = eventHubContext(1);
    await createSignInEventsHandler(() => rt)([envelope(records)], context);
    return logs.text();
}

describe('a user row with the long window stays within Azure’s limits', () => {
    it('497 unanswered prompts over 3.5 hours (TIMEOUT_WEIGHT=0: none ever triggers) and three slow declines: the approval at the end is still spam-then-success', async () => {
        const rt = runtime({ TIMEOUT_WEIGHT: '0' });
        const victim = user('Long Window Row');
        const refusedBefore = limits.refused.length;
        const timeouts = Array.from({ length: 497 }, (_, i) =>
            pushTimeout({
                user: victim,
                at: at(i * 0.42),
                ip: `2001:db8:${(i & 0xffff).toString(16)}:${guid(`ip${i}`).slice(0, 4)}::${i.toString(16)}`,
                app: `${LONG_APP}${i}`,
                correlationId: `${guid(`c${i}`)}-${'z'.repeat(100)}`,
            }),
        );
        // Three declines an hour apart from the attacker's /64, among the noise.
        const declines = [10, 70, 130].map((m) => pushDenied({ user: victim, at: at(m), ip: `2001:db8:aaaa:1::${m}` }));
        const records = [...timeouts, ...declines].sort(
            (a, b) => Date.parse(a.time as string) - Date.parse(b.time as string),
        );
        for (let i = 0; i < records.length; i += 100) {
            expect(await deliver(rt, records.slice(i, i + 100))).not.toMatch(/Quarantined|not fully stored/);
        }
        const before = readUserRow((await rt.store.read(victim.id))!.doc);
        // Every prompt of the long window is still there (the size budget dropped detail, not prompts).
        expect(before.state.prompts).toHaveLength(500);
        expect(before.state.incidents).toEqual([]);
        expect(limits.largest.size).toBeLessThanOrEqual(AZURE_MAX_ENTITY_BYTES);
        expect(limits.refused.length).toBe(refusedBefore);

        await deliver(rt, [pushApproved({ user: victim, at: at(215), ip: '2001:db8:aaaa:1::beef' })]);
        const after = readUserRow((await rt.store.read(victim.id))!.doc);
        expect(after.state.incidents.map((i) => [i.trigger, i.denials, i.approval?.sameSource])).toEqual([
            ['spam-then-success', 3, 'network'],
        ]);
        expect(limits.largest.size).toBeLessThanOrEqual(AZURE_MAX_ENTITY_BYTES);
    });
});
