import { mergeRegistrations } from '../../shared/detection/persistence';
import { MAX_REGISTRATIONS_PER_USER, MAX_ROW_IDS_PER_PROMPT } from '../../shared/detection/userState';
import type { SecurityInfoEvent } from '../../shared/signin/signInEvent';
import { shuffle, T0, USER } from '../support/events';

/** One audit row of the registration `n` (its correlation id), `minute` minutes after T0. */
function row(n: number, minute: number, o: { rid?: string; methods?: string[] } = {}): SecurityInfoEvent {
    const rid = o.rid ?? `audit-${n}-${minute}`;
    return {
        kind: 'method-registered',
        userId: USER,
        time: T0 + minute * 60_000,
        methods: o.methods ?? ['unknown'],
        ipAddress: '185.220.101.34',
        initiatedBy: 'user',
        recordId: rid,
        keys: [`i:${rid}`, `c:corr-${n}|method-registered`],
    };
}

describe('merging audit rows into security-information changes', () => {
    it('merges the rows of one registration (same correlation id) and keeps what they say', () => {
        const merged = mergeRegistrations(
            [],
            [row(1, 5), row(2, 7), row(1, 4, { methods: ['microsoftAuthenticator'] }), row(1, 5)],
        );
        expect(merged).toHaveLength(2);
        expect(merged[0]).toMatchObject({ time: T0 + 4 * 60_000, methods: ['microsoftAuthenticator'] });
        expect(merged[0]!.rowIds).toEqual(['audit-1-5', 'audit-1-4']);
    });

    it('a redelivered batch changes nothing', () => {
        const batch = [row(1, 1), row(2, 2), row(1, 3)];
        const once = mergeRegistrations([], batch);
        expect(mergeRegistrations(once, shuffle(batch, 3))).toEqual(once);
    });

    it('an adversarial batch of 200,000 audit rows stays bounded: the newest changes, each row merged where it belongs', () => {
        // 100,000 distinct registrations (one a second, shuffled), each of two rows, the second far from the first.
        const count = 100_000;
        const rows: SecurityInfoEvent[] = [];
        for (let n = 0; n < count; n++) rows.push(row(n, n / 60, { rid: `a${n}` }));
        const seconds = shuffle(rows, 11);
        for (let n = 0; n < count; n++) seconds.push(row(n, n / 60, { rid: `b${n}`, methods: ['fido2'] }));

        const merged = mergeRegistrations([], seconds);

        expect(merged).toHaveLength(MAX_REGISTRATIONS_PER_USER);
        const newest = Array.from(
            { length: MAX_REGISTRATIONS_PER_USER },
            (_, i) => count - MAX_REGISTRATIONS_PER_USER + i,
        );
        expect(merged.map((r) => r.time)).toEqual(newest.map((n) => T0 + (n / 60) * 60_000));
        // Both rows of each kept registration are one change, whatever lay between them.
        for (const [i, r] of merged.entries()) {
            expect(r.rowIds).toEqual([`a${newest[i]}`, `b${newest[i]}`]);
            expect(r.methods).toEqual(['fido2']);
            expect(r.keys.length).toBeLessThanOrEqual(4);
        }
    });

    it('thousands of rows of one registration are one change with bounded evidence', () => {
        const rows = Array.from({ length: 50_000 }, (_, i) => row(1, 3, { rid: `r${i}` }));
        const [only, ...rest] = mergeRegistrations([], rows);
        expect(rest).toEqual([]);
        expect(only!.rowIds).toHaveLength(MAX_ROW_IDS_PER_PROMPT);
        expect(only!.keys).toHaveLength(4);
    });
});
