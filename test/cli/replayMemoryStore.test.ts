/**
 * `replay` keeps state in memory by default and forgets users to stay within bounds. It forgets by arrival (the users
 * seen least recently), never by event time: exports are sorted newest first (as Log Analytics returns them), by
 * user, or hold one record dated far from the rest, and none of that may make it forget a user in mid-attack.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { replay } from '../../cli/replay';
import { loadDetectionConfig } from '../../shared/settings/detection';
import type { UserRow } from '../../shared/userRow/userRow';
import { MemoryRowStore } from '../../shared/state/memoryRowStore';
import { runCli } from '../support/cliRun';
import { pushApproved, pushDenied, user, User } from '../support/signInFactory';

const dir = mkdtempSync(join(tmpdir(), 'mfa-replay-memory-'));
const MIN = 60_000;
const T0 = Date.parse('2026-09-01T09:00:00Z');

/** Ordinary sign-ins (wrong password): read and counted as `other`, never stored; a busy tenant's background. */
const noise = (count: number, at: number) =>
    Array.from({ length: count }, (_, i) =>
        JSON.stringify({
            category: 'SignInLogs',
            resultType: '50126',
            time: new Date(at).toISOString(),
            properties: { userId: user(`Noise ${i % 50}`).id, id: `n${at}-${i}` },
        }),
    );
const denied = (u: User, minute: number) => JSON.stringify(pushDenied({ user: u, at: new Date(T0 + minute * MIN) }));
const incidentsIn = (stdout: string) =>
    stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; userId?: string })
        .filter((l) => l.type === 'incident');

it('finds the attack in an export sorted newest first, as it does with the state in Azurite', async () => {
    // Prepare: newest first, a routine approval two days after the attack, then 8 declines a minute apart, each
    // followed by a busy minute of 3,200 ordinary sign-ins (100 batches in all).
    const victim = user('Descending Victim');
    const lines = [JSON.stringify(pushApproved({ user: user('Someone'), at: new Date(T0 + 48 * 60 * MIN) }))];
    for (let k = 7; k >= 0; k--) lines.push(denied(victim, k), ...noise(3200, T0 + k * MIN));
    const file = join(dir, 'descending.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');

    // Act
    const inTable = await runCli(['replay', file, '--json', '--store', 'azurite']);
    const inMemory = await runCli(['replay', file, '--json']);

    // Assess
    expect(incidentsIn(inTable.stdout)).toHaveLength(1);
    expect(incidentsIn(inMemory.stdout)).toEqual([expect.objectContaining({ userId: victim.id })]);
}, 120_000);

it('does not forget an attack around one record dated a month after the rest', async () => {
    const victim = user('Mid Stream Victim');
    const lines = [denied(victim, 0), denied(victim, 1), denied(victim, 2)];
    lines.push(JSON.stringify(pushApproved({ user: user('Clock Skewed'), at: new Date(T0 + 30 * 24 * 60 * MIN) })));
    lines.push(...noise(13_000, T0 + 3 * MIN), denied(victim, 3), denied(victim, 4));
    const file = join(dir, 'far-record.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');

    const { stdout } = await runCli(['replay', file, '--json']);

    expect(incidentsIn(stdout)).toEqual([expect.objectContaining({ userId: victim.id })]);
}, 120_000);

describe('the bound on users held', () => {
    /** 5 declines of `victim`, each after prompts of `between` other users (one denial each). */
    function spreadAttack(victim: User, between: number, tag: string): string {
        const lines: string[] = [];
        for (let k = 0; k < 5; k++) {
            lines.push(denied(victim, k));
            for (let i = 0; i < between; i++) lines.push(denied(user(`${tag} ${k} ${i}`), k));
        }
        const file = join(dir, `${tag}.ndjson`);
        writeFileSync(file, lines.join('\n') + '\n');
        return file;
    }
    const run = async (file: string, memoryUsers: number) => {
        const store = new MemoryRowStore<UserRow>();
        const { incidents } = await replay({
            inputs: [file],
            detection: loadDetectionConfig({}),
            store,
            batchSize: 10,
            memoryUsers,
        });
        return { incidents, held: store.size };
    };

    it('holds at most the bound (and users with an incident), and forgets a user only once that many others came after', async () => {
        const victim = user('Bound Victim');
        const within = await run(spreadAttack(victim, 60, 'within'), 100);
        expect(within.incidents.map((i) => i.incident.userId)).toEqual([victim.id]);
        expect(within.held).toBe(100 + 1); // the bound, and the victim with their incident

        // More other users between two of the victim's prompts than the bound: the replay forgets them, by design.
        const beyond = await run(spreadAttack(user('Forgotten Victim'), 150, 'beyond'), 100);
        expect(beyond.incidents).toEqual([]);
        expect(beyond.held).toBe(100);
    });
});
