/**
 * A user row the responder cannot decode (a corrupted chunk, a document no version wrote) must never stop work: the
 * Event Hub handler sets it aside and starts the user afresh (else every delivery of the batch would throw, and the
 * host would retry the partition for ever), and the containment timer skips it and serves everyone else.
 */
import { randomUUID } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import { createContainmentTimerHandler } from '../../functions/containmentTimer';
import { createSignInEventsHandler } from '../../functions/signInEvents';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { processSignInBatch } from '../../shared/pipeline/processSignInBatch';
import { createRuntime, Runtime } from '../../shared/runtime';
import { createTableClient } from '../../shared/state/createTableClient';
import { eventHubContext } from '../support/host';
import { envelope, pushDenied, user } from '../support/signInFactory';
import { startWebhook } from '../support/webhook';

const T0 = Date.now() - 30 * 60_000;
let n = 0;

function setUp(env: Record<string, string> = {}): { rt: Runtime; client: TableClient } {
    const tableName = `unreadable${process.pid}x${n++}`;
    const connectionString = process.env.AZURITE_TABLE_CONNECTION_STRING!;
    const rt = createRuntime({
        env: { STATE_TABLE_CONNECTION_STRING: connectionString, STATE_TABLE_NAME: tableName, ...env },
    });
    return { rt, client: createTableClient({ kind: 'connectionString', connectionString, tableName }, undefined) };
}

/** A state row as an older or broken writer left it: these chunks, whatever they hold. */
function brokenRow(userId: string, d0: string, pendingWork = false) {
    return {
        partitionKey: userId,
        rowKey: 'state',
        d0,
        lastEventTime: new Date(T0),
        incidentCount: 1,
        pendingWork,
        writeId: 'x',
    };
}

const attack = (u: ReturnType<typeof user>, count = 6) =>
    envelope(Array.from({ length: count }, (_, i) => pushDenied({ user: u, at: new Date(T0 + i * 10_000) })));

describe('a row that cannot be read, on the Event Hub path', () => {
    it.each([
        ['a corrupted chunk (its JSON does not parse)', '{"v":2,"state":{"userId":', /its JSON does not parse/],
        ['a document that is not a record', 'null', /not a record/],
        [
            'a record whose lists are not lists',
            '{"v":2,"state":{"userId":"x","prompts":7},"containments":[]}',
            /not a record \(state\.prompts/,
        ],
    ])('is set aside and the user starts afresh: %s', async (_name, d0, reason) => {
        // Prepare: a broken row for one user, and a bystander in the same batch under attack.
        const { rt, client } = setUp();
        await rt.ready();
        const broken = user(`Broken Row ${randomUUID().slice(0, 6)}`);
        const bystander = user(`Bystander ${randomUUID().slice(0, 6)}`);
        await client.createEntity(brokenRow(broken.id, d0));
        const batch = [attack(broken, 1), attack(bystander)];
        const handler = createSignInEventsHandler(() => rt);

        // Act: the batch, then its redelivery.
        const first = eventHubContext(2);
        await expect(handler(batch, first.context)).resolves.toBeUndefined();
        const again = eventHubContext(2);
        await expect(handler(batch, again.context)).resolves.toBeUndefined();

        // Assess: the bystander's attack was detected; the broken user has a fresh row holding this batch's prompt;
        // the broken row is kept as it was beside it, with the reason, and was set aside once.
        expect(first.logs.text()).toMatch(new RegExp(`MFA push attack detected: .*"userId":"${bystander.id}"`));
        const fresh = readUserRow((await rt.store.read(broken.id))!.doc);
        expect(fresh.state.prompts).toHaveLength(1);
        const kept = [];
        for await (const e of client.listEntities({ queryOptions: { filter: `PartitionKey eq '${broken.id}'` } }))
            if (e.rowKey !== 'state') kept.push(e);
        expect(kept).toHaveLength(1);
        expect(kept[0]).toMatchObject({ rowKey: expect.stringMatching(/^unreadable-/), d0, incidentCount: 1 });
        expect(kept[0]!.setAsideReason).toMatch(reason);
        const setAsideLine = first.logs.lines.find((l) => l.text.startsWith('Set aside the unreadable row'));
        expect(setAsideLine).toMatchObject({ level: 'error' });
        expect(setAsideLine!.text).toContain(broken.id);
        expect(setAsideLine!.text).toContain(kept[0]!.rowKey);
        expect(again.logs.text()).not.toMatch(/Set aside/);
    });
});

describe('a row that cannot be read, on the containment timer', () => {
    it('is logged and skipped; the other users’ due work is done', async () => {
        // Prepare: dry-run incidents with a notice to send, for a user sorted after a broken row with pending work.
        const webhook = await startWebhook();
        try {
            const { rt, client } = setUp({ NOTIFY_WEBHOOK_URL: webhook.url });
            await rt.ready();
            await client.createEntity(brokenRow('00000000-0000-4000-8000-000000000000', 'null', true));
            await client.createEntity(brokenRow('00000000-0000-4000-8000-000000000001', '{"v":2,', true));
            const victim = user(`Timer Victim ${randomUUID().slice(0, 6)}`);
            const { failures } = await processSignInBatch([attack(victim)], {
                rows: rt.userRows,
                policy: rt.detection.policy,
                categories: rt.detection.categories,
                containment: rt.containment,
            });
            expect(failures).toEqual([]);

            // Act
            const { context, logs } = eventHubContext(0);
            await createContainmentTimerHandler(() => rt)({} as never, context);

            // Assess
            expect(webhook.received.map((w) => w.userId)).toEqual([victim.id]);
            expect(logs.text()).toMatch(
                /the row of 00000000-0000-4000-8000-000000000000 cannot be read: .*not a record/,
            );
            expect(logs.text()).toMatch(
                /the row of 00000000-0000-4000-8000-000000000001 cannot be read: .*JSON does not parse/,
            );
        } finally {
            await webhook.close();
        }
    });
});
