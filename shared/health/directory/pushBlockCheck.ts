import type { ContainmentConfig } from '../../settings/containment';
import type { AuthenticatorConfig, ConditionalAccessPolicy, GroupInfo } from '../../graph/graphReads';
import { Finding, ok, problem } from '../check';
import { describeFailure, HealthContext, ReadFailure, HealthCheck } from '../context';

/**
 * Does the push block really block? Facts and sources:
 * - While the Authentication methods policy's policyMigrationState is not migrationComplete, the legacy MFA and SSPR
 *   policies still enable Authenticator for users the methods policy excludes ("a user who is enabled for an
 *   authentication method in any policy can register and use that method":
 *   https://learn.microsoft.com/entra/identity/authentication/concept-authentication-methods-manage,
 *   https://learn.microsoft.com/graph/api/resources/authenticationmethodspolicy).
 * - Adding members to a role-assignable group needs RoleManagement.ReadWrite.Directory, which the responder does
 *   not hold (https://learn.microsoft.com/graph/api/group-post-members); a dynamic group takes no members at all.
 * - Report suspicious activity is a beta-only setting (reportSuspiciousActivitySettings,
 *   https://learn.microsoft.com/graph/api/resources/reportsuspiciousactivitysettings).
 * - Registering security information is protected by a Conditional Access policy on the user action
 *   urn:user:registersecurityinfo (https://learn.microsoft.com/graph/api/resources/conditionalaccessapplications).
 */

/** A part that was read, or why it could not be. */
export type Part<T> = { readonly value: T } | { readonly failure: ReadFailure };

export interface PushBlockReading {
    readonly config: Pick<ContainmentConfig, 'pushBlockMode' | 'pushBlockGroupId' | 'resetPassword'>;
    readonly migration: Part<string | undefined>;
    readonly authenticator?: Part<AuthenticatorConfig>;
    readonly group?: Part<GroupInfo>;
    readonly reportSuspicious: Part<string | undefined>;
    readonly conditionalAccess?: Part<ConditionalAccessPolicy[]>;
}

const REGISTER_SECURITY_INFO = 'urn:user:registersecurityinfo';
const POLICY_READER = 'Global Reader or Authentication Policy Administrator (Graph Policy.Read.AuthenticationMethod)';
const GROUP_READER = 'a directory reader (any member user; Graph Group.Read.All or GroupMember.Read.All)';
const CA_READER = 'Security Reader, Global Reader or Conditional Access Administrator (Graph Policy.Read.All)';

async function part<T>(read: () => Promise<T>): Promise<Part<T>> {
    try {
        return { value: await read() };
    } catch (e) {
        return { failure: describeFailure(e) };
    }
}

export async function readPushBlock(ctx: HealthContext): Promise<PushBlockReading> {
    const config = ctx.runtime.containment;
    const reads = ctx.runtime.graphReads();
    const group = config.pushBlockMode === 'group';
    const [migration, authenticator, groupInfo, reportSuspicious, conditionalAccess] = await Promise.all([
        part(async () => (await reads.methodsPolicy()).policyMigrationState ?? undefined),
        group ? part(() => reads.authenticatorConfig()) : undefined,
        group && config.pushBlockGroupId ? part(() => reads.group(config.pushBlockGroupId!)) : undefined,
        part(async () => (await reads.reportSuspiciousActivity()).reportSuspiciousActivitySettings?.state ?? undefined),
        group ? undefined : part(() => reads.conditionalAccessPolicies()),
    ]);
    return {
        config,
        migration,
        reportSuspicious,
        ...(authenticator ? { authenticator } : {}),
        ...(groupInfo ? { group: groupInfo } : {}),
        ...(conditionalAccess ? { conditionalAccess } : {}),
    };
}

/** A part that could not be read: a warning naming what the reader needs, or the failure as it is. */
function unreadable(check: string, title: string, f: ReadFailure, rights: string): Finding {
    return f.kind === 'refused'
        ? problem(
              'warning',
              check,
              title,
              `cannot read it with this sign-in (${f.status ?? f.code ?? 'refused'})`,
              `Run the doctor as ${rights}.`,
          )
        : problem(
              'failed',
              check,
              title,
              `cannot read it: ${f.message}`,
              'Run the doctor again; if it persists, check Graph access from here (GRAPH_BASE_URL).',
          );
}

function evaluateMigration(r: PushBlockReading): Finding {
    const title = 'Authentication methods migration';
    const check = 'push-block.migration';
    if ('failure' in r.migration) return unreadable(check, title, r.migration.failure, POLICY_READER);
    const state = r.migration.value ?? 'unknown';
    if (state.toLowerCase() === 'migrationcomplete')
        return ok(
            check,
            title,
            'policyMigrationState is migrationComplete: only the Authentication methods policy decides who gets push',
        );
    if (r.config.pushBlockMode === 'remove-method') {
        return ok(
            check,
            title,
            `policyMigrationState is ${state}; remove-method mode deletes the registrations, whatever the policies say`,
        );
    }
    return problem(
        'failed',
        check,
        title,
        `policyMigrationState is ${state}: the legacy MFA and SSPR policies are still respected, and they can enable push for users the Authenticator policy excludes — the push block may not block`,
        'Move every method the legacy MFA and SSPR policies enable into the Authentication methods policy, then set Manage migration to Migration Complete (Entra admin center > Protection > Authentication methods > Policies). Until then, prefer PUSH_BLOCK_MODE=remove-method.',
        { policyMigrationState: state },
    );
}

function evaluateAuthenticator(r: PushBlockReading): Finding | undefined {
    const title = 'Authenticator excludes the group';
    const check = 'push-block.authenticator';
    const groupId = r.config.pushBlockGroupId;
    if (!r.authenticator) return undefined;
    if (!groupId) {
        return problem(
            'failed',
            check,
            title,
            'PUSH_BLOCK_GROUP_ID is not set: group mode has no group to add attacked users to',
            'Run mfa-responder setup (creates the group and excludes it from the Authenticator policy), then set PUSH_BLOCK_GROUP_ID to the id it prints.',
        );
    }
    if ('failure' in r.authenticator) return unreadable(check, title, r.authenticator.failure, POLICY_READER);
    const a = r.authenticator.value;
    const excluded = (a.excludeTargets ?? []).some(
        (t) => t.id.toLowerCase() === groupId && (t.targetType ?? 'group') === 'group',
    );
    if (a.state !== 'enabled') {
        return problem(
            'warning',
            check,
            title,
            `Microsoft Authenticator is ${a.state ?? 'not enabled'} in the Authentication methods policy: this policy gives nobody push, so there is nothing for the group to block${excluded ? '' : ' (and the group is not excluded)'}`,
            excluded
                ? 'Nothing to do while it stays off; if you enable it, the exclusion is already there.'
                : `Before enabling Authenticator, exclude the group: mfa-responder setup --group-id ${groupId}`,
        );
    }
    if (!excluded) {
        return problem(
            'failed',
            check,
            title,
            `Microsoft Authenticator is enabled and does not exclude PUSH_BLOCK_GROUP_ID ${groupId}: adding a user to the group blocks nothing`,
            `mfa-responder setup --group-id ${groupId} (adds the exclusion, keeping the others)`,
        );
    }
    return ok(check, title, `Microsoft Authenticator is enabled and excludes ${groupId}`);
}

function evaluateGroup(r: PushBlockReading): Finding | undefined {
    const title = 'Push-block group';
    const check = 'push-block.group';
    const groupId = r.config.pushBlockGroupId;
    if (!r.group || !groupId) return undefined;
    if ('failure' in r.group) {
        if (r.group.failure.status === 404) {
            return problem(
                'failed',
                check,
                title,
                `group ${groupId} does not exist`,
                'Run mfa-responder setup (creates the group and excludes it), then set PUSH_BLOCK_GROUP_ID to the id it prints.',
            );
        }
        return unreadable(check, title, r.group.failure, GROUP_READER);
    }
    const g = r.group.value;
    const name = g.displayName ? `"${g.displayName}" (${groupId})` : groupId;
    const recreate = `Create a plain security group instead: mfa-responder setup --group-name SG-MFA-Push-Blocked-2, then set PUSH_BLOCK_GROUP_ID to its id.`;
    if (g.isAssignableToRole) {
        return problem(
            'failed',
            check,
            title,
            `${name} is role-assignable: adding members needs RoleManagement.ReadWrite.Directory, which the responder does not hold — every push block would be refused (403)`,
            recreate,
        );
    }
    if ((g.groupTypes ?? []).includes('DynamicMembership')) {
        return problem(
            'failed',
            check,
            title,
            `${name} has dynamic membership: members cannot be added to it`,
            recreate,
        );
    }
    if (g.securityEnabled === false) {
        return problem(
            'failed',
            check,
            title,
            `${name} is not a security group: policies target security groups`,
            recreate,
        );
    }
    return ok(check, title, `${name} exists, is a security group with assigned members, and is not role-assignable`);
}

function evaluateReportSuspicious(r: PushBlockReading): Finding {
    const title = 'Report suspicious activity';
    const check = 'push-block.report-suspicious';
    if ('failure' in r.reportSuspicious) return unreadable(check, title, r.reportSuspicious.failure, POLICY_READER);
    const state = r.reportSuspicious.value ?? 'default';
    if (state === 'enabled')
        return ok(
            check,
            title,
            'enabled: users can report a prompt they did not start (opens a fraud-report incident at once)',
        );
    return problem(
        'warning',
        check,
        title,
        `${state}${state === 'default' ? ' (which means disabled)' : ''}: users cannot report a prompt they did not start, so the fraud-report trigger never fires (recommended on)`,
        'Entra admin center > Protection > Authentication methods > Settings > Report suspicious activity: Enabled, for all users.',
    );
}

function evaluateRegistration(r: PushBlockReading): Finding | undefined {
    const title = 'Register security info protected';
    const check = 'push-block.register-security-info';
    if (!r.conditionalAccess) return undefined;
    if ('failure' in r.conditionalAccess) return unreadable(check, title, r.conditionalAccess.failure, CA_READER);
    const covering = r.conditionalAccess.value.filter((p) =>
        (p.conditions?.applications?.includeUserActions ?? []).some((a) => a.toLowerCase() === REGISTER_SECURITY_INFO),
    );
    const on = covering.filter((p) => p.state === 'enabled');
    const names = (ps: ConditionalAccessPolicy[]) => ps.map((p) => `"${p.displayName ?? p.id}"`).join(', ');
    const honest =
        'Graph shows that such a policy is on; it cannot show whether its conditions (locations, exclusions, grant controls) stop someone who holds the password — check them in the portal (What If).';
    if (on.length > 0)
        return ok(check, title, `Conditional Access ${names(on)} covers "Register security information". ${honest}`);
    const reportOnly = covering.filter((p) => p.state === 'enabledForReportingButNotEnforced');
    const risk = r.config.resetPassword
        ? 'RESET_PASSWORD=true takes the password away, which narrows the gap'
        : 'with RESET_PASSWORD=false, whoever holds the password can register their own method once the responder deleted the user’s';
    return problem(
        'warning',
        check,
        title,
        `${reportOnly.length > 0 ? `only report-only policies (${names(reportOnly)}) cover` : 'no enabled Conditional Access policy covers'} "Register security information": ${risk}`,
        'Add a Conditional Access policy on the user action "Register security information" (e.g. require a trusted location or a compliant device), or set RESET_PASSWORD=true.',
    );
}

export function evaluatePushBlock(r: PushBlockReading): Finding[] {
    return [
        evaluateMigration(r),
        evaluateAuthenticator(r),
        evaluateGroup(r),
        evaluateRegistration(r),
        evaluateReportSuspicious(r),
    ].filter((f): f is Finding => f !== undefined);
}

export const pushBlockCheck: HealthCheck = {
    id: 'push-block',
    title: 'Push block',
    app: 'its identity holds no policy read permission (least privilege): run mfa-responder doctor with your sign-in',
    rights: () => POLICY_READER,
    run: async (ctx) => evaluatePushBlock(await readPushBlock(ctx)),
};
