import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { grantScriptFlags, RoleNeeds } from '../../shared/graph/permissions';

/** The script, found upward from here: this file also runs compiled into .tmp/ (npm run bench). */
function findScript(): string {
    for (let dir = __dirname; ; dir = dirname(dir)) {
        const candidate = join(dir, 'infra', 'scripts', 'grant-graph-permissions.sh');
        if (existsSync(candidate)) return candidate;
        if (dirname(dir) === dir)
            throw new Error('infra/scripts/grant-graph-permissions.sh not found above ' + __dirname);
    }
}
const SCRIPT = findScript();
const cache = new Map<string, GrantedRoles>();

export interface GrantedRoles {
    /** The Microsoft Graph app roles the grant script grants. */
    readonly roles: string[];
    /** Whether it also assigns the User Administrator directory role (live with --reset-password). */
    readonly userAdministrator: boolean;
}

/**
 * What infra/scripts/grant-graph-permissions.sh grants for these arguments, read from the script itself
 * (`--print-roles`): the tests give the app's identity exactly these, so that a role the script forgets fails a test.
 */
export function grantedRolesFor(args: readonly string[]): GrantedRoles {
    const key = args.join(' ');
    let granted = cache.get(key);
    if (!granted) {
        const lines = execFileSync('bash', [SCRIPT, '--print-roles', ...args], { encoding: 'utf8' })
            .split('\n')
            .filter(Boolean);
        granted = {
            roles: lines.filter((l) => !l.startsWith('directory role:')),
            userAdministrator: lines.includes('directory role: User Administrator'),
        };
        cache.set(key, granted);
    }
    return granted;
}

/** The grant script's roles for a deployment with these containment settings (the flags the doctor prints). */
export function grantedRoles(needs: RoleNeeds): GrantedRoles {
    return grantedRolesFor(grantScriptFlags(needs));
}
