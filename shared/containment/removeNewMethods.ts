/**
 * The step that removes what was registered during an attack: every method created since the attack began (as a
 * person dates it) and, for a follow-up of an attack already released, before that release. What the user registered
 * after a release is theirs and is never removed; what Graph gives no creation date for is left to a person. Every
 * removed method is listed on the incident with its type and creation time.
 */
import { attackStartOf } from '../detection/openIncident';
import type { Incident } from '../detection/userState';
import type { AuthMethod } from '../graph/graphActions';
import type { RemovedMethod } from './model';
import { defaultMethodAttention, readBack, StepSpec, verifyLater, windowText } from './steps';

/** Incidents after which what was registered since the attack began is removed: persistence, or an approval. */
export function removesNewMethods(incident: Incident): boolean {
    return (
        incident.trigger === 'method-registered-after-attack' ||
        incident.trigger === 'spam-then-success' ||
        incident.approval !== undefined
    );
}

/** Types deleted when created since the attack began; anything else new is left to a person. */
const REMOVABLE = new Set(['microsoftAuthenticator', 'fido2', 'softwareOath', 'phone', 'email', 'temporaryAccessPass']);

/** Methods kept on the incident's list of what was removed, across runs. */
export const MAX_REMOVED_LISTED = 20;

/** The time range whose methods are the attacker's: from the attack's start to its release, if it was released. */
export function removalRange(incident: Incident): { since: number; until?: number } {
    return {
        since: attackStartOf(incident),
        ...(incident.attackReleasedAt !== undefined ? { until: incident.attackReleasedAt } : {}),
    };
}

const iso = (ms: number) => new Date(ms).toISOString();
const describe = (list: readonly AuthMethod[]) =>
    list.map((m) => `${m.type}${m.displayName ? ` "${m.displayName}"` : ''}`).join(', ');

export const REMOVE_NEW_METHODS: StepSpec = {
    name: 'remove-new-methods',
    included: (config, incident) => config.removeNewMethods && removesNewMethods(incident),
    wouldDo: (_config, incident) => {
        const { since, until } = removalRange(incident);
        return `would delete every authentication method created since ${iso(since)}${until !== undefined ? ` and before the release at ${iso(until)}` : ''}`;
    },
    idempotent: 'a method already deleted answers 404, which counts as deleted',
    run: async (ctx) => {
        const { incident, graph } = ctx;
        const { since, until } = removalRange(incident);
        const methods = await graph.listMethods(incident.userId);
        const dated = methods.filter((m) => m.createdAt !== undefined && m.createdAt >= since);
        const fresh = dated.filter((m) => until === undefined || m.createdAt! < until);
        // Registered after the attack was released: the user's own, never removed by a follow-up.
        const afterRelease = dated.filter((m) => !fresh.includes(m));
        const removable = fresh.filter((m) => REMOVABLE.has(m.type) && m.segment);
        const otherFresh = fresh.filter((m) => !removable.includes(m));
        const undated = methods.filter((m) => m.createdAt === undefined && m.type !== 'password');
        const { deleted, refusedAsDefault } = await graph.deleteMethods(incident.userId, removable);
        const kept = new Set(refusedAsDefault.map((m) => m.id));
        const goneMethods = removable.filter((m) => !kept.has(m.id));
        const gone = new Set(goneMethods.map((m) => m.id));
        const read = await readBack(ctx, async () =>
            (await graph.listMethods(incident.userId)).every((m) => !gone.has(m.id)),
        );
        if (read !== true) {
            const later = verifyLater(ctx, 'remove-new-methods', 'the deletion of the new methods');
            if (later) return later;
        }
        const verified = read === true;
        const leftover = [
            ...(undated.length > 0
                ? [`check these methods, which carry no creation date, with the user: ${describe(undated)}`]
                : []),
            ...(otherFresh.length > 0 ? [`new methods this responder does not delete: ${describe(otherFresh)}`] : []),
            ...(refusedAsDefault.length > 0 ? [defaultMethodAttention(refusedAsDefault)] : []),
            ...(verified ? [] : [`some deleted methods are still listed after ${windowText(ctx)}`]),
        ];
        const removed: RemovedMethod[] = goneMethods.map((m) => ({
            type: m.type,
            createdAt: m.createdAt!,
            ...(m.displayName ? { displayName: m.displayName.slice(0, 64) } : {}),
        }));
        return {
            status: 'done',
            detail:
                `deleted ${deleted} method(s) created since ${iso(since)}` +
                (until !== undefined ? ` and before the release at ${iso(until)}` : '') +
                (removed.length > 0
                    ? ` (${removed.map((m) => `${m.type}${m.displayName ? ` "${m.displayName}"` : ''} created ${iso(m.createdAt)}`).join(', ')})`
                    : '') +
                (verified ? '; read back' : '') +
                (afterRelease.length > 0
                    ? `; kept ${afterRelease.length} registered after the release (the user's own): ${describe(afterRelease)}`
                    : ''),
            verified,
            removed,
            ...(leftover.length > 0 ? { attention: leftover.join('; ') } : {}),
        };
    },
};
