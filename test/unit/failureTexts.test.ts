/**
 * Every text Entra writes for a failed MFA step, counted by what it means (shared/signin/matchers.ts): one test per
 * text, each through the parser on a record shaped as Entra streams it. The expectations are written here, apart from
 * the table, so that a change of meaning in the table fails a test.
 */
import { FAILURE_TEXTS } from '../../shared/signin/matchers';
import { parseSignIn, USER_SIGNIN_CATEGORIES } from '../../shared/signin/parseSignIn';
import { GENERIC_500121, mfaFailed, pushDenied, user } from '../support/signInFactory';

const categories = new Set<string>(USER_SIGNIN_CATEGORIES);
const alex = user('Alex Failure');
const at = new Date('2026-03-02T09:00:00.000Z');
const APP = 'Mobile app notification';
const SMS = 'Text message';
const CALL = 'Phone call (Authentication phone)';
const OATH = 'OATH verification code';

function kindOf(raw: unknown): string {
    const o = parseSignIn(raw, { categories });
    return o.type === 'event' ? o.event.kind : o.type;
}

/** The row as Entra writes it: the text after its prefix, in the status and in the failed step. */
const row = (text: string, method: string) =>
    mfaFailed({ user: alex, at }, `MFA denied; ${text}`, { method, detail: `MFA denied; ${text}` });

/** text → expected kind, by the failed step's method; `none`: the record names no step (Graph v1.0). */
const EXPECTED: Record<string, Partial<Record<'app' | 'sms' | 'call' | 'oath' | 'none', string>>> = {
    'Phone App Reported Fraud': { app: 'fraud-report', none: 'fraud-report' },
    'Fraud Code Entered': { call: 'fraud-report', none: 'fraud-report' },
    'Fraud reported': { app: 'fraud-report' },
    'duplicate authentication attempt': { app: 'prompt-failed', none: 'prompt-failed' },
    'authentication in-progress': { app: 'other', none: 'other' },
    'user declined the authentication': { app: 'push-denied', none: 'push-denied' },
    'user did not select the correct number': { app: 'push-denied', none: 'push-denied' },
    "user didn't respond to mobile app notification": { app: 'push-timeout', none: 'push-timeout' },
    'user hung up the phone call without succeeding the authentication': { call: 'voice-denied' },
    'phone call went to voicemail': { call: 'voice-timeout' },
    'user entered incorrect PIN': { call: 'voice-denied', app: 'push-denied', none: 'push-denied' },
    'user entered incorrect code': { sms: 'sms-wrong-code', oath: 'other', none: 'prompt-failed' },
    'invalid verification code': { sms: 'sms-wrong-code', oath: 'other', none: 'prompt-failed' },
    'user never entered the verification code': { sms: 'sms-wrong-code', oath: 'other', none: 'prompt-failed' },
    'invalid mobile app verification code': { oath: 'other' },
    'verification code already used once': { sms: 'other', oath: 'other' },
    'user is blocked': { app: 'other', none: 'other' },
    'unable to send the mobile app notification': { app: 'other', none: 'other' },
    "unable to reach the user's phone": { call: 'other', sms: 'other' },
    'phone number has an invalid format': { sms: 'other' },
    "user doesn't have any verification methods registered": { none: 'other' },
    'user not found': { none: 'other' },
    misconfiguration: { none: 'other' },
    'service error': { none: 'other' },
    'invalid authentication': { app: 'prompt-failed', none: 'prompt-failed' },
    [GENERIC_500121]: { none: 'prompt-failed' },
};

const METHODS = { app: APP, sms: SMS, call: CALL, oath: OATH } as const;

describe('every failure text, counted by meaning', () => {
    it('covers every text of the table, and the table every text here', () => {
        expect(FAILURE_TEXTS.map((t) => t.text).sort()).toEqual(Object.keys(EXPECTED).sort());
        for (const t of FAILURE_TEXTS) {
            expect(t.source).toMatch(/\S{8,}/);
            expect(t.why.length).toBeGreaterThan(10);
        }
    });

    describe.each(Object.entries(EXPECTED))('%s', (text, byMethod) => {
        it.each(Object.entries(byMethod))('with %s: %s', (method, kind) => {
            const record =
                method === 'none'
                    ? mfaFailed({ user: alex, at }, text === GENERIC_500121 ? text : `MFA denied; ${text}`)
                    : row(text, METHODS[method as keyof typeof METHODS]);
            expect(kindOf(record)).toBe(kind);
            // The older prefix and any case read the same.
            if (method !== 'none' && text !== GENERIC_500121) {
                const older = mfaFailed(
                    { user: alex, at },
                    `Azure Multi-Factor Authentication denied; ${text.toUpperCase()}`,
                    { method: METHODS[method as keyof typeof METHODS], detail: '' },
                );
                expect(kindOf(older)).toBe(kind);
            }
        });
    });
});

describe('degrade, never go blind', () => {
    it('counts a 500121 with the generic text and an empty authenticationDetails as a failed prompt', () => {
        expect(kindOf(mfaFailed({ user: alex, at }, GENERIC_500121))).toBe('prompt-failed');
    });

    it('counts a 500121 with no text at all, and the Graph v1.0 shape without steps, as a failed prompt', () => {
        expect(kindOf(mfaFailed({ user: alex, at }, null))).toBe('prompt-failed');
        const graph = (mfaFailed({ user: alex, at }, GENERIC_500121) as { properties: Record<string, unknown> })
            .properties;
        delete graph.authenticationDetails;
        expect(kindOf(graph)).toBe('prompt-failed');
    });

    it('counts a wording no source names as a failed prompt, not as other', () => {
        expect(kindOf(row('user tapped a brand new button', APP))).toBe('prompt-failed');
    });

    it('lets a step that says why decide over the generic text in the status', () => {
        const declined = mfaFailed({ user: alex, at }, GENERIC_500121, {
            method: APP,
            detail: 'MFA denied; user declined the authentication',
        });
        expect(kindOf(declined)).toBe('push-denied');
        const blocked = mfaFailed({ user: alex, at }, GENERIC_500121, {
            method: APP,
            detail: 'MFA denied; user is blocked',
        });
        expect(kindOf(blocked)).toBe('other');
    });

    it('reads a number-matching answer from the beta authenticationAppPolicyEvaluationDetails', () => {
        const withPolicy = (status: string) => {
            const r = mfaFailed({ user: alex, at }, GENERIC_500121) as { properties: Record<string, unknown> };
            r.properties.authenticationAppPolicyEvaluationDetails = [
                { policyName: 'appContext', status: 'appContextShown', adminConfiguration: 'enabled' },
                {
                    policyName: 'numberMatch',
                    status,
                    adminConfiguration: 'enabled',
                    authenticationEvaluation: 'failure',
                },
            ];
            return r;
        };
        expect(kindOf(withPolicy('numberMatchIncorrectNumberEntered'))).toBe('push-denied');
        expect(kindOf(withPolicy('numberMatchDeny'))).toBe('push-denied');
        expect(kindOf(withPolicy('numberMatchOutOfDate'))).toBe('prompt-failed');
        // A shape nobody documents never costs the record.
        const odd = withPolicy('x');
        odd.properties.authenticationAppPolicyEvaluationDetails = 'not a list';
        expect(kindOf(odd)).toBe('prompt-failed');
    });

    it('makes the rows of one sign-in logged as duplicate attempts one prompt, whatever their step times', () => {
        const keysOf = (raw: unknown) => {
            const o = parseSignIn(raw, { categories });
            if (o.type !== 'event') throw new Error(o.type);
            return o.event.keys;
        };
        const dup = (second: number) =>
            mfaFailed({ user: alex, at: new Date(at.getTime() + second * 1000), correlationId: 'corr-dup' }, null, {
                method: APP,
                detail: 'MFA denied; duplicate authentication attempt',
            });
        const [a, b] = [keysOf(dup(0)), keysOf(dup(7))];
        expect(a.filter((k) => b.includes(k))).toEqual(['s:corr-dup|duplicate']);
        // Declined prompts of one correlation id stay apart by their step time.
        const declined = (second: number) =>
            keysOf(pushDenied({ user: alex, at: new Date(at.getTime() + second * 1000), correlationId: 'corr-dup' }));
        expect(declined(0).filter((k) => declined(7).includes(k))).toEqual([]);
    });

    it('reads the autonomous system number as a number or its text, and ignores anything else', () => {
        const asnOf = (value: unknown) => {
            const r = pushDenied({ user: alex, at }) as { properties: Record<string, unknown> };
            r.properties.autonomousSystemNumber = value;
            const o = parseSignIn(r, { categories });
            if (o.type !== 'event') throw new Error(o.type);
            return 'asn' in o.event ? o.event.asn : undefined;
        };
        expect(asnOf(8075)).toBe(8075);
        expect(asnOf('8075')).toBe(8075);
        expect(asnOf({ n: 1 })).toBeUndefined();
        expect(asnOf(-1)).toBeUndefined();
        expect(asnOf(2 ** 40)).toBeUndefined();
    });
});
