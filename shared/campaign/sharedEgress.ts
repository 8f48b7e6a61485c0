import type { MergedSource } from './sourceView';

/**
 * A source judged a shared egress (an office, VPN or proxy address nobody declared): why, in the users it counted.
 * `approvers` are the distinct users who only approved from the source in what its rows hold; `refusers` those with a
 * declined, unanswered or fraud-reported prompt from it (whether or not they also approved).
 */
export interface SharedEgress {
    readonly approvers: number;
    readonly refusers: number;
    /** Counted from the sources' sketches: the rows list fewer users than the source has. */
    readonly estimated: boolean;
}

/**
 * Whether a source is a shared egress rather than an attacker's: at least as many users only approved from it as
 * refused a prompt from it. At an office's egress most people who get a prompt approve it (they sign in there every
 * day), and the few mis-taps and timeouts are a minority; at an attacker's source nearly everyone refuses or ignores the
 * push and only a rare victim approves. Without this, an office address nobody put in TRUSTED_SOURCE_RANGES turns
 * its users' everyday declines into a push-spray campaign, and its approvers (every one of them a real sign-in) would
 * be contained as the campaign's victims.
 *
 * What it costs: an attacker's source escapes campaign detection only when more of the users it prompts approve than
 * refuse, which is already a mass compromise that per-user detection cannot see either; nothing here switches off a
 * user's own trigger (their own row still detects a bombing). An attacker behind a real office egress is masked by
 * its approvers, as they would be by TRUSTED_SOURCE_RANGES.
 *
 * When the rows list every user, the count is exact from the listed prompts. When they overflow, the list is no
 * sample (a shard keeps approvers first, sourceShard.ts), so both sides come from the shards' sketches, which count
 * every user since the source was last quiet: the refusers' sketch, and all users minus the refusers for the
 * approvers (about 3% error each, so a source near the balance may be judged either way).
 */
export function sharedEgressOf(merged: MergedSource): SharedEgress | undefined {
    let approvers = 0;
    let refusers = 0;
    for (const u of merged.users) {
        if (u.prompts.some((p) => p.outcome !== 'a')) refusers++;
        else if (u.prompts.length > 0) approvers++;
    }
    const estimated = merged.overflow;
    if (estimated) {
        refusers = Math.max(refusers, merged.estimatedRefusers);
        approvers = Math.max(approvers, merged.estimatedUsers - refusers);
    }
    // A source with nobody refusing opens no campaign anyway: it is nothing to report.
    if (refusers === 0 || approvers < refusers) return undefined;
    return { approvers, refusers, estimated };
}
