import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { grantScriptFlags, requiredGraphRoles, RoleNeeds } from '../../shared/graph/permissions';
import { grantedRoles } from '../support/grantedRoles';
import { AzAnswer, startStandInAz } from '../support/standInAz';
import { ArmEvaluator } from './armEvaluator';
import { compileBicep } from './compile';

/**
 * The Graph app roles of the responder's identity, granted by mode: infra/scripts/grant-graph-permissions.sh,
 * infra/graph/graph-permissions.bicep and shared/graph/permissions.ts (what the doctor checks) agree for every mode and
 * every combination of the optional steps; dry-run grants nothing, the write roles come only with live.
 */
const root = join(__dirname, '..', '..');
const SCRIPT = join(root, 'infra', 'scripts', 'grant-graph-permissions.sh');
const WRITE_ROLES = [
    'GroupMember.ReadWrite.All',
    'User.RevokeSessions.All',
    'UserAuthenticationMethod.ReadWrite.All',
    'User-PasswordProfile.ReadWrite.All',
    'IdentityRiskyUser.ReadWrite.All',
    'User.EnableDisableAccount.All',
];

/** Every mode and every combination of the optional steps. */
function everyNeed(): RoleNeeds[] {
    const all: RoleNeeds[] = [];
    for (const mode of ['dry-run', 'live'] as const)
        for (const pushBlockMode of ['group', 'remove-method'] as const)
            for (let bits = 0; bits < 16; bits++)
                all.push({
                    mode,
                    pushBlockMode,
                    removeNewMethods: (bits & 1) === 0,
                    resetPassword: (bits & 2) !== 0,
                    confirmCompromised: (bits & 4) !== 0,
                    disableAccount: (bits & 8) !== 0,
                });
    return all;
}

/**
 * The Bicep module's role list, evaluated for these choices: the module without its Graph extension (which the
 * compiler fetches from a registry), compiled with the real compiler, its `roleNames` variable evaluated.
 */
let roleNamesTemplate: ConstructorParameters<typeof ArmEvaluator>[0];
beforeAll(() => {
    const source = readFileSync(join(root, 'infra', 'graph', 'graph-permissions.bicep'), 'utf8');
    const cut = source.indexOf("resource graph 'Microsoft.Graph/servicePrincipals");
    expect(cut).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'mfa-graph-roles-'));
    const file = join(dir, 'graph-roles.bicep');
    writeFileSync(
        file,
        `${source.slice(0, cut).replace(/^extension microsoftGraphV1$/m, '')}\noutput roles array = roleNames\n`,
    );
    roleNamesTemplate = JSON.parse(compileBicep([file])['graph-roles']!) as typeof roleNamesTemplate;
}, 300_000);

function bicepRoles(n: RoleNeeds): string[] {
    return new ArmEvaluator(roleNamesTemplate, {
        principalId: '11111111-2222-4333-8444-555555555555',
        containmentMode: n.mode,
        removeMethodMode: n.pushBlockMode === 'remove-method',
        removeNewMethods: n.removeNewMethods,
        resetPassword: n.resetPassword,
        confirmCompromised: n.confirmCompromised,
        disableAccount: n.disableAccount,
    }).variable('roleNames') as string[];
}

describe('the Graph roles granted for each containment mode', () => {
    it('are the same in the grant script, the Bicep module and what the doctor requires, in every combination', () => {
        for (const n of everyNeed()) {
            const required = [...requiredGraphRoles(n).keys()].sort();
            expect({ n, script: grantedRoles(n).roles.sort(), bicep: bicepRoles(n).sort() }).toEqual({
                n,
                script: required,
                bicep: required,
            });
            expect(grantedRoles(n).userAdministrator).toBe(n.mode === 'live' && n.resetPassword);
        }
    });

    it('are none in dry-run, whatever else is chosen, and the write roles come only with live', () => {
        for (const n of everyNeed().filter((x) => x.mode === 'dry-run')) expect(grantedRoles(n).roles).toEqual([]);
        const live = everyNeed().filter((x) => x.mode === 'live');
        const grantedLive = new Set(live.flatMap((n) => grantedRoles(n).roles));
        for (const role of WRITE_ROLES)
            expect({ role, granted: grantedLive.has(role) }).toEqual({ role, granted: true });
        // The default live deployment: group push block, REMOVE_NEW_METHODS on, nothing optional.
        expect(grantedRoles(live[0]!).roles.sort()).toEqual(
            [
                'GroupMember.Read.All',
                'GroupMember.ReadWrite.All',
                'User.Read.All',
                'User.RevokeSessions.All',
                'UserAuthenticationMethod.ReadWrite.All',
            ].sort(),
        );
    });

    it('requires the mode: no default grants the write roles', () => {
        const run = spawnSync('bash', [SCRIPT, '--print-roles'], { encoding: 'utf8' });
        expect(run.status).toBe(2);
        expect(run.stderr).toMatch(/--mode dry-run or --mode live is required/);
        const bicep = readFileSync(join(root, 'infra', 'graph', 'graph-permissions.bicep'), 'utf8');
        expect(bicep).toMatch(/^param containmentMode string$/m);
    });
});

/** A GUID per role name, as Graph's service principal would list it. */
const roleId = (role: string) => {
    let h = 0;
    for (const c of role) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return `00000000-0000-4000-8000-${h.toString(16).padStart(12, '0')}`;
};
const PRINCIPAL = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const GRAPH_SP = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

function azFor(granted: string[]): AzAnswer[] {
    return [
        { match: /^ad sp show --id 00000003-0000-0000-c000-000000000000 --query id -o tsv$/, stdout: `${GRAPH_SP}\n` },
        {
            match: /^rest --method GET --uri https:\/\/graph\.microsoft\.com\/v1\.0\/servicePrincipals\/[0-9a-f-]+\/appRoleAssignments /,
            stdout: granted.map((r) => `${roleId(r)}\n`).join(''),
        },
        ...[...new Set([...WRITE_ROLES, 'User.Read.All', 'GroupMember.Read.All'])].map((role) => ({
            match: new RegExp(`^ad sp show .*appRoles\\[\\?value=='${role.replace(/\./g, '\\.')}'`),
            stdout: `${roleId(role)}\n`,
        })),
        { match: /^rest --method POST --uri https:\/\/graph\.microsoft\.com\/v1\.0\/servicePrincipals\// },
        { match: /^rest --method GET --uri .*roleManagement\/directory\/roleAssignments/, stdout: '0\n' },
        { match: /^rest --method POST --uri .*roleManagement\/directory\/roleAssignments/ },
    ];
}

describe('the grant script against a stand-in az', () => {
    const posted = (calls: string[][]) =>
        calls
            .filter((c) => c[2] === 'POST' && c[4]!.endsWith('/appRoleAssignments'))
            .map((c) => (JSON.parse(c[c.indexOf('--body') + 1]!) as { appRoleId: string }).appRoleId);

    it('grants exactly the live roles of the flags, skipping those already granted', () => {
        const n: RoleNeeds = {
            mode: 'live',
            pushBlockMode: 'group',
            removeNewMethods: true,
            resetPassword: false,
            confirmCompromised: true,
            disableAccount: false,
        };
        const az = startStandInAz(azFor(['User.Read.All']));
        try {
            const run = spawnSync('bash', [SCRIPT, PRINCIPAL, ...grantScriptFlags(n)], {
                encoding: 'utf8',
                env: az.env(),
            });
            expect(run.stderr).toBe('');
            expect(run.status).toBe(0);
            const expected = [...requiredGraphRoles(n).keys()].filter((r) => r !== 'User.Read.All');
            expect(posted(az.calls()).sort()).toEqual(expected.map(roleId).sort());
            for (const body of az.calls().filter((c) => c[2] === 'POST'))
                expect(JSON.parse(body[body.indexOf('--body') + 1]!)).toMatchObject({
                    principalId: PRINCIPAL,
                    resourceId: GRAPH_SP,
                });
            expect(run.stdout).toMatch(/already granted: User\.Read\.All/);
            expect(az.calls().some((c) => c.join(' ').includes('roleManagement'))).toBe(false);
        } finally {
            az.close();
        }
    });

    it('in dry-run signs in to nothing and grants nothing', () => {
        const az = startStandInAz([]);
        try {
            const run = spawnSync('bash', [SCRIPT, PRINCIPAL, '--mode', 'dry-run', '--confirm-compromised'], {
                encoding: 'utf8',
                env: az.env(),
            });
            expect(run.status).toBe(0);
            expect(run.stdout).toMatch(/makes no Microsoft Graph call: nothing to grant/);
            expect(az.calls()).toEqual([]);
        } finally {
            az.close();
        }
    });

    it('assigns the User Administrator directory role only for a live password reset', () => {
        const az = startStandInAz(azFor([]));
        try {
            const run = spawnSync('bash', [SCRIPT, PRINCIPAL, '--mode', 'live', '--reset-password'], {
                encoding: 'utf8',
                env: az.env(),
            });
            expect(run.status).toBe(0);
            const assignment = az
                .calls()
                .find((c) => c[2] === 'POST' && c[4]!.endsWith('/roleManagement/directory/roleAssignments'))!;
            expect(JSON.parse(assignment[assignment.indexOf('--body') + 1]!)).toEqual({
                principalId: PRINCIPAL,
                roleDefinitionId: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
                directoryScopeId: '/',
            });
        } finally {
            az.close();
        }
    });
});
