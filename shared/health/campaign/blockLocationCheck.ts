import { MAX_LOCATION_RANGES } from '../../graph/namedLocations';
import type { ConditionalAccessPolicy } from '../../graph/graphReads';
import { Finding, ok, problem } from '../check';
import { describeFailure, HealthCheck, HealthContext, ReadFailure } from '../context';

const TITLE = 'Source blocking';
const CHECK = 'block-sources';

/** What source blocking (BLOCK_CAMPAIGN_SOURCES) looks like in the tenant. */
export interface BlockLocationReading {
    /** BLOCK_LOCATION_ID; undefined when blocking is off (no finding), or on without it. */
    readonly enabled: boolean;
    readonly live: boolean;
    readonly locationId?: string;
    readonly location?: { readonly displayName: string; readonly isTrusted: boolean; readonly ranges: number };
    readonly locationFailure?: ReadFailure;
    /** Policies that block sign-ins from the location, with their state. */
    readonly policies?: ReadonlyArray<{ readonly id: string; readonly displayName: string; readonly state: string }>;
    readonly policiesFailure?: ReadFailure;
}

/** Policies whose conditions include the location and whose grant is a block. */
export function blockPoliciesOf(
    policies: readonly ConditionalAccessPolicy[],
    locationId: string,
): Array<{ id: string; displayName: string; state: string }> {
    return policies
        .filter(
            (p) =>
                (p.conditions?.locations?.includeLocations ?? []).some((l) => l.toLowerCase() === locationId) &&
                (p.grantControls?.builtInControls ?? []).includes('block'),
        )
        .map((p) => ({ id: p.id, displayName: p.displayName ?? '', state: p.state ?? 'unknown' }));
}

async function readBlockLocation(ctx: HealthContext): Promise<BlockLocationReading> {
    const block = ctx.runtime.campaign.block;
    const live = ctx.runtime.containment.mode === 'live';
    if (!block) return { enabled: false, live };
    if (!block.locationId) return { enabled: true, live };
    const id = block.locationId;
    const locations = ctx.runtime.namedLocations();
    const [location, policies] = await Promise.all([
        locations.getNamedLocation(id).then(
            (l) => ({ location: { displayName: l.displayName, isTrusted: l.isTrusted, ranges: l.ranges.length } }),
            (e: unknown) => ({ locationFailure: describeFailure(e) }),
        ),
        ctx.asApp
            ? {}
            : ctx.runtime
                  .graphReads()
                  .conditionalAccessPolicies()
                  .then(
                      (all) => ({ policies: blockPoliciesOf(all, id) }),
                      (e: unknown) => ({ policiesFailure: describeFailure(e) }),
                  ),
    ]);
    return { enabled: true, live, locationId: id, ...location, ...policies };
}

export function evaluateBlockLocation(r: BlockLocationReading): Finding[] {
    if (!r.enabled) return [];
    const setup = 'Run `mfa-responder setup --block-sources` and set BLOCK_LOCATION_ID to the location it prints.';
    if (!r.locationId) {
        return [
            problem(
                r.live ? 'failed' : 'warning',
                CHECK,
                TITLE,
                'BLOCK_CAMPAIGN_SOURCES=true but BLOCK_LOCATION_ID is not set',
                setup,
            ),
        ];
    }
    if (r.locationFailure) {
        return [
            problem(
                'failed',
                CHECK,
                TITLE,
                `named location ${r.locationId} cannot be read: ${r.locationFailure.message}`,
                r.locationFailure.kind === 'refused'
                    ? 'Grant Policy.Read.All and Policy.ReadWrite.ConditionalAccess (the grant script with --block-sources).'
                    : setup,
            ),
        ];
    }
    const l = r.location!;
    if (l.isTrusted) {
        return [
            problem(
                'failed',
                CHECK,
                TITLE,
                `named location ${r.locationId} ("${l.displayName}") is marked trusted`,
                setup,
            ),
        ];
    }
    const findings: Finding[] = [];
    if (l.ranges >= MAX_LOCATION_RANGES * 0.9) {
        findings.push(
            problem(
                'warning',
                `${CHECK}.capacity`,
                TITLE,
                `the named location holds ${l.ranges} of its ${MAX_LOCATION_RANGES} ranges`,
                'Lower SOURCE_BLOCK_HOURS, or remove ranges the tenant no longer needs from the location.',
            ),
        );
    }
    const policies = r.policies;
    if (policies && policies.length === 0) {
        findings.push(
            problem(
                'warning',
                `${CHECK}.policy`,
                TITLE,
                `no Conditional Access policy blocks sign-ins from ${l.displayName}`,
                setup,
            ),
        );
    } else if (policies && !policies.some((p) => p.state === 'enabled')) {
        findings.push(
            problem(
                'warning',
                `${CHECK}.policy`,
                TITLE,
                `the block policy is ${policies.map((p) => p.state).join(', ')}: campaign sources are listed but not blocked`,
                "Read the policy's report (Conditional Access, Insights and reporting), then switch it on in Entra.",
            ),
        );
    }
    if (findings.length === 0) {
        findings.push(
            ok(
                CHECK,
                TITLE,
                `named location "${l.displayName}" holds ${l.ranges} range(s); ${policies ? 'its block policy is on' : 'policies not read as the app'}`,
            ),
        );
    }
    return findings;
}

export const blockLocationCheck: HealthCheck = {
    id: CHECK,
    title: TITLE,
    app: true,
    rights: () => 'Policy.Read.All (and Policy.ReadWrite.ConditionalAccess for the app)',
    run: async (ctx) => evaluateBlockLocation(await readBlockLocation(ctx)),
};
