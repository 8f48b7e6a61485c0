import type { Containment, SentinelRows } from '../containment/model';
import { attackStartOf } from '../detection/openIncident';
import type { Incident } from '../detection/userState';
import { jsonLine } from '../singleLine';
import { isoTime } from '../time';
import type { ContainedIncident } from '../userRow/userRow';

/** Sentinel's severities, the ones a Sentinel row and a card use. */
export type Severity = 'High' | 'Medium' | 'Informational';

/**
 * How urgent an incident is for the SOC, decided once for every output: a fraud report, an approval during the attack
 * (the user gave in), a method registered after one (the attacker may be in), or a hold by the open circuit breaker
 * (a decoy flood or a false-positive storm) is High; a drill is Informational; any other attack is Medium.
 */
export function incidentSeverity(incident: Incident, containment?: Containment): Severity {
    if (incident.drill) return 'Informational';
    // Held by the open circuit breaker: a possible decoy flood or false-positive storm, for a person now.
    if (containment?.heldByBreaker && containment.status === 'not-contained') return 'High';
    const approved =
        incident.approval !== undefined ||
        incident.trigger === 'spam-then-success' ||
        containment?.notices.some((n) => n.kind === 'approval') === true;
    if (incident.fraudReports > 0 || incident.trigger === 'fraud-report' || approved) return 'High';
    if (incident.trigger === 'method-registered-after-attack') return 'High';
    return 'Medium';
}

/**
 * The one way an incident is shown, for every reader: the log line a SOC alert matches, the admin endpoints, the
 * CLI's `--json` and the notices. Times are ISO strings; `detectedAt` is always the event time of the row that
 * completed the trigger (when a live responder acts), `recordedAt` the wall-clock time the responder stored it.
 * `containment` is the status (null when containment is not configured), the rest of the containment is beside it.
 */
export interface IncidentView {
    readonly incidentId: string;
    readonly userId: string;
    readonly userPrincipalName: string | null;
    readonly trigger: Incident['trigger'];
    readonly severity: Severity;
    readonly denials: number;
    readonly timeouts: number;
    readonly fraudReports: number;
    /** Phone calls hung up or sent to voicemail, and wrong SMS codes, of the episode. */
    readonly voiceDenials: number;
    readonly smsWrongCodes: number;
    /** Failed prompts whose outcome the record does not say (Entra's generic 500121 text, a duplicate attempt). */
    readonly unknownOutcomes: number;
    readonly firstSeen: string;
    readonly lastSeen: string;
    readonly detectedAt: string;
    readonly recordedAt: string;
    readonly ipAddresses: readonly string[];
    readonly apps: readonly string[];
    readonly approval: {
        at: string;
        ipAddress: string | null;
        fromDenialIp: boolean;
        /** How the approving sign-in matched the attack's source: address, network (/24, /64), autonomous-system. */
        sameSource: string | null;
    } | null;
    /** When the attack began as a person dates it: what was registered since is removed. */
    readonly attackStart: string;
    readonly evidence: readonly string[];
    readonly closedAt: string | null;
    /** method-registered-after-attack: the attack it follows, the methods registered, whether from an attack IP. */
    readonly relatedIncidentId: string | null;
    readonly methods: readonly string[] | null;
    readonly fromAttackIp: boolean | null;
    /** method-registered-after-attack: what changed, when the audit records said. */
    readonly changes: readonly string[] | null;
    /** A drill (`mfa-responder drill` on a canary user): dry-run, nothing was changed. */
    readonly drill: boolean;
    /** push-spray: the campaign the user was sprayed in, its source, and its users when the incident opened. */
    readonly campaignId?: string;
    readonly campaignSource?: string;
    readonly campaignUsers?: number;
    /** push-spray: approved from the campaign's source without refusing any of its prompts (held for a person). */
    readonly approvedWithoutRefusal?: true;
    /** Present when evidence was left out to keep the row within Azure's limits (the counts are exact). */
    readonly trimmed?: Incident['trimmed'];
    readonly containment: Containment['status'] | null;
    readonly containmentReason: string | null;
    readonly containmentMode?: Containment['mode'];
    readonly steps?: ReadonlyArray<Record<string, unknown>>;
    readonly notices?: ReadonlyArray<Record<string, unknown>>;
    readonly release?: Record<string, unknown> | null;
    readonly nextAttemptAt?: string | null;
    readonly account?: Containment['account'] | null;
    /** The incident's rows in Log Analytics (Sentinel): what was accepted, and why the last attempt failed. */
    readonly logRows?: SentinelRowsView | null;
}

export interface SentinelRowsView {
    /** Rows accepted so far (the last one's sequence number). */
    readonly sent: number;
    /** The state the last accepted row reported (status, +approval). */
    readonly reported: string | null;
    readonly at: string | null;
    /** The state whose row keeps failing, with its HTTP status and error code, and when it is tried again. */
    readonly failing: {
        readonly state: string;
        readonly attempts: number;
        readonly nextAttemptAt: string;
        readonly status: number | null;
        readonly code: string;
        readonly message: string;
    } | null;
    readonly skipped: string | null;
}

function sentinelRowsView(rows: SentinelRows): SentinelRowsView {
    const f = rows.failing;
    return {
        sent: rows.sequence,
        reported: rows.reported ?? null,
        at: isoTime(rows.at) ?? null,
        failing: f
            ? {
                  state: f.state,
                  attempts: f.attempts,
                  nextAttemptAt: isoTime(f.nextAttemptAt),
                  status: f.error.status ?? null,
                  code: f.error.code,
                  message: f.error.message,
              }
            : null,
        skipped: rows.skipped ?? null,
    };
}

export interface IncidentViewOptions {
    /** Steps, notices and release in full (admin endpoints, notices, --json); the log line leaves them out. */
    readonly detail?: boolean;
}

export function incidentView(
    incident: Incident,
    containment: Containment | undefined,
    options: IncidentViewOptions = { detail: true },
): IncidentView {
    const c = containment;
    return {
        incidentId: incident.id,
        userId: incident.userId,
        userPrincipalName: incident.userPrincipalName ?? null,
        trigger: incident.trigger,
        severity: incidentSeverity(incident, c),
        denials: incident.denials,
        timeouts: incident.timeouts,
        fraudReports: incident.fraudReports,
        voiceDenials: incident.voiceDenials ?? 0,
        smsWrongCodes: incident.smsWrongCodes ?? 0,
        unknownOutcomes: incident.unknownOutcomes ?? 0,
        firstSeen: isoTime(incident.firstSeen),
        lastSeen: isoTime(incident.lastSeen),
        detectedAt: isoTime(incident.detectedAt),
        recordedAt: isoTime(incident.recordedAt),
        ipAddresses: incident.ipAddresses,
        apps: incident.apps,
        approval: incident.approval
            ? {
                  at: isoTime(incident.approval.at),
                  ipAddress: incident.approval.ipAddress ?? null,
                  fromDenialIp: incident.approval.fromDenialIp,
                  sameSource: incident.approval.sameSource ?? null,
              }
            : null,
        attackStart: isoTime(attackStartOf(incident)),
        evidence: incident.evidence,
        closedAt: isoTime(incident.closedAt) ?? null,
        relatedIncidentId: incident.relatedIncidentId ?? null,
        methods: incident.methods ?? null,
        fromAttackIp: incident.fromAttackIp ?? null,
        changes: incident.changes ?? null,
        drill: incident.drill === true,
        ...(incident.campaignId !== undefined ? { campaignId: incident.campaignId } : {}),
        ...(incident.campaignSource !== undefined ? { campaignSource: incident.campaignSource } : {}),
        ...(incident.campaignUsers !== undefined ? { campaignUsers: incident.campaignUsers } : {}),
        ...(incident.approvedWithoutRefusal ? { approvedWithoutRefusal: true as const } : {}),
        ...(incident.trimmed ? { trimmed: incident.trimmed } : {}),
        containment: c?.status ?? null,
        containmentReason: c?.reason ?? null,
        ...(c && options.detail
            ? {
                  containmentMode: c.mode,
                  steps: c.steps.map((s) => ({
                      ...s,
                      at: isoTime(s.at) ?? null,
                      ...(s.removed
                          ? { removed: s.removed.map((m) => ({ ...m, createdAt: isoTime(m.createdAt) })) }
                          : {}),
                  })),
                  notices: c.notices.map((n) => ({ ...n, at: isoTime(n.at) ?? null })),
                  release: c.release ? { ...c.release, at: isoTime(c.release.at) } : null,
                  nextAttemptAt: isoTime(c.nextAttemptAt) ?? null,
                  account: c.account ?? null,
                  logRows: c.logRows ? sentinelRowsView(c.logRows) : null,
              }
            : {}),
    };
}

/** Stored incidents as people read them (admin endpoints, the CLI, doctor), every detail included. */
export function incidentViews(incidents: readonly ContainedIncident[]): IncidentView[] {
    return incidents.map(({ incident, containment }) => incidentView(incident, containment));
}

/**
 * The log line a SOC alert matches: one line (the output rule's JSON escapes every newline, control, bidirectional
 * override and separator a field could carry).
 */
export function incidentLogLine(incident: Incident, containment: Containment | undefined, stored = true): string {
    return `MFA push attack detected: ${jsonLine({
        event: 'IncidentOpened',
        ...incidentView(incident, containment, { detail: false }),
        ...(stored ? {} : { stored: false }),
    })}`;
}
