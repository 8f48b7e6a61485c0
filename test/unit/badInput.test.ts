import { emptyBatchResult } from '../../shared/pipeline/batchResult';
import { parseMessages } from '../../shared/pipeline/parseMessages';
import { USER_SIGNIN_CATEGORIES } from '../../shared/signin/parseSignIn';
import { pushApproved, pushDenied, user } from '../support/signInFactory';

const categories = new Set<string>(USER_SIGNIN_CATEGORIES);
const base = () => pushDenied({ user: user('Alex Doe'), at: new Date('2026-11-02T09:00:00Z') }) as any;
const approved = () => pushApproved({ user: user('Alex Doe'), at: new Date('2026-11-02T09:00:00Z') }) as any;
const huge = 'x'.repeat(2_000_000);

/** Each variant turns a valid denial into a record that cannot be used. */
const variants: Array<[string, () => unknown]> = [
    ['null', () => null],
    ['a number', () => 42],
    ['a string that is not JSON', () => 'not json {'],
    ['a JSON string literal', () => '"just a string"'],
    ['a boolean', () => true],
    ['truncated JSON', () => JSON.stringify(base()).slice(0, 200)],
    ['records is an object', () => ({ records: { a: 1 } })],
    ['records is a string', () => ({ records: 'x' })],
    ['category is a number', () => ({ ...base(), category: 7 })],
    ['category is an object', () => ({ ...base(), category: { name: 'SignInLogs' } })],
    ['category is a huge string', () => ({ ...base(), category: huge })],
    ['properties is a string', () => ({ ...base(), properties: 'x' })],
    ['properties is null', () => ({ ...base(), properties: null })],
    ['properties is an array', () => ({ ...base(), properties: [] })],
    ['resultType is an object', () => ({ ...base(), resultType: { code: 500121 } })],
    ['resultType is a float', () => ({ ...base(), resultType: 500121.5 })],
    ['resultType is text', () => ({ ...base(), resultType: 'denied' })],
    [
        'errorCode is a boolean',
        () => {
            const r = base();
            r.properties.status.errorCode = true;
            return r;
        },
    ],
    [
        'no result code at all',
        () => {
            const r = base();
            delete r.resultType;
            delete r.properties.status.errorCode;
            return r;
        },
    ],
    [
        'status is a string',
        () => {
            const r = base();
            r.properties.status = 'failed';
            delete r.resultType;
            return r;
        },
    ],
    [
        'userId missing',
        () => {
            const r = base();
            delete r.properties.userId;
            return r;
        },
    ],
    [
        'userId null',
        () => {
            const r = base();
            r.properties.userId = null;
            return r;
        },
    ],
    [
        'userId empty',
        () => {
            const r = base();
            r.properties.userId = '';
            return r;
        },
    ],
    [
        'userId a number',
        () => {
            const r = base();
            r.properties.userId = 12345;
            return r;
        },
    ],
    [
        'userId a path',
        () => {
            const r = base();
            r.properties.userId = '../../users/admin';
            return r;
        },
    ],
    [
        'userId with a query',
        () => {
            const r = base();
            r.properties.userId = '44444444-4444-4444-4444-444444444444?$select=x';
            return r;
        },
    ],
    [
        'userId a URL',
        () => {
            const r = base();
            r.properties.userId = 'https://graph.microsoft.com/v1.0/users/x';
            return r;
        },
    ],
    [
        'userId a UPN',
        () => {
            const r = base();
            r.properties.userId = 'alex@contoso.com';
            return r;
        },
    ],
    [
        'userId with a slash inside a GUID',
        () => {
            const r = base();
            r.properties.userId = '44444444-4444-4444-4444/44444444444';
            return r;
        },
    ],
    [
        'userId huge',
        () => {
            const r = base();
            r.properties.userId = huge;
            return r;
        },
    ],
    [
        'createdDateTime invalid and no time',
        () => {
            const r = base();
            r.properties.createdDateTime = 'not a date';
            delete r.time;
            return r;
        },
    ],
    [
        'createdDateTime 30 February',
        () => {
            const r = base();
            r.properties.createdDateTime = '2026-02-30T10:00:00Z';
            return r;
        },
    ],
    [
        'createdDateTime hour 25',
        () => {
            const r = base();
            r.properties.createdDateTime = '2026-02-03T25:00:00Z';
            return r;
        },
    ],
    [
        'createdDateTime a number',
        () => {
            const r = base();
            r.properties.createdDateTime = 1714557605123;
            return r;
        },
    ],
    [
        'no time anywhere',
        () => {
            const r = base();
            delete r.properties.createdDateTime;
            delete r.time;
            return r;
        },
    ],
    [
        'createdDateTime huge',
        () => {
            const r = base();
            r.properties.createdDateTime = huge;
            return r;
        },
    ],
    [
        'additionalDetails an object',
        () => {
            const r = base();
            r.properties.status.additionalDetails = { text: 'declined' };
            return r;
        },
    ],
    [
        'authenticationDetails an object',
        () => {
            const r = base();
            r.properties.authenticationDetails = { step: 1 };
            return r;
        },
    ],
    [
        'authenticationDetails with a string step',
        () => {
            const r = base();
            r.properties.authenticationDetails = ['step'];
            return r;
        },
    ],
    [
        'succeeded as a string',
        () => {
            const r = base();
            r.properties.authenticationDetails[1].succeeded = 'false';
            return r;
        },
    ],
    [
        'UPN a number',
        () => {
            const r = base();
            r.properties.userPrincipalName = 7;
            return r;
        },
    ],
    [
        'ipAddress an array',
        () => {
            const r = base();
            r.properties.ipAddress = ['1.2.3.4'];
            return r;
        },
    ],
    [
        'id an object',
        () => {
            const r = base();
            r.properties.id = { id: 1 };
            return r;
        },
    ],
    [
        'no ids at all',
        () => {
            const r = base();
            delete r.properties.id;
            delete r.properties.originalRequestId;
            delete r.correlationId;
            delete r.properties.correlationId;
            return r;
        },
    ],
    [
        '__proto__ carrying the user id',
        () => {
            const r = base();
            delete r.properties.userId;
            return JSON.parse(
                JSON.stringify(r).replace(
                    '"properties":{',
                    '"properties":{"__proto__":{"userId":"44444444-4444-4444-4444-444444444444"},',
                ),
            );
        },
    ],
    ['__proto__ as properties', () => JSON.parse(JSON.stringify(base()).replace('"properties":', '"__proto__":'))],
    [
        'constructor key holding junk with a bad user id',
        () => {
            const r = base();
            r.properties.constructor = { prototype: { polluted: true } };
            r.properties.userId = 'constructor';
            return r;
        },
    ],
    [
        'approval with userId missing',
        () => {
            const r = approved();
            delete r.properties.userId;
            return r;
        },
    ],
    [
        'approval with invalid date',
        () => {
            const r = approved();
            r.properties.createdDateTime = '2026-13-01T00:00:00Z';
            delete r.time;
            return r;
        },
    ],
];

/** Valid records (user id, time and result are fine) with one over-long text: cut to its bound, never lost. */
const longFields: Array<[string, (r: any) => void, (e: any) => void]> = [
    [
        'appDisplayName of 200,000 non-Latin characters',
        (r) => (r.properties.appDisplayName = '應用程式'.repeat(50_000)),
        (e) => expect(e.appDisplayName).toHaveLength(256),
    ],
    [
        'correlationId of 2 MB',
        (r) => (r.properties.correlationId = huge),
        (e) => expect(e.keys.some((k: string) => k.startsWith('s:x'))).toBe(true),
    ],
    ['ipAddress of 2 MB', (r) => (r.properties.ipAddress = huge), (e) => expect(e.ipAddress).toHaveLength(64)],
    [
        'userPrincipalName of 2 MB',
        (r) => (r.properties.userPrincipalName = huge),
        (e) => expect(e.userPrincipalName).toHaveLength(256),
    ],
    [
        'additionalDetails of 2 MB after the denial text',
        (r) => (r.properties.status.additionalDetails += huge),
        (e) => expect(e.kind).toBe('push-denied'),
    ],
    [
        '500 authentication steps',
        (r) =>
            (r.properties.authenticationDetails = Array.from(
                { length: 500 },
                () => r.properties.authenticationDetails[1],
            )),
        (e) => expect(e.kind).toBe('push-denied'),
    ],
    ['id of 2 MB', (r) => (r.properties.id = huge), (e) => expect(e.recordId).toHaveLength(128)],
];

describe('long fields are cut to their bound, never fatal', () => {
    it.each(longFields)('%s: the denial counts, the cut is counted', (_label, mutate, check) => {
        const r = base();
        mutate(r);
        const result = emptyBatchResult();
        const byUser = parseMessages([r], { categories }, result);
        expect(result.rejected).toBe(0);
        expect(result.events).toBe(1);
        expect(result.truncated).toBe(1);
        const [event] = [...byUser.values()].flat();
        expect(event!.kind).toBe('push-denied');
        check(event);
    });

    it('cuts the same long id the same way, so that a redelivered row is still the same prompt', () => {
        const r = base();
        r.properties.id = `${'a'.repeat(500)}-1`;
        r.properties.originalRequestId = `${'b'.repeat(500)}-1`;
        const a = [...parseMessages([r], { categories }, emptyBatchResult()).values()].flat()[0]!;
        const b = [...parseMessages([structuredClone(r)], { categories }, emptyBatchResult()).values()].flat()[0]!;
        expect(a.keys).toEqual(b.keys);
    });
});

describe('malformed records', () => {
    it(`has at least 40 variants (${variants.length})`, () => {
        expect(variants.length).toBeGreaterThanOrEqual(40);
    });

    it.each(variants)('%s: counted as rejected, never thrown', (_label, make) => {
        const message = make();
        const result = emptyBatchResult();
        const byUser = parseMessages([message], { categories }, result);
        expect(result.rejected).toBe(1);
        expect(Object.values(result.rejectedByReason).reduce((a, b) => a + (b ?? 0), 0)).toBe(1);
        expect(byUser.size).toBe(0);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('rejects the bad ones and keeps the good ones of one mixed batch', () => {
        const result = emptyBatchResult();
        const messages = [{ records: [base(), ...variants.map(([, make]) => make()), base()] }];
        const byUser = parseMessages(messages, { categories }, result);
        expect(result.records).toBe(variants.length + 2);
        expect(result.events).toBe(2);
        // "records is a string" and friends are whole messages when nested in a records array they are records.
        expect(result.rejected).toBe(variants.length);
        expect([...byUser.values()].flat()).toHaveLength(2);
    });

    it('keeps a sample per reason that names the problem, not the record', () => {
        const result = emptyBatchResult();
        parseMessages([variants.find(([l]) => l === 'userId a path')![1]()], { categories }, result);
        expect(result.rejectedByReason).toEqual({ 'invalid-user-id': 1 });
        expect(result.rejectedSamples['invalid-user-id']).toBe('userId is not a GUID');
    });
});
