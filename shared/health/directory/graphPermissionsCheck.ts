import {
    grantScriptFlags,
    PASSWORD_RESET_DIRECTORY_ROLES,
    requiredGraphRoles,
    RoleNeeds,
} from '../../graph/permissions';
import { effectiveAppRoles } from '../../graph/tokenRoles';
import { Finding, ok, problem } from '../check';
import { describeFailure, HealthContext, ReadFailure, HealthCheck } from '../context';

const TITLE = 'Graph permissions';

export interface PermissionsReading {
    readonly needs: RoleNeeds;
    readonly graphBaseUrl: string;
    /** The app's managed identity, as a service principal (its object id is what roles are granted to). */
    readonly principal?: { readonly id: string; readonly displayName?: string };
    /** App roles granted on Microsoft Graph, with the assignment ids (a removal names them). */
    readonly assigned?: ReadonlyArray<{ readonly role: string; readonly assignmentId: string }>;
    readonly assignedFailure?: ReadFailure;
    /** App roles in the identity's current Graph token: what is in effect now. */
    readonly effective?: readonly string[];
    /** Password-reset directory roles the identity holds tenant-wide (RESET_PASSWORD=true only). */
    readonly directoryRoles?: readonly string[];
    /**
     * Password-reset roles held on a narrower scope only (an administrative unit): resets of anyone outside it are
     * refused, so they do not count.
     */
    readonly scopedDirectoryRoles?: ReadonlyArray<{ readonly role: string; readonly scope: string }>;
    readonly directoryFailure?: ReadFailure;
}

/** Reads what is granted (an operator's sign-in) and, as the app, what is in effect. */
export async function readPermissions(ctx: HealthContext): Promise<PermissionsReading> {
    const c = ctx.runtime.containment;
    // The block named location's roles only when blocking is on, and only in live mode (dry-run never writes Graph).
    const needs: RoleNeeds = { ...c, blockSources: ctx.runtime.campaign.block !== undefined };
    const graphBase = ctx.runtime.graphConfig.baseUrl;
    const effective = ctx.asApp ? await effectiveAppRoles(ctx.runtime.credential, graphBase, ctx.timeoutMs) : undefined;
    const base = { needs, graphBaseUrl: graphBase, ...(effective ? { effective } : {}) };
    // The app's own identity cannot list role assignments (that needs Application.Read.All, which it does not hold):
    // as the app, what its token carries is the answer.
    if (!ctx.appClientId || ctx.asApp) return base;
    const reads = ctx.runtime.graphReads();
    let principal: PermissionsReading['principal'];
    try {
        const sp = await reads.servicePrincipalOf(ctx.appClientId);
        principal = { id: sp.id.toLowerCase(), ...(sp.displayName ? { displayName: sp.displayName } : {}) };
        const [graphSp, assignments] = await Promise.all([
            reads.graphServicePrincipal(),
            reads.appRoleAssignments(principal.id),
        ]);
        const names = new Map(graphSp.appRoles.map((r) => [r.id.toLowerCase(), r.value ?? r.id]));
        const assigned = assignments
            .filter((a) => a.resourceId.toLowerCase() === graphSp.id.toLowerCase())
            .map((a) => ({ role: names.get(a.appRoleId.toLowerCase()) ?? a.appRoleId, assignmentId: a.id }));
        let directory: Pick<PermissionsReading, 'directoryRoles' | 'directoryFailure'> = {};
        if (c.resetPassword) {
            try {
                const held = await reads.directoryRoleAssignments(principal.id);
                const resetRoles = held.flatMap((r) => {
                    const role = (PASSWORD_RESET_DIRECTORY_ROLES as Record<string, string>)[r.roleDefinitionId];
                    return role ? [{ role, scope: r.directoryScopeId ?? '/' }] : [];
                });
                // Only "/" is the whole tenant (roleAssignments' directoryScopeId); an administrative unit's scope
                // lets the identity reset its members' passwords only.
                const scoped = resetRoles.filter((r) => r.scope !== '/');
                directory = {
                    directoryRoles: resetRoles.filter((r) => r.scope === '/').map((r) => r.role),
                    ...(scoped.length > 0 ? { scopedDirectoryRoles: scoped } : {}),
                };
            } catch (e) {
                directory = { directoryFailure: describeFailure(e) };
            }
        }
        return { ...base, principal, assigned, ...directory };
    } catch (e) {
        return { ...base, ...(principal ? { principal } : {}), assignedFailure: describeFailure(e) };
    }
}

const list = (roles: Iterable<string>, why?: ReadonlyMap<string, string>) =>
    [...roles].map((r) => (why?.get(r) ? `${r} (${why.get(r)})` : r)).join('; ');

/** Who is being judged and how to fix what is missing, shared by every finding of the check. */
interface Subject {
    readonly required: ReadonlyMap<string, string>;
    /** The identity's display name or object id, else the client id it was named by. */
    readonly who: string;
    /** The grant script's command line for these settings. */
    readonly grant: string;
}

export function evaluatePermissions(r: PermissionsReading, appClientId: string | undefined): Finding[] {
    const required = requiredGraphRoles(r.needs);
    const who = r.principal ? (r.principal.displayName ?? r.principal.id) : (appClientId ?? "the app's identity");
    const flags = grantScriptFlags(r.needs).map((f) => ` ${f}`);
    const grant = `infra/scripts/grant-graph-permissions.sh ${r.principal?.id ?? '<RESPONDER_PRINCIPAL_ID>'}${flags.join('')}`;
    const subject: Subject = { required, who, grant };
    // What is granted (read with a person's sign-in), else what the app's own token carries.
    const held = r.assigned ? r.assigned.map((a) => a.role) : r.effective;
    return [
        ...(held !== undefined ? appRoleFindings(r, held, subject) : [unreadAppRolesFinding(r, who, appClientId)]),
        ...directoryRoleFindings(r, grant),
    ];
}

/** The app roles held against those these settings need: missing, not yet in effect, or beyond need. */
function appRoleFindings(r: PermissionsReading, held: readonly string[], { required, who, grant }: Subject): Finding[] {
    const findings: Finding[] = [];
    const fromToken = r.assigned === undefined;
    const missing = [...required.keys()].filter((role) => !held.includes(role));
    const extra = held.filter((role) => !required.has(role));
    const notYet =
        !fromToken && r.effective !== undefined
            ? [...required.keys()].filter((x) => held.includes(x) && !r.effective!.includes(x))
            : [];
    const data = { required: [...required.keys()], [fromToken ? 'effective' : 'assigned']: held, missing, extra };
    if (missing.length > 0) {
        findings.push(
            problem(
                'failed',
                'graph-permissions',
                TITLE,
                `${fromToken ? "the identity's Graph token" : who} lacks ${missing.length} app role(s) these settings need: ${list(missing, required)}`,
                `As Privileged Role Administrator: ${grant}` +
                    (fromToken
                        ? '. If you granted them within the last 24 h, the cached token still holds the old set: restart the function app.'
                        : ' (managed identity tokens are cached for up to 24 h: a new grant can take that long to work).'),
                data,
            ),
        );
    } else if (notYet.length > 0) {
        findings.push(
            problem(
                'warning',
                'graph-permissions',
                TITLE,
                `granted but not yet in the identity's token: ${notYet.join(', ')}`,
                'Wait: managed identity tokens are cached for up to 24 h; restart the function app to fetch a new one sooner.',
                data,
            ),
        );
    } else {
        const holder = fromToken ? "the identity's token carries" : `${who} holds`;
        findings.push(
            ok(
                'graph-permissions',
                TITLE,
                required.size === 0
                    ? 'CONTAINMENT_MODE=dry-run makes no Graph call: it needs no app role'
                    : `${holder} the ${required.size} app role(s) these settings need`,
                data,
            ),
        );
    }
    if (extra.length > 0) findings.push(extraRolesFinding(r, extra, fromToken, who));
    return findings;
}

/** Least privilege: roles no setting uses, with the commands that remove them when the assignments are known. */
function extraRolesFinding(r: PermissionsReading, extra: readonly string[], fromToken: boolean, who: string): Finding {
    const removals = (r.assigned ?? [])
        .filter((a) => extra.includes(a.role))
        .map(
            (a) =>
                `az rest --method DELETE --uri ${r.graphBaseUrl}/v1.0/servicePrincipals/${r.principal?.id ?? '<id>'}/appRoleAssignments/${a.assignmentId}`,
        );
    return problem(
        'warning',
        'graph-permissions.extra',
        'Graph permissions beyond need',
        `${fromToken ? "the identity's token carries" : `${who} holds`} app role(s) CONTAINMENT_MODE=${r.needs.mode} with these settings does not use: ${extra.join(', ')}`,
        `Remove what no setting needs (least privilege)${
            removals.length > 0
                ? `: ${removals.join(' ; ')}`
                : ' in Entra admin center > Enterprise applications > the identity > Permissions (mfa-responder doctor with your sign-in prints the commands)'
        } — or keep them if you are about to turn on the setting that needs them.${
            r.needs.mode === 'dry-run' && extra.includes('GroupMember.ReadWrite.All')
                ? ' Release every user a live run contained before removing GroupMember.ReadWrite.All: a release takes them out of the push-block group with it.'
                : ''
        }`,
        { extra },
    );
}

/** Neither the assignments nor the token could be read: why, and what to do about it. */
function unreadAppRolesFinding(r: PermissionsReading, who: string, appClientId: string | undefined): Finding {
    if (r.assignedFailure) {
        const f = r.assignedFailure;
        return problem(
            'warning',
            'graph-permissions',
            TITLE,
            `cannot read the app roles of ${who}: ${f.message}`,
            f.kind === 'refused'
                ? 'Run the doctor as someone who may read service principals (Global Reader, or Directory Readers with Application.Read.All).'
                : `Check --app-client-id (${appClientId ?? 'unset'}) is the client id of the app's managed identity (the RESPONDER_CLIENT_ID output).`,
        );
    }
    return problem(
        'warning',
        'graph-permissions',
        TITLE,
        'cannot tell which identity the app runs as',
        'Pass --app-client-id <RESPONDER_CLIENT_ID> (the client id of the managed identity, an output of the deployment), or set AZURE_CLIENT_ID.',
    );
}

/** RESET_PASSWORD=true needs a tenant-wide directory role that may reset passwords; none when it was not read. */
function directoryRoleFindings(r: PermissionsReading, grant: string): Finding[] {
    if (!r.needs.resetPassword || !(r.directoryRoles || r.directoryFailure)) return [];
    if (r.directoryRoles && r.directoryRoles.length > 0) {
        return [
            ok(
                'graph-permissions.directory-role',
                'Directory role for password resets',
                `holds ${r.directoryRoles.join(', ')}`,
            ),
        ];
    }
    if (r.directoryRoles) {
        return [
            problem(
                'failed',
                'graph-permissions.directory-role',
                'Directory role for password resets',
                r.scopedDirectoryRoles
                    ? `RESET_PASSWORD=true, but the identity holds ${r.scopedDirectoryRoles.map((s) => `${s.role} on ${s.scope}`).join(', ')} only: a reset of anyone outside that scope would be refused (403)`
                    : 'RESET_PASSWORD=true, but the identity holds no directory role that may reset passwords: every reset would be refused (403)',
                `${grant} assigns User Administrator tenant-wide (users who hold admin roles need Privileged Authentication Administrator, assigned by hand).`,
            ),
        ];
    }
    return [
        problem(
            'warning',
            'graph-permissions.directory-role',
            'Directory role for password resets',
            `cannot read the identity's directory roles: ${r.directoryFailure!.message}`,
            'Run the doctor as someone who may read role assignments (Global Reader or Privileged Role Administrator).',
        ),
    ];
}

export const graphPermissionsCheck: HealthCheck = {
    id: 'graph-permissions',
    title: TITLE,
    app: true,
    rights: () => 'Global Reader (to read the identity’s app role assignments)',
    run: async (ctx) => evaluatePermissions(await readPermissions(ctx), ctx.appClientId),
};
