import { userInfo } from 'node:os';

import { incidentViews } from '../../shared/notices/incidentView';
import { userIncidents } from '../../shared/userRow/listIncidents';
import { releaseUser } from '../../shared/runners/release';
import { userRowOf } from '../../shared/userRow/userRowShape';
import { ResponderError } from '../../shared/errors';
import type { Runtime } from '../../shared/runtime';
import { MAX_NAME_LENGTH, MAX_REASON_LENGTH, singleLine } from '../../shared/singleLine';
import { upnForms } from '../../shared/upn';
import { adminRuntime } from '../adminRuntime';
import type { CommandSpec } from '../commandSpec';
import { booleanFlag, GUID, parseFlags, stringFlag } from '../flags';
import { CliIO, UsageError, write } from '../io';
import { ndjsonLine } from '../report';

/** How long `release` waits for a containment step in flight before it says so and exits 75. */
const RELEASE_WAIT_MS = 30_000;

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** No user, or several, in the state table with the UPN given: exit 1, asking for the object id. */
export class UnknownUserError extends ResponderError {
    constructor(message: string) {
        super('UnknownUser', message);
    }
}

interface ReleaseOptions {
    /** The user as given: an object id or a UPN. */
    readonly who: string;
    readonly reason: string;
    /** As given with --by, not yet defaulted to the operator's login. */
    readonly by: string | undefined;
    readonly json: boolean;
}

export const RELEASE_SPEC: CommandSpec = {
    name: 'release',
    args: '<userId|UPN>',
    summary: 'Undo the push block of a user and close their incidents, once verified with them.',
    allowPositionals: true,
    flags: {
        reason: { type: 'string', value: 'TEXT', help: 'why the user is safe (required, kept with the incident)' },
        by: { type: 'string', value: 'NAME', help: 'who releases (default: your login name)' },
        json: { type: 'boolean', default: false, help: 'one JSON line with the incidents released' },
    },
    examples: ['mfa-responder release megan.bowen@contoso.com --reason "verified by phone; password reset"'],
};

function parseReleaseArgs(args: string[]): ReleaseOptions {
    const { values, positionals } = parseFlags(RELEASE_SPEC, args);
    if (positionals.length !== 1) throw new UsageError('release needs exactly one user id or UPN', 'release');
    const reason = singleLine(stringFlag(values, 'reason') ?? '', MAX_REASON_LENGTH);
    if (reason.length < 3)
        throw new UsageError('release needs --reason "why the user is safe" (3 characters at least)', 'release');
    return { who: positionals[0]!, reason, by: stringFlag(values, 'by'), json: booleanFlag(values, 'json') };
}

/** Finds the user id for a GUID or a UPN. UPNs are looked up in our own state, never put into a Graph URL. */
async function resolveUser(rt: Runtime, who: string): Promise<string> {
    if (GUID.test(who)) return who.toLowerCase();
    const wanted = new Set(upnForms(who));
    const matches: string[] = [];
    for await (const listed of rt.store.list({ withIncidents: true })) {
        const read = userRowOf(listed);
        if ('error' in read) continue;
        const { state } = read.row;
        if (upnForms(state.userPrincipalName).some((f) => wanted.has(f))) matches.push(state.userId);
    }
    if (matches.length === 1) return matches[0]!;
    throw new UnknownUserError(
        matches.length === 0
            ? `no incident for a user with UPN ${who}; pass the object id`
            : `several users have UPN ${who}; pass the object id`,
    );
}

/**
 * `release <userId|UPN> --reason "..." [--by NAME] [--json]`: undoes the push block and closes the user's incidents.
 * `waitMs`: how long to wait for a step in flight (tests shorten it).
 */
export async function releaseCommand(args: string[], io: CliIO, waitMs: number = RELEASE_WAIT_MS): Promise<number> {
    const options = parseReleaseArgs(args);
    const rt = await adminRuntime(io);
    const userId = await resolveUser(rt, options.who);
    // Stored with the incident and sent in notices: one bounded line, like the admin endpoint's.
    const by = singleLine(options.by ?? io.env.USER ?? userInfo().username, MAX_NAME_LENGTH);
    const result = await releaseUser(
        userId,
        { by, reason: options.reason },
        { ...rt.containmentDeps(silent), graph: rt.graph() },
        { waitMs },
    );
    if (options.json) {
        const incident = incidentViews((await userIncidents(rt.store, userId)) ?? []).find(
            (i) => i.incidentId === result.incidentId,
        );
        await write(io.stdout, ndjsonLine({ ...result, userId, incident: incident ?? null }));
    } else {
        await write(io.stdout, `Released ${userId}: ${result.undo}. Closed ${result.closedIncidents} incident(s).\n`);
    }
    return 0;
}
