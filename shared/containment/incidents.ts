import type { UserStateStore } from '../state/stateStore';
import type { ContainedIncident } from './model';
import { isoTime } from '../time';

/** An incident as the admin endpoints and the CLI show it: times as ISO strings. */
export function incidentView(inc: ContainedIncident): Record<string, unknown> {
    const c = inc.containment;
    return {
        incidentId: inc.id,
        userId: inc.userId,
        userPrincipalName: inc.userPrincipalName ?? null,
        trigger: inc.trigger,
        denials: inc.denials,
        timeouts: inc.timeouts,
        fraudReports: inc.fraudReports,
        firstSeen: isoTime(inc.firstSeen),
        lastSeen: isoTime(inc.lastSeen),
        detectedAt: isoTime(inc.detectedAt),
        ipAddresses: inc.ipAddresses,
        apps: inc.apps,
        approval: inc.approval ? { ...inc.approval, at: isoTime(inc.approval.at) } : null,
        closedAt: isoTime(inc.closedAt) ?? null,
        containment: c
            ? {
                  status: c.status,
                  mode: c.mode,
                  reason: c.reason ?? null,
                  startedAt: isoTime(c.startedAt) ?? null,
                  finishedAt: isoTime(c.finishedAt) ?? null,
                  nextAttemptAt: isoTime(c.nextAttemptAt) ?? null,
                  steps: c.steps.map((s) => ({ ...s, at: isoTime(s.at) })),
                  notices: c.notices.map((n) => ({ ...n, at: isoTime(n.at) })),
                  release: c.release ? { ...c.release, at: isoTime(c.release.at) } : null,
              }
            : null,
    };
}

/** Every user's incidents, newest first. */
export async function listIncidents(
    store: UserStateStore,
    options: { openOnly?: boolean } = {},
): Promise<Array<Record<string, unknown>>> {
    const all: ContainedIncident[] = [];
    for await (const { state } of store.list({ withIncidents: true })) {
        for (const inc of state.incidents) if (!options.openOnly || inc.closedAt === undefined) all.push(inc);
    }
    all.sort((a, b) => b.detectedAt - a.detectedAt);
    return all.map(incidentView);
}

export async function userIncidents(
    store: UserStateStore,
    userId: string,
): Promise<Array<Record<string, unknown>> | undefined> {
    const current = await store.read(userId);
    return current ? current.state.incidents.map(incidentView) : undefined;
}
