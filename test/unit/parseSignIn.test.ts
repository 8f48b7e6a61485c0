import beats from '../fixtures/beats-noninteractive.json';
import msDocs from '../fixtures/ms-docs-signin-50140.json';
import synthesized from '../fixtures/synthesized-push-denied-envelope.json';
import { classifyDenialText } from '../../shared/signin/matchers';
import { parseEntraTime } from '../../shared/signin/entraTime';
import { parseSignIn, USER_SIGNIN_CATEGORIES } from '../../shared/signin/parseSignIn';
import { recordsFromMessage } from '../../shared/signin/envelope';
import {
    DECLINED,
    fraudReport,
    managedIdentitySignIn,
    mfaFromToken,
    pushApproved,
    pushDenied,
    pushTimeout,
    servicePrincipalSignIn,
    user,
} from '../support/signInFactory';

const categories = new Set<string>(USER_SIGNIN_CATEGORIES);
const parse = (raw: unknown) => parseSignIn(raw, { categories });
const alex = user('Alex Doe');
const at = new Date('2024-05-01T10:00:05.123Z');
const clone = <T>(v: T): T => structuredClone(v);

describe('parseSignIn on the reference samples', () => {
    it('reads the synthesized push denial as push-denied with its ids, time and IP', () => {
        const outcome = parse(synthesized.records[0]);
        expect(outcome).toEqual({
            type: 'event',
            truncated: 0,
            event: {
                userId: '44444444-4444-4444-4444-444444444444',
                userPrincipalName: 'alex@contoso.com',
                time: Date.parse('2024-05-01T10:00:05.123Z'),
                kind: 'push-denied',
                ipAddress: '203.0.113.7',
                appDisplayName: 'OfficeHome',
                userType: 'Member',
                recordId: '33333333-3333-3333-3333-333333333333',
                keys: [
                    'i:33333333-3333-3333-3333-333333333333',
                    's:22222222-2222-2222-2222-222222222222|2024-05-01T10:00:05.1234567+00:00',
                ],
            },
        });
    });

    it('treats the Microsoft docs sample (50140, placeholders) as another sign-in, not an error', () => {
        expect(parse(msDocs)).toEqual({ type: 'other' });
    });

    it('treats a token-satisfied non-interactive success (beats fixture) as other, not an approval', () => {
        expect(parse(beats)).toEqual({ type: 'other' });
    });

    it('drops service principal and managed identity records before validating them', () => {
        expect(parse(servicePrincipalSignIn(at))).toEqual({ type: 'dropped', category: 'ServicePrincipalSignInLogs' });
        expect(parse(managedIdentitySignIn(at))).toEqual({ type: 'dropped', category: 'ManagedIdentitySignInLogs' });
        expect(parse({ category: 'AuditLogs', properties: 'not even an object' })).toEqual({
            type: 'dropped',
            category: 'AuditLogs',
        });
    });

    it('drops a user category that is switched off', () => {
        const onlyInteractive = new Set(['SignInLogs']);
        const record = mfaFromToken({ user: alex, at, category: 'NonInteractiveUserSignInLogs' });
        expect(parseSignIn(record, { categories: onlyInteractive })).toEqual({
            type: 'dropped',
            category: 'NonInteractiveUserSignInLogs',
        });
    });
});

describe('parseSignIn kinds', () => {
    const kindOf = (raw: unknown) => {
        const o = parse(raw);
        return o.type === 'event' ? o.event.kind : o.type;
    };

    it.each([
        ['declined', pushDenied({ user: alex, at }), 'push-denied'],
        ['unanswered', pushTimeout({ user: alex, at }), 'push-timeout'],
        ['fraud', fraudReport({ user: alex, at }), 'fraud-report'],
        ['fresh approval', pushApproved({ user: alex, at }), 'mfa-approved'],
        ['MFA from the token', mfaFromToken({ user: alex, at }), 'other'],
    ])('%s', (_label, record, kind) => {
        expect(kindOf(record)).toBe(kind);
    });

    it('finds the reason in a failed step when additionalDetails is null', () => {
        const r = pushDenied({ user: alex, at }) as any;
        r.properties.status.additionalDetails = null;
        expect(kindOf(r)).toBe('push-denied');
    });

    it('finds the reason in additionalDetails when authenticationDetails is missing or empty', () => {
        const r = pushDenied({ user: alex, at }) as any;
        delete r.properties.authenticationDetails;
        expect(kindOf(r)).toBe('push-denied');
        r.properties.authenticationDetails = [];
        expect(kindOf(r)).toBe('push-denied');
    });

    it('ignores case in result strings', () => {
        const r = pushDenied({ user: alex, at }, 'MFA DENIED; USER DECLINED THE AUTHENTICATION') as any;
        expect(kindOf(r)).toBe('push-denied');
        const t = pushDenied({ user: alex, at }, "MFA denied; user didn't respond to mobile app notification");
        expect(kindOf(t)).toBe('push-timeout');
    });

    it('reads resultType as a number and errorCode as a string', () => {
        const r = pushDenied({ user: alex, at }) as any;
        r.resultType = 500121;
        r.properties.status.errorCode = '500121';
        expect(kindOf(r)).toBe('push-denied');
    });

    it('uses resultType when status has no errorCode', () => {
        const r = pushDenied({ user: alex, at }) as any;
        delete r.properties.status.errorCode;
        expect(kindOf(r)).toBe('push-denied');
    });

    it('reads a "keep me signed in" interrupt (50140) that carries a fresh MFA step as an approval', () => {
        const r = pushApproved({ user: alex, at }) as any;
        r.resultType = '50140';
        r.properties.status = {
            errorCode: 50140,
            failureReason: "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.",
        };
        expect(kindOf(r)).toBe('mfa-approved');
        expect(kindOf(msDocs)).toBe('other');
    });

    it('does not treat an app code typed wrong at the screen or an in-progress row as push spam', () => {
        expect(kindOf(pushDenied({ user: alex, at }, 'MFA denied; user entered incorrect code'))).toBe('other');
        expect(kindOf(pushDenied({ user: alex, at }, 'MFA denied; authentication in-progress'))).toBe('other');
    });

    it('a denial text on a non-500121 code is not a denial', () => {
        const r = pushDenied({ user: alex, at }) as any;
        r.resultType = '50074';
        r.properties.status.errorCode = 50074;
        expect(kindOf(r)).toBe('other');
    });

    it('accepts Level as a string, lower-case level and durationMs as a string', () => {
        const r = pushDenied({ user: alex, at }) as any;
        delete r.Level;
        r.level = 'Informational';
        r.durationMs = '0';
        expect(kindOf(r)).toBe('push-denied');
    });

    it('parses the Graph signIn shape (no envelope fields, numeric errorCode)', () => {
        const r = (pushDenied({ user: alex, at }) as any).properties;
        expect(kindOf(r)).toBe('push-denied');
    });
});

describe('parseSignIn on Log Analytics exports', () => {
    /** A SigninLogs row as Log Analytics exports it: PascalCase columns, Status and AuthenticationDetails as JSON text. */
    function row(record: any): Record<string, unknown> {
        const p = record.properties;
        return {
            TenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
            TimeGenerated: p.createdDateTime.replace('+00:00', 'Z'),
            Type: 'SigninLogs',
            Id: p.id,
            CorrelationId: p.correlationId,
            OriginalRequestId: p.originalRequestId,
            UserId: p.userId,
            UserPrincipalName: p.userPrincipalName,
            UserType: p.userType,
            AppDisplayName: p.appDisplayName,
            IPAddress: p.ipAddress,
            ResultType: record.resultType,
            ResultDescription: record.resultDescription,
            Status: JSON.stringify(p.status),
            AuthenticationDetails: JSON.stringify(p.authenticationDetails),
            MfaDetail: '{}',
            UserAgent: p.userAgent,
            AutonomousSystemNumber: p.autonomousSystemNumber,
            NetworkLocationDetails: JSON.stringify(p.networkLocationDetails),
        };
    }

    it('reads denials, approvals and fraud reports with the same kinds and keys as the Event Hub record', () => {
        for (const record of [
            pushDenied({ user: alex, at }),
            pushApproved({ user: alex, at }),
            fraudReport({ user: alex, at }),
        ]) {
            const fromHub = parse(record);
            const fromLogAnalytics = parse(row(record));
            expect(fromLogAnalytics).toEqual(fromHub);
        }
    });

    it('drops service principal rows and rejects a row without a user id', () => {
        expect(parse({ ...row(pushDenied({ user: alex, at })), Type: 'AADServicePrincipalSignInLogs' })).toEqual({
            type: 'dropped',
            category: 'ServicePrincipalSignInLogs',
        });
        expect(parse({ ...row(pushDenied({ user: alex, at })), UserId: '' })).toMatchObject({
            type: 'rejected',
            reason: 'missing-user-id',
        });
    });
});

describe('parseSignIn time', () => {
    it('prefers properties.createdDateTime, with an offset', () => {
        const r = pushDenied({ user: alex, at }) as any;
        r.properties.createdDateTime = '2019-10-18T04:45:48.0729893-05:00';
        r.time = '2000-01-01T00:00:00Z';
        const o = parse(r);
        expect(o.type === 'event' && o.event.time).toBe(Date.parse('2019-10-18T09:45:48.072Z'));
    });

    it('falls back to a non-ISO top-level time', () => {
        const r = pushDenied({ user: alex, at }) as any;
        delete r.properties.createdDateTime;
        r.time = '11/14/2025 1:48:53 PM';
        const o = parse(r);
        expect(o.type === 'event' && o.event.time).toBe(Date.parse('2025-11-14T13:48:53Z'));
    });

    it.each(['2024-02-30T00:00:00Z', '13/01/2024 1:00:00 AM', 'yesterday', '', '2024-05-01T25:00:00Z'])(
        'rejects %p',
        (text) => {
            expect(parseEntraTime(text) === undefined || Number.isNaN(parseEntraTime(text))).toBe(true);
        },
    );
});

describe('parseSignIn keys for duplicate rows', () => {
    it('gives two rows of one prompt a shared key, and two prompts none', () => {
        const a = pushDenied({ user: alex, at, correlationId: 'c0ffee00-0000-4000-8000-000000000001' }) as any;
        const dup = clone(a);
        dup.properties.id = 'd0000000-0000-4000-8000-000000000002';
        dup.properties.originalRequestId = 'd0000000-0000-4000-8000-000000000002';
        const next = pushDenied({
            user: alex,
            at: new Date(at.getTime() + 30_000),
            correlationId: 'c0ffee00-0000-4000-8000-000000000001',
        });
        const keys = (r: unknown) => {
            const o = parse(r);
            if (o.type !== 'event') throw new Error(o.type);
            return o.event.keys;
        };
        expect(keys(a).some((k) => keys(dup).includes(k))).toBe(true);
        expect(keys(a).some((k) => keys(next).includes(k))).toBe(false);
    });
});

describe('classifyDenialText', () => {
    it.each([
        ['mfa denied; user declined the authentication', 'push-denied'],
        ['azure multi-factor authentication denied; user declined the authentication', 'push-denied'],
        ['mfa denied; user did not respond to mobile app notification', 'push-timeout'],
        ["mfa denied; user didn't respond to mobile app notification", 'push-timeout'],
        ['mfa denied; phone app reported fraud', 'fraud-report'],
        ['mfa denied; fraud code entered', 'fraud-report'],
        ['mfa denied; authentication in-progress', 'other'],
        // A code typed wrong, and no method to say it was a texted one: a failed prompt of unknown outcome.
        ['mfa denied; user entered incorrect code', 'prompt-failed'],
        ['mfa denied; a wording no source names', undefined],
        [DECLINED.toLowerCase(), 'push-denied'],
    ])('%s', (text, kind) => {
        expect(classifyDenialText(text)).toBe(kind);
    });
});

describe('recordsFromMessage', () => {
    const rec = pushDenied({ user: alex, at });
    const count = (m: unknown) => [...recordsFromMessage(m)].filter((i) => i.type === 'record').length;

    it('accepts an envelope object, a JSON string, a Buffer, a bare record and arrays of them', () => {
        expect(count({ records: [rec, rec] })).toBe(2);
        expect(count(JSON.stringify({ records: [rec] }))).toBe(1);
        expect(count(Buffer.from(JSON.stringify({ records: [rec, rec, rec] })))).toBe(3);
        expect(count(rec)).toBe(1);
        expect(count([{ records: [rec] }, rec])).toBe(2);
        expect(count({ value: [(rec as any).properties], '@odata.nextLink': 'x' })).toBe(1);
    });

    it('rejects a message that is not JSON, without throwing', () => {
        expect([...recordsFromMessage('{"records": [')]).toEqual([
            { type: 'rejected', reason: 'invalid-json', detail: expect.any(String) },
        ]);
        expect([...recordsFromMessage({ records: 'x' })]).toEqual([
            { type: 'rejected', reason: 'invalid-envelope', detail: expect.any(String) },
        ]);
    });
});
