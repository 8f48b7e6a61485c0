import { applyEvents } from '../../shared/detection/detect';
import { DEFAULT_POLICY } from '../../shared/detection/policy';
import {
    DRILL_APP,
    DRILL_IP,
    drillMessages,
    drillRecordIds,
    drillRecords,
    drillSpacingMs,
    newDrillId,
} from '../../shared/drill/drillRecords';
import { findDrillOutcome, openEpisode } from '../../shared/drill/awaitDrill';
import { newUserRow } from '../../shared/userRow/userRow';
import { emptyBatchResult } from '../../shared/pipeline/batchResult';
import { parseMessages } from '../../shared/pipeline/parseMessages';
import type { SecurityInfoEvent, SignInEvent } from '../../shared/signin/signInEvent';

const CANARY = '6f1c2b1e-8d3a-4c5e-9f7a-2b3c4d5e6f70';
const NOW = Date.parse('2026-11-27T12:00:00Z');
const categories = new Set(['SignInLogs', 'NonInteractiveUserSignInLogs']);

const plan = (denials = 6) => ({
    drillId: newDrillId(NOW, 'ab12cd34'),
    userId: CANARY,
    denials,
    at: NOW,
    spacingMs: 3_000,
});

describe('drill records', () => {
    it('have an id that says when the drill started, short enough for the incident', () => {
        expect(newDrillId(NOW, 'ab12cd34')).toBe('drill-20261127T120000Z-ab12cd34');
        expect(newDrillId(NOW).length).toBeLessThanOrEqual(64);
    });

    it('are read by the responder’s own parser as declined pushes, seconds apart up to now, marked for a canary', () => {
        const records = drillRecords(plan());
        const result = emptyBatchResult();
        const byUser = parseMessages(
            drillMessages(records),
            { categories, drillUsers: new Set([CANARY]), now: NOW, maxClockSkewMs: 3_600_000 },
            result,
        );
        expect(result).toMatchObject({ records: 6, events: 6, rejected: 0 });
        const events = byUser.get(CANARY)! as SignInEvent[];
        expect(events.map((e) => e.kind)).toEqual(Array(6).fill('push-denied'));
        expect(events.map((e) => e.time)).toEqual([15, 12, 9, 6, 3, 0].map((s) => NOW - s * 1000));
        expect(
            events.every(
                (e) => e.drillId === plan().drillId && e.ipAddress === DRILL_IP && e.appDisplayName === DRILL_APP,
            ),
        ).toBe(true);
        // Distinct prompts: six records are six denials, not merged into one.
        expect(new Set(events.map((e) => e.recordId)).size).toBe(6);
        expect(drillRecordIds(records)).toEqual(events.map((e) => e.recordId.toLowerCase()));
    });

    it('are refused for anyone not in DRILL_USER_IDS: counted as drill-refused, never read as real sign-ins', () => {
        const result = emptyBatchResult();
        const byUser = parseMessages(
            drillMessages(drillRecords(plan())),
            { categories, drillUsers: new Set(['00000000-0000-4000-8000-000000000001']), now: NOW },
            result,
        );
        expect(result).toMatchObject({ records: 6, events: 0, rejected: 6, rejectedByReason: { 'drill-refused': 6 } });
        expect(result.rejectedSamples['drill-refused']).toContain('not in DRILL_USER_IDS');
        expect(byUser.get(CANARY)).toBeUndefined();
    });

    it.each([
        [5, 10],
        [300, 10],
        [25, 1],
        [1000, 1],
    ])(
        'fit one window whatever the settings, so the drill opens its incident (DENIAL_THRESHOLD=%i, DENIAL_WINDOW_MINUTES=%i)',
        (threshold, minutes) => {
            const policy = { ...DEFAULT_POLICY, denialThreshold: threshold, windowMs: minutes * 60_000 };
            const denials = threshold + 1;
            const spacingMs = drillSpacingMs(denials, policy.windowMs);
            expect(spacingMs).toBeLessThanOrEqual(3_000);
            const events = parseMessages(
                drillMessages(drillRecords({ ...plan(denials), spacingMs })),
                { categories, drillUsers: new Set([CANARY]), now: NOW },
                emptyBatchResult(),
            ).get(CANARY)!;
            const opened = applyEvents(undefined, events, { policy, now: NOW }).newIncidents;
            expect(opened).toHaveLength(1);
            expect(opened[0]!.drill).toBe(true);
        },
    );

    it('go out ten records to a message, as `{"records":[…]}`', () => {
        expect(drillMessages(drillRecords(plan(25))).map((m) => m.records.length)).toEqual([10, 10, 5]);
    });
});

describe('a drill in detection', () => {
    const parse = (denials: number, drillUsers = new Set([CANARY])) =>
        parseMessages(
            drillMessages(drillRecords(plan(denials))),
            { categories, drillUsers, now: NOW },
            emptyBatchResult(),
        ).get(CANARY)! as SignInEvent[];

    it('opens one drill incident at the threshold; a method registered after it is part of the drill', () => {
        const first = applyEvents(undefined, parse(6), { policy: DEFAULT_POLICY, now: NOW });
        expect(first.newIncidents).toHaveLength(1);
        expect(first.newIncidents[0]).toMatchObject({ trigger: 'threshold', drill: true, denials: 6 });
        const registration: SecurityInfoEvent = {
            userId: CANARY,
            time: NOW + 60_000,
            kind: 'method-registered',
            methods: ['microsoftAuthenticator'],
            initiatedBy: 'user',
            recordId: 'audit-1',
            keys: ['c:audit-1'],
        };
        const second = applyEvents(first.state, [registration], { policy: DEFAULT_POLICY, now: NOW + 60_000 });
        expect(second.newIncidents).toEqual([
            expect.objectContaining({ trigger: 'method-registered-after-attack', drill: true }),
        ]);
    });

    it('is found in the canary’s row by its id, and an open episode is seen before sending', () => {
        const { state, newIncidents } = applyEvents(undefined, parse(6), { policy: DEFAULT_POLICY, now: NOW });
        const record = newUserRow(state, []);
        const found = findDrillOutcome(record, plan().drillId, []);
        expect(found).toMatchObject({ kind: 'opened', found: { incident: { id: newIncidents[0]!.id } } });
        expect(findDrillOutcome(record, 'drill-other', [])).toBeUndefined();
        expect(openEpisode(record, NOW + 5 * 60_000, DEFAULT_POLICY.windowMs)?.incident.id).toBe(newIncidents[0]!.id);
        expect(openEpisode(record, NOW + DEFAULT_POLICY.windowMs + 1, DEFAULT_POLICY.windowMs)).toBeUndefined();
    });
});
