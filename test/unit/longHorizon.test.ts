/**
 * The long-horizon view of a user (detection only, pure): attacks paced to slip under the 10-minute window open an
 * incident or are caught at the approval, with the defaults; the benign shapes of the issue stay quiet.
 */
import { applyEvents } from '../../shared/detection/detect';
import { DEFAULT_POLICY } from '../../shared/detection/policy';
import type { Incident, UserState } from '../../shared/detection/userState';
import type { MfaKind } from '../../shared/signin/mfaKinds';
import type { SignInEvent } from '../../shared/signin/signInEvent';
import { ev, T0 } from '../support/events';

const NOW = T0 + 30 * 86_400_000;
const ATTACKER = '185.220.101.34';
const HOME = '198.51.100.23';

/** Each event delivered in its own batch, in time order, as a live stream would: the incidents opened, and the state. */
function stream(events: SignInEvent[]): { created: Incident[]; state: UserState } {
    let state: UserState | undefined;
    const created: Incident[] = [];
    for (const e of [...events].sort((a, b) => a.time - b.time)) {
        const r = applyEvents(state, [e], { policy: DEFAULT_POLICY, now: NOW });
        state = r.state;
        created.push(...r.newIncidents);
    }
    return { created, state: state! };
}

const at = (kind: MfaKind, minute: number, ip = ATTACKER, asn?: number) =>
    ev(kind, minute, { ip, ...(asn !== undefined ? { asn } : {}) });

describe('paced attacks', () => {
    it('24 prompts five minutes apart (16 declined, 8 unanswered), then an approval from that address: an incident, approved from the attacking address', () => {
        const prompts = Array.from({ length: 24 }, (_, i) => at(i % 3 === 2 ? 'push-timeout' : 'push-denied', i * 5));
        const { created, state } = stream([...prompts, at('mfa-approved', 24 * 5)]);
        expect(created).toHaveLength(1);
        const [inc] = state.incidents;
        // Fifteen weighted prompts within the long window: 10 declined and 5 unanswered, the 15th prompt.
        expect(inc).toMatchObject({ trigger: 'sustained', denials: 16, timeouts: 8, firstSeen: T0 });
        expect(inc!.approval).toMatchObject({ ipAddress: ATTACKER, fromDenialIp: true, sameSource: 'address' });
    });

    it('20 declines nine minutes apart: one incident, every decline of the attack on it', () => {
        const { created, state } = stream(Array.from({ length: 20 }, (_, i) => at('push-denied', i * 9)));
        expect(created.map((i) => i.trigger)).toEqual(['sustained']);
        expect(state.incidents[0]!.denials).toBe(20);
    });

    it('twenty declined prompts spread evenly over three hours open an incident', () => {
        const { created } = stream(Array.from({ length: 20 }, (_, i) => at('push-denied', (i * 180) / 19)));
        expect(created).toHaveLength(1);
        expect(created[0]!.trigger).toBe('sustained');
    });

    it.each([
        ['the same address', '185.220.101.34', undefined, 'address'],
        ['the same /24', '185.220.101.200', undefined, 'network'],
        ['the same autonomous system', '45.80.1.9', 60729, 'autonomous-system'],
    ])(
        'three declines an hour apart, then an approval from %s: spam-then-success, however slowly they came',
        (_label, approvingIp, asn, match) => {
            const declines = [0, 60, 120].map((m) => at('push-denied', m, ATTACKER, 60729));
            const { created } = stream([...declines, at('mfa-approved', 170, approvingIp, asn)]);
            expect(created).toHaveLength(1);
            expect(created[0]).toMatchObject({ trigger: 'spam-then-success', denials: 3 });
            expect(created[0]!.approval?.sameSource).toBe(match);
        },
    );

    it('matches an IPv6 approval to declines from the same /64', () => {
        const declines = [0, 45, 90].map((m) => at('push-denied', m, `2001:db8:7:1::${m + 1}`));
        const { created } = stream([...declines, at('mfa-approved', 130, '2001:db8:7:1:ffff::9')]);
        expect(created[0]).toMatchObject({ trigger: 'spam-then-success' });
        expect(created[0]!.approval?.sameSource).toBe('network');
    });

    it('counts number-matching wrong answers as refused prompts: six in six minutes open an incident', () => {
        // The parser reads "user did not select the correct number" as a declined push (failureTexts.test.ts).
        const { created } = stream(Array.from({ length: 6 }, (_, i) => at('push-denied', i)));
        expect(created[0]).toMatchObject({ trigger: 'threshold' });
    });

    it('weighs failed prompts of unknown outcome as unanswered ones', () => {
        const { created } = stream(Array.from({ length: 10 }, (_, i) => at('prompt-failed', i * 0.5)));
        expect(created[0]).toMatchObject({ trigger: 'threshold', unknownOutcomes: 10 });
    });
});

describe('benign shapes stay quiet', () => {
    it('one mis-tap a day for a week, each followed by an approval from the user’s own address', () => {
        const week = Array.from({ length: 7 }, (_, d) => [
            at('push-denied', d * 1440 + 540, HOME),
            at('mfa-approved', d * 1440 + 541, HOME),
        ]).flat();
        expect(stream(week).created).toEqual([]);
    });

    it('two mis-taps, then an approval from the user’s own address', () => {
        const { created } = stream([
            at('push-denied', 0, HOME),
            at('push-denied', 1, HOME),
            at('mfa-approved', 2, HOME),
        ]);
        expect(created).toEqual([]);
    });

    it('a phone left in a drawer for an afternoon: a prompt every 15 minutes from 13:00 to 18:00, then the approval', () => {
        const afternoon = Array.from({ length: 21 }, (_, i) => at('push-timeout', 240 + i * 15, HOME));
        const { created } = stream([...afternoon, at('mfa-approved', 240 + 21 * 15, HOME)]);
        // 16 unanswered in any four hours weigh 8, half the sustained threshold; unanswered prompts never make an
        // approval a spam-then-success over hours (only refused ones do).
        expect(created).toEqual([]);
    });

    it('an unanswered prompt every 7 minutes for hours looks like an attacker at night, and opens one incident', () => {
        const { created } = stream(Array.from({ length: 40 }, (_, i) => at('push-timeout', i * 7, HOME)));
        expect(created.map((i) => i.trigger)).toEqual(['sustained']);
    });
});

describe('the attack as a person dates it', () => {
    it('a burst after hours of sparse prompts starts at the burst, not at the first sparse prompt', () => {
        // Unanswered prompts nine minutes apart for 4.4 hours (below the long threshold), then five declines.
        const sparse = Array.from({ length: 30 }, (_, i) => at('push-timeout', i * 9));
        const burst = Array.from({ length: 5 }, (_, i) => at('push-denied', 266 + i * 0.5));
        const { created } = stream([...sparse, ...burst]);
        expect(created).toHaveLength(1);
        const inc = created[0]!;
        // The episode (what the incident counts) still reaches back; the attack's start does not.
        expect(inc.firstSeen).toBe(T0);
        expect(inc.attackStart).toBeGreaterThanOrEqual(T0 + 266 * 60_000 - DEFAULT_POLICY.removalLookbackMs);
        expect(inc.attackStart).toBeGreaterThan(T0 + 200 * 60_000);
    });

    it('never dates a sustained attack further back than the look-back before its trigger', () => {
        const { created } = stream(Array.from({ length: 20 }, (_, i) => at('push-denied', i * 9)));
        const inc = created[0]!;
        expect(inc.detectedAt - inc.attackStart!).toBe(DEFAULT_POLICY.removalLookbackMs);
    });
});
