/**
 * Drill prompts and real prompts of a canary never mix: a real attack that starts right after a drill opens a real
 * incident, planned in the configured mode, and a method registered after it is linked to the real attack.
 */
import { loadContainmentConfig } from '../../shared/settings/containment';
import { planContainment } from '../../shared/containment/plan';
import { applyEvents } from '../../shared/detection/detect';
import { DEFAULT_POLICY } from '../../shared/detection/policy';
import { drillMessages, drillRecords, newDrillId } from '../../shared/drill/drillRecords';
import { emptyBatchResult } from '../../shared/pipeline/batchResult';
import { parseMessages } from '../../shared/pipeline/parseMessages';
import type { UserEvent } from '../../shared/signin/signInEvent';
import { envelope, pushApproved, pushDenied } from '../support/signInFactory';

const CANARY = '6f1c2b1e-8d3a-4c5e-9f7a-2b3c4d5e6f70';
const NOW = Date.parse('2026-11-27T12:00:00Z');
const MIN = 60_000;
const canary = { id: CANARY, upn: 'canary@contoso.com', name: 'Canary' };
const policy = DEFAULT_POLICY;

function parse(messages: Array<{ records: unknown[] }>, now: number): UserEvent[] {
    return parseMessages(
        messages,
        { categories: new Set(['SignInLogs']), drillUsers: new Set([CANARY]), now, maxClockSkewMs: 3_600_000 },
        emptyBatchResult(),
    ).get(CANARY)!;
}

const drillEvents = () =>
    parse(
        drillMessages(
            drillRecords({
                drillId: newDrillId(NOW, 'ab12cd34'),
                userId: CANARY,
                denials: 6,
                at: NOW,
                spacingMs: 3_000,
            }),
        ),
        NOW,
    );

/** Six real denials from 203.0.113.66 starting five minutes after the drill, then the user gives in. */
const realAttack = () => {
    const records = [1, 2, 3, 4, 5, 6].map((i) =>
        pushDenied({ user: canary, at: new Date(NOW + 5 * MIN + i * 20_000), ip: '203.0.113.66' }),
    );
    records.push(pushApproved({ user: canary, at: new Date(NOW + 8 * MIN), ip: '203.0.113.66' }));
    return parse([envelope(records)], NOW + 9 * MIN);
};

const config = loadContainmentConfig({
    CONTAINMENT_MODE: 'live',
    PUSH_BLOCK_GROUP_ID: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
    ALLOW_NO_BREAK_GLASS: 'true',
});

describe('a real attack on a canary within a drill’s window', () => {
    it.each([
        ['in separate batches', false],
        ['in one batch, shuffled', true],
    ])('opens a real incident planned live, and the drill keeps only its own prompts (%s)', (_name, together) => {
        const later = NOW + 9 * MIN;
        const state = together
            ? applyEvents(undefined, [...realAttack(), ...drillEvents()].reverse(), { policy, now: later }).state
            : applyEvents(applyEvents(undefined, drillEvents(), { policy, now: NOW }).state, realAttack(), {
                  policy,
                  now: later,
              }).state;
        const drill = state.incidents.filter((i) => i.drill);
        const real = state.incidents.filter((i) => !i.drill);
        expect(drill).toHaveLength(1);
        expect(drill[0]).toMatchObject({ denials: 6, ipAddresses: [expect.not.stringMatching('203.0.113.66')] });
        expect(drill[0]!.approval).toBeUndefined();
        expect(real).toHaveLength(1);
        expect(real[0]).toMatchObject({ denials: 6, ipAddresses: ['203.0.113.66'] });
        expect(real[0]!.approval).toEqual({
            at: NOW + 8 * MIN,
            ipAddress: '203.0.113.66',
            fromDenialIp: true,
            sameSource: 'address',
        });
        const plan = planContainment({ incident: real[0]!, earlier: [], config, now: later });
        expect(plan.mode).toBe('live');
        expect(plan.steps.map((s) => s.name)).toContain('revoke-sessions');
    });

    it('links a method registered afterwards to the real attack, not to the drill', () => {
        const afterDrill = applyEvents(undefined, drillEvents(), { policy, now: NOW }).state;
        const afterAttack = applyEvents(afterDrill, realAttack(), { policy, now: NOW + 9 * MIN }).state;
        const at = NOW + 60 * MIN;
        const registration: UserEvent = {
            userId: CANARY,
            time: at,
            kind: 'method-registered',
            methods: ['microsoftAuthenticator'],
            initiatedBy: 'user',
            ipAddress: '203.0.113.66',
            recordId: 'audit-real-1',
            keys: ['c:audit-real-1'],
        };
        const { newIncidents } = applyEvents(afterAttack, [registration], { policy, now: at });
        const realAttackId = afterAttack.incidents.find((i) => !i.drill)!.id;
        expect(newIncidents).toEqual([
            expect.objectContaining({
                trigger: 'method-registered-after-attack',
                relatedIncidentId: realAttackId,
                fromAttackIp: true,
            }),
        ]);
        expect(newIncidents[0]!.drill).toBeUndefined();
    });
});
