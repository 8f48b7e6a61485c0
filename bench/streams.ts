import { rng } from '../test/support/sampleStream';
import {
    envelope,
    managedIdentitySignIn,
    mfaFromToken,
    pushApproved,
    pushDenied,
    pushTimeout,
    servicePrincipalSignIn,
    user,
    User,
    wrongPassword,
} from '../test/support/signInFactory';

/**
 * A tenant-shaped stream for benchmarks: mostly token refreshes and service principals, some approvals, a few
 * denials, and an attack on every 50th user. Returned as Event Hub message bodies (JSON strings of envelopes).
 */
export function tenantStream(options: { records: number; users: number; perMessage: number; seed?: number }): string[] {
    const random = rng(options.seed ?? 1);
    const users: User[] = Array.from({ length: options.users }, (_, i) => user(`Bench User ${i}`));
    const start = Date.parse('2026-11-02T08:00:00Z');
    const messages: string[] = [];
    let batch: unknown[] = [];
    for (let i = 0; i < options.records; i++) {
        const minute = (i / options.records) * 240;
        const at = new Date(start + minute * 60_000);
        const u = users[Math.floor(random() * users.length)]!;
        const roll = random();
        let record: unknown;
        if (roll < 0.55) record = mfaFromToken({ user: u, at, category: 'NonInteractiveUserSignInLogs' });
        else if (roll < 0.7) record = servicePrincipalSignIn(at);
        else if (roll < 0.75) record = managedIdentitySignIn(at);
        else if (roll < 0.87) record = pushApproved({ user: u, at });
        else if (roll < 0.95) record = wrongPassword({ user: u, at });
        else if (roll < 0.98) record = pushTimeout({ user: u, at });
        else
            record = pushDenied({
                user: users[Math.floor(random() * (users.length / 50)) * 50]!,
                at,
                ip: '185.220.101.34',
            });
        batch.push(record);
        if (batch.length === options.perMessage) {
            messages.push(JSON.stringify(envelope(batch)));
            batch = [];
        }
    }
    if (batch.length > 0) messages.push(JSON.stringify(envelope(batch)));
    return messages;
}
