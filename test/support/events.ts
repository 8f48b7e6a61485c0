import type { MfaKind } from '../../shared/signin/mfaKinds';
import type { SignInEvent } from '../../shared/signin/signInEvent';

export const T0 = Date.parse('2026-11-02T09:00:00Z');
export const USER = '0f8fad5b-d9cb-469f-a165-70867728950e';

let seq = 0;
/** A normalized event `minute` minutes after T0; `key` names the prompt (rows with the same key are one prompt). */
export function ev(
    kind: MfaKind,
    minute: number,
    o: { key?: string; ip?: string; userId?: string; rid?: string; asn?: number } = {},
): SignInEvent {
    const key = o.key ?? `p${seq++}`;
    return {
        userId: o.userId ?? USER,
        userPrincipalName: 'victim@contoso.com',
        time: T0 + minute * 60_000,
        kind,
        ipAddress: o.ip ?? '203.0.113.7',
        ...(o.asn !== undefined ? { asn: o.asn } : {}),
        appDisplayName: 'OfficeHome',
        recordId: o.rid ?? `row-${key}`,
        keys: [`i:${o.rid ?? `row-${key}`}`, `r:${key}`],
    };
}

/** Fisher-Yates with a seeded generator. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
    const out = [...items];
    let s = seed >>> 0;
    const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
    for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
}
