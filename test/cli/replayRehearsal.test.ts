/**
 * `replay --contain` rehearses the whole loop: the same containment, the same notices (JSON or Teams card) and the same
 * Sentinel rows as the Event Hub function sends for the same sign-ins.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import { createRuntime } from '../../shared/runtime';
import { runCli } from '../support/cliRun';
import { eventHubContext } from '../support/host';
import { envelope, pushDenied, User, user } from '../support/signInFactory';
import { SocLoop, startSocLoop } from '../support/socLoop';

const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * 60_000);
const GROUP = '3d4e5f60-7182-4394-a5b6-c7d8e9f0a1b2';
const ATTACKER = '185.220.101.34';

let loop: SocLoop;
const dir = mkdtempSync(join(tmpdir(), 'mfa-rehearse-'));
let n = 0;

beforeAll(async () => {
    loop = await startSocLoop({ pushBlockGroupId: GROUP });
});

afterAll(() => loop.close());

afterEach(() => expect(loop.ingestion.problems).toEqual([]));

const env = (extra: Record<string, string> = {}) => ({
    ...loop.env(`rehearse${process.pid}x${n++}`),
    NOTIFY_FORMAT: 'teams',
    ...extra,
});

function victim(): User {
    const u = user(`Rehearsal ${n++} ${randomUUID().slice(0, 6)}`);
    loop.graph.addUser(u.id, { userPrincipalName: u.upn });
    return u;
}
const attack = (u: User) =>
    envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(i * 0.3), ip: ATTACKER })));

function exportFile(messages: unknown[]): string {
    const file = join(dir, `export-${n++}.ndjson`);
    writeFileSync(file, messages.map((m) => JSON.stringify(m)).join('\n'));
    return file;
}

/** Runs the rehearsal; returns its incident lines and what it said on stderr (warnings of failed sends). */
async function rehearse(messages: unknown[], extra: Record<string, string> = {}) {
    const r = await runCli(['replay', exportFile(messages), '--contain', '--json'], {
        env: env(extra),
        runtime: loop.runtimeOptions,
    });
    expect(r.code).toBe(0);
    const incidents = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.type === 'incident');
    return Object.assign(incidents, { stderr: r.stderr });
}

const cardsFor = (u: User) => loop.webhook.received.filter((w) => JSON.stringify(w).includes(u.upn));
const rowsFor = (u: User) => loop.ingestion.rows.filter((r) => r.UserId === u.id);
/** A row without what differs between any two runs: when it was made and stored, and each step's time. */
const stable = (row: Record<string, unknown>) => {
    const { TimeGenerated: _t, RecordedAt: _r, Steps, ...rest } = row;
    return { ...rest, Steps: (Steps as Array<Record<string, unknown>>).map(({ at: _at, ...s }) => s) };
};

describe('replay --contain', () => {
    it('sends the same Teams card and Sentinel row as the function does for the same sign-ins', async () => {
        const u = victim();
        const messages = [attack(u)];
        const rt = createRuntime({ env: env(), ...loop.runtimeOptions });
        await createSignInEventsHandler(() => rt)(messages, eventHubContext(1).context);
        const fromFunction = { cards: cardsFor(u), rows: rowsFor(u) };
        expect(fromFunction.cards).toHaveLength(1);
        expect(fromFunction.rows).toHaveLength(1);

        // Undo what the function did in the directory, then rehearse the same export from the CLI.
        loop.graph.groups.get(GROUP)!.members.delete(u.id);
        const rehearsal = await rehearse(messages);
        expect(rehearsal.stderr).toBe('');
        const [incident] = rehearsal;
        expect(incident).toMatchObject({ userId: u.id, containment: 'contained' });
        expect(loop.graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);
        const cards = cardsFor(u);
        expect(cards).toHaveLength(2);
        expect(cards[1]).toEqual(fromFunction.cards[0]);
        expect(cards[1]).toMatchObject({
            type: 'message',
            attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }],
        });
        const rows = rowsFor(u);
        expect(rows).toHaveLength(2);
        expect(stable(rows[1]!)).toEqual(stable(fromFunction.rows[0]!));
        // And the rehearsal's incident says both went out.
        expect(incident!.notices).toEqual([expect.objectContaining({ kind: 'incident', status: 'sent' })]);
        expect(incident!.logRows).toMatchObject({ sent: 1, reported: 'contained' });
    });

    it('tells the SOC about incidents the plan decided (never-contain) and shows a failed row on the incident', async () => {
        const spared = victim();
        const u = victim();
        loop.ingestion.fail({ status: 503, retryAfter: 30 });
        const incidents = await rehearse([attack(spared)], { NEVER_CONTAIN: spared.upn, NOTIFY_FORMAT: 'json' });
        expect(incidents[0]).toMatchObject({ containment: 'not-contained' });
        expect(incidents.stderr).toMatch(/Incident row \(not-contained\) for incident .* failed: 503/);
        expect(loop.webhook.received.filter((w) => w.userId === spared.id).map((w) => w.title)).toEqual([
            expect.stringMatching(/NOT contained \(NEVER_CONTAIN/),
        ]);
        expect(rowsFor(spared)).toEqual([]);
        expect(incidents[0]!.logRows).toMatchObject({ sent: 0, failing: { status: 503, attempts: 1 } });

        const ok = await rehearse([attack(u)], { NOTIFY_FORMAT: 'json' });
        expect(ok[0]!.logRows).toMatchObject({ sent: 1, failing: null });
        expect(rowsFor(u)).toEqual([expect.objectContaining({ ContainmentStatus: 'contained', Sequence: 1 })]);
    });
});
