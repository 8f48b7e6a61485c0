import type { ContainmentConfig } from '../settings/containment';
import { applyMembership, CampaignMembership, MembershipOptions } from '../campaign/pushSprayIncident';
import { amendForApproval } from '../containment/amend';
import type { Containment } from '../containment/model';
import { planContainment } from '../containment/plan';
import { Incident, MAX_INCIDENTS_PER_USER } from '../detection/userState';
import { ContainedIncident, newUserRow, UserRow } from '../userRow/userRow';
import type { UserRowMutation } from '../userRow/userRows';

/** What a membership did to the user's row. */
export interface MemberOutcome {
    /** The push-spray incident it opened, with its containment plan, to announce. */
    readonly opened?: ContainedIncident;
    /** An existing push-spray incident that changed, with its containment when an approval amended it. */
    readonly updated?: ContainedIncident;
}

export interface FoldMemberOptions {
    readonly membership: Omit<MembershipOptions, 'now'>;
    /** When given, a new incident gets its containment plan, and an approval amends an existing one. */
    readonly containment?: ContainmentConfig;
    /** Which incidents may be forgotten to stay within MAX_INCIDENTS_PER_USER (UserRows.evictable). */
    readonly evictable: (containments: readonly Containment[]) => (incident: Incident) => boolean;
}

/**
 * Folds a user's membership of a campaign into their row: the push-spray incident (opened, or brought up to date), its
 * containment plan written in the same conditional write, and what to announce. Pure, like foldUserEvents: a conflict
 * runs it again on a fresh read, and a membership applied twice writes nothing the second time.
 */
export function foldCampaignMember(
    current: UserRow | undefined,
    m: CampaignMembership,
    options: FoldMemberOptions,
    now: number,
): UserRowMutation<MemberOutcome> {
    const r = applyMembership(current?.state, m, { ...options.membership, now });
    if (!r.opened && !r.updated && !r.linked) return { result: {} };
    let containments = [...(current?.containments ?? [])];
    const config = options.containment;
    let opened: ContainedIncident | undefined;
    let updated: ContainedIncident | undefined;
    if (r.opened) {
        const plan =
            config &&
            planContainment({
                incident: r.opened,
                earlier: containments,
                ...(r.state.userType ? { userType: r.state.userType } : {}),
                config,
                now,
            });
        if (plan) containments.push(plan);
        opened = plan ? { incident: r.opened, containment: plan } : { incident: r.opened };
        // Bounded like every user's incidents: settled history gives way first, never what containment holds on to.
        const evictable = options.evictable(containments);
        while (r.state.incidents.length > MAX_INCIDENTS_PER_USER) {
            const oldest = r.state.incidents.find((i) => i !== r.opened && evictable(i));
            if (!oldest) break;
            r.state.incidents = r.state.incidents.filter((i) => i !== oldest);
            containments = containments.filter((c) => c.incidentId !== oldest.id);
        }
    }
    if (r.updated) {
        const inc = r.updated;
        const c = containments.find((x) => x.incidentId === inc.id);
        const amended = c && config && inc.approval ? amendForApproval(c, inc, config, now) : c;
        if (amended && c && amended !== c) containments = containments.map((x) => (x === c ? amended : x));
        updated = amended ? { incident: inc, containment: amended } : { incident: inc };
    }
    const unannounced = [...(current?.unannounced ?? []), ...(opened ? [opened.incident.id] : [])];
    return {
        row: newUserRow(r.state, containments, [...new Set(unannounced)]),
        result: { ...(opened ? { opened } : {}), ...(updated ? { updated } : {}) },
    };
}
