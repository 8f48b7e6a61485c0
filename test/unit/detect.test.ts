import { applyEvents, closeIncident } from '../../shared/detection/detect';
import { DEFAULT_POLICY, DetectionPolicy } from '../../shared/detection/policy';
import type { UserState } from '../../shared/detection/userState';
import type { SignInEvent } from '../../shared/signin/signInEvent';
import { ev, shuffle, T0 } from '../support/events';

const policy: DetectionPolicy = {
    ...DEFAULT_POLICY,
    denialThreshold: 5,
    windowMs: 10 * 60_000,
    timeoutWeight: 0.5,
    spamThenSuccessMinDenials: 3,
};
const NOW = Date.parse('2026-11-27T12:00:00Z');

/** Feeds batches one after another, as a sequence of hub deliveries, and returns the final state and all results. */
function run(batches: SignInEvent[][], p: DetectionPolicy = policy) {
    let state: UserState | undefined;
    const created = [];
    let newDenials = 0;
    for (const batch of batches) {
        if (batch.length === 0) continue;
        const r = applyEvents(state, batch, { policy: p, now: NOW });
        state = r.state;
        created.push(...r.newIncidents);
        newDenials += r.newDenials;
    }
    return { state: state!, created, newDenials };
}

const denials = (n: number, start = 0, stepMin = 0.5) =>
    Array.from({ length: n }, (_, i) => ev('push-denied', start + i * stepMin));

describe('threshold trigger', () => {
    it('does not fire at N-1 denials within the window', () => {
        expect(run([denials(4)]).created).toHaveLength(0);
    });

    it('fires at the Nth denial within the window, with the episode’s facts', () => {
        const { created } = run([denials(5)]);
        expect(created).toHaveLength(1);
        expect(created[0]).toMatchObject({
            trigger: 'threshold',
            denials: 5,
            timeouts: 0,
            firstSeen: T0,
            lastSeen: T0 + 2 * 60_000,
            detectedAt: T0 + 2 * 60_000,
            recordedAt: NOW,
            ipAddresses: ['203.0.113.7'],
        });
    });

    it('does not fire when the same number of denials is spread wider than the window', () => {
        expect(run([denials(5, 0, 3)]).created).toHaveLength(0);
    });

    it('counts timeouts with their weight', () => {
        const timeouts = Array.from({ length: 4 }, (_, i) => ev('push-timeout', i));
        expect(run([[...denials(2, 4), ...timeouts]]).created).toHaveLength(0); // 2 + 4*0.5 = 4
        expect(run([[...denials(3, 4), ...timeouts]]).created).toHaveLength(1); // 3 + 2 = 5
        expect(run([[...denials(4), ...timeouts]], { ...policy, timeoutWeight: 0 }).created).toHaveLength(0);
    });

    it('keeps one incident for one attack however long it goes on', () => {
        const { created, state } = run([denials(5), denials(20, 3, 0.5), denials(3, 16)]);
        expect(created).toHaveLength(1);
        expect(state.incidents[0]!.denials).toBe(28);
    });

    it('opens a second incident for a second attack after a quiet gap longer than the window', () => {
        const { created } = run([denials(6), denials(6, 60)]);
        expect(created.map((i) => i.firstSeen)).toEqual([T0, T0 + 60 * 60_000]);
    });
});

describe('fraud and spam-then-success triggers', () => {
    it('a single fraud report opens an incident at once', () => {
        const { created } = run([[ev('fraud-report', 0)]]);
        expect(created).toEqual([expect.objectContaining({ trigger: 'fraud-report', denials: 1, fraudReports: 1 })]);
    });

    it('a fraud report can be switched off as a trigger', () => {
        expect(run([[ev('fraud-report', 0)]], { ...policy, fraudReportOpensIncident: false }).created).toHaveLength(0);
    });

    it('K denials then a fresh approval within W contains at once, recording whether the IP was a denial IP', () => {
        const batch = [
            ev('push-denied', 0, { ip: '185.220.101.1' }),
            ev('push-denied', 1, { ip: '185.220.101.2' }),
            ev('push-denied', 2, { ip: '185.220.101.1' }),
        ];
        const fromAttacker = run([[...batch, ev('mfa-approved', 3, { ip: '185.220.101.2' })]]).created;
        expect(fromAttacker).toEqual([
            expect.objectContaining({
                trigger: 'spam-then-success',
                denials: 3,
                approval: {
                    at: T0 + 3 * 60_000,
                    ipAddress: '185.220.101.2',
                    fromDenialIp: true,
                    sameSource: 'address',
                },
            }),
        ]);
        const elsewhere = run([
            [
                ...batch.map((e) => ({ ...e, keys: e.keys.map((k) => `${k}x`) })),
                ev('mfa-approved', 3, { ip: '198.51.100.9' }),
            ],
        ]).created;
        expect(elsewhere[0]!.approval).toEqual({ at: T0 + 3 * 60_000, ipAddress: '198.51.100.9', fromDenialIp: false });
    });

    it('an approval before the denials, or after the window from elsewhere, is not spam-then-success', () => {
        expect(run([[ev('mfa-approved', 0), ...denials(3, 1)]]).created).toHaveLength(0);
        expect(run([[...denials(3), ev('mfa-approved', 15, { ip: '198.51.100.9' })]]).created).toHaveLength(0);
        // From the denials' own source, the long window still sees them (see longHorizon.test.ts).
        expect(run([[...denials(3), ev('mfa-approved', 15)]]).created).toEqual([
            expect.objectContaining({ trigger: 'spam-then-success', attackStart: T0 }),
        ]);
    });

    it('an approval during an open incident marks that incident instead of opening another', () => {
        const { created, state } = run([denials(5), [ev('mfa-approved', 4)]]);
        expect(created).toHaveLength(1);
        expect(state.incidents).toHaveLength(1);
        expect(state.incidents[0]!.approval?.at).toBe(T0 + 4 * 60_000);
    });
});

describe('late, shuffled and duplicated input', () => {
    const attack = [...denials(8), ev('push-timeout', 4.2), ev('mfa-approved', 5)];

    it('gives the same incident whatever the order and batching of delivery', () => {
        const reference = run([attack]).state.incidents;
        expect(reference).toHaveLength(1);
        for (let seed = 1; seed <= 25; seed++) {
            const shuffled = shuffle(attack, seed);
            const cut = 1 + (seed % (shuffled.length - 1));
            const { state, created } = run([shuffled.slice(cut), shuffled.slice(0, cut)]);
            expect(created).toHaveLength(1);
            const inc = state.incidents[0]!;
            expect({
                denials: inc.denials,
                timeouts: inc.timeouts,
                firstSeen: inc.firstSeen,
                lastSeen: inc.lastSeen,
            }).toEqual({
                denials: reference[0]!.denials,
                timeouts: reference[0]!.timeouts,
                firstSeen: reference[0]!.firstSeen,
                lastSeen: reference[0]!.lastSeen,
            });
        }
    });

    it('counts a record delivered hours late into its episode, not as a new attack', () => {
        const { state, created } = run([denials(5, 120), [ev('push-denied', 118)]]);
        expect(created).toHaveLength(1);
        expect(state.incidents[0]).toMatchObject({ denials: 6, firstSeen: T0 + 118 * 60_000 });
    });

    it('late denials complete a window that the on-time ones did not', () => {
        const { created } = run([denials(3, 0, 1), denials(2, 0.5, 1)]);
        expect(created).toHaveLength(1);
    });

    it('ignores a record older than the retention behind the newest event', () => {
        const p = { ...policy, retentionMs: 60 * 60_000 };
        const { state } = run([denials(1, 300), denials(5, 0)], p);
        expect(state.incidents).toHaveLength(0);
        expect(state.prompts).toHaveLength(1);
    });

    it('redelivery of the same batch changes nothing', () => {
        const batch = denials(6);
        const first = applyEvents(undefined, batch, { policy, now: NOW });
        const again = applyEvents(first.state, batch, { policy, now: NOW + 1000 });
        expect(JSON.stringify(again.state)).toBe(JSON.stringify(first.state));
        expect(again.newIncidents).toHaveLength(0);
        expect(again.newDenials).toBe(0);
        expect(again.state).toEqual(first.state);
    });

    it('counts Entra’s duplicate rows of one prompt once, and keeps the most telling outcome', () => {
        const prompt = ev('push-timeout', 0, { key: 'attempt-1' });
        const dupRow = { ...ev('push-denied', 0.001, { key: 'other-request' }), keys: ['i:row-z', 'r:attempt-1'] };
        const { state, newDenials } = run([[prompt], [dupRow]]);
        expect(state.prompts).toHaveLength(1);
        expect(state.prompts[0]!.kind).toBe('push-denied');
        expect(newDenials).toBe(1);
    });

    it('merges rows linked through different keys into one prompt', () => {
        const a = { ...ev('push-denied', 0), keys: ['i:1', 's:c|t'] };
        const b = { ...ev('push-denied', 0), keys: ['i:2', 'r:x'] };
        const c = { ...ev('push-denied', 0), keys: ['i:3', 's:c|t', 'r:x'] };
        expect(run([[a], [b], [c]]).state.prompts).toHaveLength(1);
    });

    it('upgrades an incident’s counters when a later row turns a timeout into a denial', () => {
        const batch = [...denials(4), ev('push-timeout', 2.2, { key: 'late-upgrade' }), ev('push-timeout', 2.4)];
        const first = run([batch]);
        expect(first.state.incidents[0]).toMatchObject({ denials: 4, timeouts: 2 });
        const upgraded = applyEvents(
            first.state,
            [{ ...ev('push-denied', 2.2, { key: 'late-upgrade' }), keys: ['r:late-upgrade'] }],
            { policy, now: NOW },
        );
        expect(upgraded.state.incidents[0]).toMatchObject({ denials: 5, timeouts: 1 });
    });
});

describe('after a release', () => {
    const MIN = 60_000;
    /** An attack of `n` prompts (one a minute), opened and then released at `releasedAt` (event time). */
    function released(releasedAt: number, p: DetectionPolicy = policy, n = 6) {
        const attack = denials(n, 0, 1);
        const opened = applyEvents(undefined, attack, { policy: p, now: NOW });
        const [inc] = opened.newIncidents;
        return { attack, inc: inc!, state: closeIncident(opened.state, inc!.id, releasedAt) };
    }

    it('late rows of the released attack, dated before the release, join it and open nothing', () => {
        const { state, inc } = released(T0 + 30 * MIN);
        // Entra delivers the rest of the same attack late: between its prompts and just before its first one.
        const late = [...denials(5, 0.5, 1), ev('push-denied', -3)];
        const r = applyEvents(state, late, { policy, now: NOW + 60 * MIN });
        expect(r.newIncidents).toHaveLength(0);
        expect(r.state.incidents).toHaveLength(1);
        // They count, but the released incident keeps the range it was released with.
        expect(r.state.incidents[0]).toMatchObject({
            id: inc.id,
            closedAt: T0 + 30 * MIN,
            denials: 12,
            firstSeen: inc.firstSeen,
            lastSeen: inc.lastSeen,
        });
        expect(r.updatedIncidents.map((i) => i.id)).toEqual([inc.id]);
    });

    it('a batch redelivered after the release opens nothing, even once its prompts were forgotten', () => {
        const p = { ...policy, maxPromptsPerUser: 3 };
        const { state, attack } = released(T0 + 30 * MIN, p, 10);
        expect(state.prompts).toHaveLength(3); // the attack's first seven prompts are forgotten: enough for a trigger
        for (const [i, batch] of [attack, shuffle(attack, 7)].entries()) {
            const again = applyEvents(state, batch, { policy: p, now: NOW + (60 + i) * MIN });
            expect(again.newIncidents).toHaveLength(0);
            // Nothing changed (so nothing is written): the forgotten prompts were counted once already.
            expect(JSON.stringify(again.state)).toBe(JSON.stringify(state));
        }
    });

    it('prompts dated after the release are a new attack, even within the window of the released one', () => {
        const { state, inc } = released(T0 + 6 * MIN);
        const r = applyEvents(state, denials(5, 7, 0.5), { policy, now: NOW + 60 * MIN });
        expect(r.newIncidents).toHaveLength(1);
        expect(r.newIncidents[0]!.id).not.toBe(inc.id);
        expect(r.state.incidents.find((i) => i.id === inc.id)!.denials).toBe(6);
    });

    it('a late approval of the released attack, dated before the release, opens a spam-then-success linked to it', () => {
        const { state, inc } = released(T0 + 10 * MIN);
        const approval = ev('mfa-approved', 8, { ip: '198.51.100.99' });
        const r = applyEvents(state, [...denials(2, 6.5, 0.5), approval], { policy, now: NOW + 60 * MIN });
        expect(r.newIncidents).toHaveLength(1);
        expect(r.newIncidents[0]).toMatchObject({
            trigger: 'spam-then-success',
            relatedIncidentId: inc.id,
            attackFirstSeen: inc.firstSeen,
            approval: { at: T0 + 8 * MIN, ipAddress: '198.51.100.99', fromDenialIp: false },
        });
        // The late denials still join the released incident; redelivered, nothing more opens.
        const releasedNow = r.state.incidents.find((i) => i.id === inc.id)!;
        expect(releasedNow.denials).toBe(8);
        expect(releasedNow.approval).toBeUndefined();
        const again = applyEvents(r.state, [approval, ...denials(2, 6.5, 0.5)], { policy, now: NOW + 61 * MIN });
        expect(again.newIncidents).toHaveLength(0);
    });

    it('an approval dated after the release, or before the attack began, opens nothing', () => {
        const { state } = released(T0 + 10 * MIN);
        expect(applyEvents(state, [ev('mfa-approved', 11)], { policy, now: NOW + 60 * MIN }).newIncidents).toEqual([]);
        expect(applyEvents(state, [ev('mfa-approved', -1)], { policy, now: NOW + 60 * MIN }).newIncidents).toEqual([]);
    });

    it('a late episode after a quiet gap longer than the window is its own attack, though dated before the release', () => {
        const { state } = released(T0 + 120 * MIN);
        const r = applyEvents(state, denials(5, 40, 0.5), { policy, now: NOW + 180 * MIN });
        expect(r.newIncidents).toHaveLength(1);
        expect(r.newIncidents[0]!.firstSeen).toBe(T0 + 40 * MIN);
    });
});

describe('bounded state', () => {
    it('keeps at most maxPromptsPerUser prompts, newest first', () => {
        const p = { ...policy, maxPromptsPerUser: 50, denialThreshold: 1000 };
        const { state } = run([denials(120, 0, 0.01)], p);
        expect(state.prompts).toHaveLength(50);
        expect(state.prompts[0]!.time).toBe(T0 + Math.round(70 * 0.01 * 60_000));
    });

    it('prunes prompts older than the retention', () => {
        const p = { ...policy, retentionMs: 3_600_000 };
        const { state } = run([denials(2, 0), denials(1, 200)], p);
        expect(state.prompts.map((a) => a.time)).toEqual([T0 + 200 * 60_000]);
    });
});
