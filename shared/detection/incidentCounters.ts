import type { MfaKind } from '../signin/mfaKinds';
import { networkOf, sameAutonomousSystem, SourceMatch } from '../signin/networkSource';
import { Incident, MAX_ADDRESSES_PER_INCIDENT, MAX_EVIDENCE_PER_INCIDENT, Prompt } from './userState';

// How the prompts of an incident are counted and kept as its evidence.

function pushBounded(list: string[], value: string | undefined, max: number): void {
    if (value !== undefined && value !== '' && list.length < max && !list.includes(value)) list.push(value);
}

/** Adds one prompt of this kind to the incident's counters (an approval counts nowhere). */
function count(inc: Incident, kind: MfaKind): void {
    switch (kind) {
        case 'push-timeout':
            inc.timeouts++;
            return;
        case 'voice-denied':
        case 'voice-timeout':
            inc.voiceDenials = (inc.voiceDenials ?? 0) + 1;
            return;
        case 'sms-wrong-code':
            inc.smsWrongCodes = (inc.smsWrongCodes ?? 0) + 1;
            return;
        case 'prompt-failed':
            inc.unknownOutcomes = (inc.unknownOutcomes ?? 0) + 1;
            return;
        case 'fraud-report':
            inc.fraudReports++;
            inc.denials++;
            return;
        case 'push-denied':
            inc.denials++;
            return;
        case 'mfa-approved':
            return;
    }
}

/**
 * How an approval's source matches the attack's prompts: one of their addresses, one of their /24 or /64 networks,
 * or one of their autonomous systems. Undefined: from elsewhere (or the records said nothing to compare).
 */
function attackSourceOf(inc: Incident, p: Prompt): SourceMatch | undefined {
    if (p.ipAddress !== undefined) {
        if (inc.ipAddresses.includes(p.ipAddress)) return 'address';
        const net = networkOf(p.ipAddress);
        if (net !== undefined && inc.ipAddresses.some((ip) => networkOf(ip) === net)) return 'network';
    }
    return inc.asns?.some((asn) => sameAutonomousSystem(asn, p.asn)) ? 'autonomous-system' : undefined;
}

/**
 * Assigns a prompt to an incident and counts it (an approval is recorded, not counted; its rows are evidence too, so
 * that a redelivery after the prompt was forgotten is recognised). A released incident keeps the range it had when
 * released: late rows join it and count, but never stretch its episode, so that a later attack delivered after them
 * is judged the same in whatever order the rows arrive.
 */
export function addToIncident(inc: Incident, p: Prompt, windowMs: number): void {
    p.incidentId = inc.id;
    if (p.kind === 'mfa-approved') {
        if (!inc.approval && p.time >= inc.firstSeen && p.time <= inc.lastSeen + windowMs) {
            const sameSource = attackSourceOf(inc, p);
            inc.approval = {
                at: p.time,
                ...(p.ipAddress ? { ipAddress: p.ipAddress } : {}),
                fromDenialIp: p.ipAddress !== undefined && inc.ipAddresses.includes(p.ipAddress),
                ...(sameSource ? { sameSource } : {}),
            };
        }
        for (const r of p.rowIds) pushBounded(inc.evidence, r, MAX_EVIDENCE_PER_INCIDENT);
        return;
    }
    // A prompt the incident forgot and now sees again (a redelivery) was counted already: its rows are evidence.
    const seen = inc.partial === true && p.rowIds.length > 0 && p.rowIds.every((r) => inc.evidence.includes(r));
    if (!seen) count(inc, p.kind);
    if (inc.closedAt === undefined) {
        inc.firstSeen = Math.min(inc.firstSeen, p.time);
        inc.lastSeen = Math.max(inc.lastSeen, p.time);
    }
    pushBounded(inc.ipAddresses, p.ipAddress, MAX_ADDRESSES_PER_INCIDENT);
    if (
        p.asn !== undefined &&
        !(inc.asns ?? []).includes(p.asn) &&
        (inc.asns?.length ?? 0) < MAX_ADDRESSES_PER_INCIDENT
    ) {
        (inc.asns ??= []).push(p.asn);
    }
    pushBounded(inc.apps, p.app, MAX_ADDRESSES_PER_INCIDENT);
    for (const r of p.rowIds) pushBounded(inc.evidence, r, MAX_EVIDENCE_PER_INCIDENT);
}

/**
 * Recomputes the counters of incidents whose prompts are all still remembered, after a merge may have joined two of
 * their prompts or upgraded one (a timeout that a later row shows as declined). Once a prompt was forgotten the
 * incident is `partial` and its stored counters are final.
 */
export function recount(incidents: readonly Incident[], prompts: readonly Prompt[]): void {
    const byIncident = new Map<string, Prompt[]>();
    for (const p of prompts) {
        if (p.incidentId === undefined || p.kind === 'mfa-approved') continue;
        const list = byIncident.get(p.incidentId);
        if (list) list.push(p);
        else byIncident.set(p.incidentId, [p]);
    }
    for (const inc of incidents) {
        const mine = byIncident.get(inc.id);
        if (inc.partial || !mine) continue;
        // Counted on a scratch copy, then copied back field by field: an unchanged incident keeps its exact shape
        // (and so serialises, and is stored, as before).
        const fresh: Incident = { ...inc, denials: 0, timeouts: 0, fraudReports: 0 };
        delete fresh.voiceDenials;
        delete fresh.smsWrongCodes;
        delete fresh.unknownOutcomes;
        for (const p of mine) count(fresh, p.kind);
        inc.denials = fresh.denials;
        inc.timeouts = fresh.timeouts;
        inc.fraudReports = fresh.fraudReports;
        if (fresh.voiceDenials !== undefined || inc.voiceDenials !== undefined)
            inc.voiceDenials = fresh.voiceDenials ?? 0;
        if (fresh.smsWrongCodes !== undefined || inc.smsWrongCodes !== undefined)
            inc.smsWrongCodes = fresh.smsWrongCodes ?? 0;
        if (fresh.unknownOutcomes !== undefined || inc.unknownOutcomes !== undefined)
            inc.unknownOutcomes = fresh.unknownOutcomes ?? 0;
    }
}
