import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { isoTime } from '../time';
import type { Containment, NoticeKind } from '../containment/model';
import { address, addresses, singleLine } from '../singleLine';

/**
 * What a notice says, in words, for every format that shows it: the JSON payload's title and text, the Teams card,
 * and the Sentinel row's title and summary in Log Analytics.
 */

/** Free text someone else chose (a UPN, an app, a reason), as every notice shows it: one line, bounded, nothing hidden. */
const text = (value: string, max = 300) => singleLine(value, max);

function headline(inc: Incident, c: Containment | undefined, kind: NoticeKind): string {
    // The UPN came from a sign-in record: a newline there once forged a headline the SOC's alert matches.
    const who = text(inc.userPrincipalName ?? inc.userId, 256) || inc.userId;
    if (kind === 'released') return `MFA push attack on ${who}: released by ${text(c?.release?.by ?? 'an admin', 256)}`;
    if (kind === 'needs-attention') return `MFA push attack on ${who}: containment NEEDS ATTENTION`;
    if (kind === 'approval')
        return `MFA push attack on ${who}: the user APPROVED a prompt — removing what was registered since the attack began`;
    if (inc.trigger === 'push-spray' && kind === 'incident')
        return `Push spray on ${who} (campaign from ${text(inc.campaignSource ?? 'one source')}): ${c?.status ?? 'detected'}`;
    if (inc.trigger === 'method-registered-after-attack')
        return `Method registered for ${who} after an MFA push attack (${text((inc.methods ?? []).join(', ')) || 'unknown'}): ${c?.status ?? 'detected'}`;
    switch (c?.status) {
        case 'contained':
            return `MFA push attack on ${who}: contained`;
        case 'dry-run':
            return `MFA push attack on ${who}: detected (dry-run, nothing was changed)`;
        case 'not-contained':
            return `MFA push attack on ${who}: NOT contained (${text(c.reason ?? 'guardrail')})`;
        default:
            return `MFA push attack on ${who}: containment ${c?.status ?? 'not configured'}`;
    }
}

/** The release command for a person, exactly as it must be typed. */
export function releaseCommand(userId: string): string {
    return `mfa-responder release ${userId} --reason "..."`;
}

/**
 * The release command, when a person is to be told it: the containment holds the user (contained, or stopped where a
 * person must act). One rule for the JSON text, the Teams card and the Sentinel row.
 */
export function releaseCommandFor(inc: Incident, c: Containment | undefined): string | undefined {
    return c && (c.status === 'contained' || c.status === 'needs-attention') ? releaseCommand(inc.userId) : undefined;
}

/**
 * Why to release soon, when methods were deleted: until a release, a method the user registers again is taken as the
 * attacker's and removed.
 */
export function releaseAdvice(
    c: Containment | undefined,
    config: Pick<ContainmentConfig, 'pushBlockMode'>,
): string | undefined {
    return c && (config.pushBlockMode === 'remove-method' || c.steps.some((s) => s.name === 'remove-new-methods'))
        ? "Release before the user registers a method again: until then, a new registration is treated as the attacker's and removed."
        : undefined;
}

/** A notice's title: what happened to whom, marked when it is a drill. */
export function noticeTitle(inc: Incident, c: Containment | undefined, kind: NoticeKind): string {
    return `${inc.drill ? 'DRILL — ' : ''}${headline(inc, c, kind)}`;
}

/** Which notice a Sentinel row's state corresponds to, for its title. */
export function kindOfState(c: Containment | undefined): NoticeKind {
    if (c?.status === 'released') return 'released';
    if (c?.status === 'needs-attention') return 'needs-attention';
    if (c?.notices.some((n) => n.kind === 'approval')) return 'approval';
    return 'incident';
}

/**
 * What a push-spray incident adds: the campaign, and that the attacker holds the password (every user who reaches
 * the MFA step gave a valid one), so a reset is recommended unless containment does it (RESET_PASSWORD=true).
 */
function pushSprayLine(inc: Incident, config: Partial<Pick<ContainmentConfig, 'resetPassword'>>): string {
    const campaign = `Campaign ${inc.campaignId ?? ''} from ${text(inc.campaignSource ?? 'one source')} prompted ${inc.campaignUsers ?? 'many'} users.`;
    return config.resetPassword
        ? `${campaign} The attacker holds this user's password: containment resets it (RESET_PASSWORD=true).`
        : `${campaign} The attacker holds this user's password: RESET IT (containment does not: RESET_PASSWORD=false).`;
}

/** The lines of a notice after its title: the trigger and counts, the approval, each step, the reason, the release. */
export function noticeLines(
    inc: Incident,
    c: Containment | undefined,
    config: Pick<ContainmentConfig, 'pushBlockMode'> & Partial<Pick<ContainmentConfig, 'resetPassword'>>,
): string[] {
    const release = releaseCommandFor(inc, c);
    const advice = release && releaseAdvice(c, config);
    // Every value someone else chose goes through the output rule: text as one line, addresses only as addresses.
    return [
        inc.trigger === 'method-registered-after-attack'
            ? `Trigger: ${inc.trigger}; method(s) ${text((inc.methods ?? []).join(', '))} registered at ${isoTime(inc.firstSeen)} from ${addresses(inc.ipAddresses, 'an unknown IP')}${inc.fromAttackIp ? ' (one of the attacking IPs)' : ''}, after incident ${inc.relatedIncidentId ?? ''}.`
            : `Trigger: ${inc.trigger}; ${inc.denials} declined, ${inc.timeouts} unanswered, ${inc.fraudReports} fraud report(s)${inc.voiceDenials ? `, ${inc.voiceDenials} phone call(s) refused` : ''}${inc.smsWrongCodes ? `, ${inc.smsWrongCodes} wrong SMS code(s)` : ''}${inc.unknownOutcomes ? `, ${inc.unknownOutcomes} failed prompt(s) of unknown outcome` : ''} between ${isoTime(inc.firstSeen)} and ${isoTime(inc.lastSeen)} from ${addresses(inc.ipAddresses)}.`,
        ...(inc.trigger === 'push-spray' ? [pushSprayLine(inc, config)] : []),
        ...(inc.approval
            ? [
                  `The user APPROVED a prompt at ${isoTime(inc.approval.at)} from ${address(inc.approval.ipAddress)}${inc.approval.fromDenialIp ? ' (an attacking IP)' : ''}.`,
              ]
            : []),
        ...(inc.trigger !== 'method-registered-after-attack' && inc.relatedIncidentId
            ? [
                  `This approval belongs to the attack of incident ${inc.relatedIncidentId}, released before its row arrived: the user gave in during that attack.`,
              ]
            : []),
        ...(c?.steps ?? []).map(
            (s) =>
                `- ${s.name}: ${s.status}${s.detail ? ` (${text(s.detail, 500)})` : ''}${s.error ? ` — ${s.error.status ?? ''} ${text(s.error.code, 100)}: ${text(s.error.message)}` : ''}`,
        ),
        ...(c?.reason ? [`Reason: ${text(c.reason, 1000)}`] : []),
        release
            ? `To release after verifying with the user: ${release} (or POST /api/users/${inc.userId}/release).${advice ? ` ${advice}` : ''}`
            : '',
    ].filter(Boolean);
}
