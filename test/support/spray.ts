import { envelope, pushApproved, pushDenied, pushTimeout, User, user } from './signInFactory';

/**
 * Push spray as the issue describes it, and the look-alikes that must stay quiet: records in the Event Hub shape from
 * the sign-in factory. Deterministic (users and addresses from their index).
 */
export const SPRAY_T0 = Date.parse('2026-11-02T09:00:00Z');
export const at = (minutes: number) => new Date(SPRAY_T0 + minutes * 60_000);

/** The attacker: one address in a small hosting network, one tool. */
export const ATTACKER = { ip: '45.141.87.19', asn: 202425, userAgent: 'python-requests/2.31.0' } as const;

export function sprayedUsers(n: number, label = 'sprayed'): User[] {
    return Array.from({ length: n }, (_, i) => user(`${label} ${i}`));
}

/**
 * `users.length` users each get two prompts from the attacker within `spanMinutes`: one declined, one left unanswered
 * (the 30 × 2 within an hour). `approver` (an index) approves a third prompt from the same address.
 */
export function sprayRecords(
    users: readonly User[],
    options: {
        spanMinutes?: number;
        start?: number;
        approver?: number;
        source?: { ip?: string; asn?: number; userAgent?: string };
    } = {},
): Array<Record<string, unknown>> {
    const span = options.spanMinutes ?? 50;
    const start = options.start ?? 0;
    const src = { ...ATTACKER, ...options.source };
    const records: Array<Record<string, unknown>> = [];
    users.forEach((u, i) => {
        const t = start + (span * i) / Math.max(1, users.length);
        const o = { user: u, ip: src.ip, asn: src.asn, userAgent: src.userAgent };
        records.push(pushDenied({ ...o, at: at(t) }));
        records.push(pushTimeout({ ...o, at: at(t + 2) }));
        if (options.approver === i) records.push(pushApproved({ ...o, at: at(t + 4) }));
    });
    return records;
}

/** Messages of `perMessage` records each, as diagnostic settings send them. */
export function messages(records: ReadonlyArray<Record<string, unknown>>, perMessage = 10): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < records.length; i += perMessage) out.push(envelope(records.slice(i, i + perMessage)));
    return out;
}

/** The large networks people sign in from at home and on the road (all on the built-in shared list). */
const HOME_NETWORKS = [7922, 20115, 7018, 21928, 3320, 3215, 22394, 6167] as const;
const BROWSERS = [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
] as const;

/** People who each decline one prompt, from their own address, within one hour. */
export function ownAddressDeclines(n: number, options: { sameNetwork?: number } = {}): Array<Record<string, unknown>> {
    return Array.from({ length: n }, (_, i) =>
        pushDenied({
            user: user(`at home ${i}`),
            at: at((55 * i) / n),
            ip: `${20 + (i % 180)}.${(i * 37) % 250}.${(i * 91) % 250}.${1 + (i % 250)}`,
            asn: options.sameNetwork ?? HOME_NETWORKS[i % HOME_NETWORKS.length]!,
            userAgent: BROWSERS[i % BROWSERS.length]!,
        }),
    );
}
