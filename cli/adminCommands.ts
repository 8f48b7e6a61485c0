import { parseArgs } from 'node:util';
import { userInfo } from 'node:os';

import { incidentViews } from '../shared/notices/incidentView';
import { releaseUser } from '../shared/runners/release';
import { listIncidents, userIncidents } from '../shared/userRow/listIncidents';
import { userRowOf } from '../shared/userRow/userRowShape';
import { ResponderError } from '../shared/errors';
import { BLOCKABLE_METHODS, BlockableMethod } from '../shared/graph/setupActions';
import { createRuntime, Runtime } from '../shared/runtime';
import { MAX_NAME_LENGTH, MAX_REASON_LENGTH, singleLine } from '../shared/singleLine';
import { upnForms } from '../shared/upn';
import { CliIO, UsageError, write } from './io';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How long `release` waits for a containment step in flight before it says so and exits 75. */
const RELEASE_WAIT_MS = 30_000;

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function adminRuntime(io: CliIO): Promise<Runtime> {
    const rt = createRuntime({ env: io.env });
    await rt.ready();
    return rt;
}

/** `incidents`: what the responder has seen, newest first. */
export async function runIncidents(args: string[], io: CliIO): Promise<number> {
    const { values } = parseArgs({
        args,
        options: { open: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    });
    const rt = await adminRuntime(io);
    const listed = await listIncidents(rt.store, { openOnly: values.open });
    const { unreadableRows } = listed;
    const incidents = incidentViews(listed.incidents);
    if (unreadableRows > 0) await write(io.stderr, `warning: ${unreadableRows} row(s) could not be read\n`);
    if (values.json) {
        for (const inc of incidents) await write(io.stdout, `${JSON.stringify(inc)}\n`);
        return 0;
    }
    if (incidents.length === 0) await write(io.stdout, 'No incidents.\n');
    for (const inc of incidents) {
        await write(
            io.stdout,
            `${inc.recordedAt}  ${inc.userPrincipalName ?? inc.userId}  ${inc.trigger}  ${inc.denials} denied  ` +
                `containment: ${inc.containment ?? 'none'}${inc.containmentReason ? ` (${inc.containmentReason})` : ''}${inc.closedAt ? '  [closed]' : ''}  id ${inc.incidentId}\n`,
        );
    }
    return 0;
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
    throw new ResponderError(
        'UnknownUser',
        matches.length === 0
            ? `no incident for a user with UPN ${who}; pass the object id`
            : `several users have UPN ${who}; pass the object id`,
    );
}

/** `release <userId|UPN> --reason "..."`. `waitMs`: how long to wait for a step in flight (tests shorten it). */
export async function runRelease(args: string[], io: CliIO, waitMs: number = RELEASE_WAIT_MS): Promise<number> {
    const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { reason: { type: 'string' }, by: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1) throw new UsageError('release needs exactly one user id or UPN');
    const reason = singleLine(values.reason ?? '', MAX_REASON_LENGTH);
    if (reason.length < 3)
        throw new UsageError('release needs --reason "why the user is safe" (3 characters at least)');
    const rt = await adminRuntime(io);
    const userId = await resolveUser(rt, positionals[0]!);
    // Stored with the incident and sent in notices: one bounded line, like the admin endpoint's.
    const by = singleLine(values.by ?? io.env.USER ?? userInfo().username, MAX_NAME_LENGTH);
    const result = await releaseUser(
        userId,
        { by, reason },
        { ...rt.containmentDeps(silent), graph: rt.graph() },
        { waitMs },
    );
    if (values.json) {
        const incident = incidentViews((await userIncidents(rt.store, userId)) ?? []).find(
            (i) => i.incidentId === result.incidentId,
        );
        await write(io.stdout, `${JSON.stringify({ ...result, userId, incident: incident ?? null })}\n`);
    } else {
        await write(io.stdout, `Released ${userId}: ${result.undo}. Closed ${result.closedIncidents} incident(s).\n`);
    }
    return 0;
}

/** `setup`: the push-block group and its exclusion from the Authenticator policy. */
export async function runSetup(args: string[], io: CliIO): Promise<number> {
    const { values } = parseArgs({
        args,
        options: {
            'group-name': { type: 'string', default: 'SG-MFA-Push-Blocked' },
            'group-id': { type: 'string' },
            methods: { type: 'string', default: 'microsoftAuthenticator' },
            json: { type: 'boolean', default: false },
        },
    });
    const methods = values.methods
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
    const unknown = methods.filter((m) => !(m in BLOCKABLE_METHODS));
    if (methods.length === 0 || unknown.length > 0) {
        throw new UsageError(
            `--methods takes a comma-separated list of ${Object.keys(BLOCKABLE_METHODS).join(', ')}, not "${values.methods}"`,
        );
    }
    const setup = createRuntime({ env: io.env }).setupActions();
    const result = await setup.ensurePushBlockGroup({
        groupName: values['group-name'],
        ...(values['group-id'] ? { groupId: values['group-id'] } : {}),
        methods: methods as BlockableMethod[],
    });
    if (values.json) {
        await write(io.stdout, `${JSON.stringify(result)}\n`);
    } else {
        await write(
            io.stdout,
            `${result.groupCreated ? 'Created' : 'Using'} push-block group ${result.groupId}; ` +
                result.methods
                    .map(
                        (m) =>
                            `${m.excluded === 'already' ? 'already excluded from' : 'excluded from'} the ${m.method} policy (${m.exclusions} exclusion(s) in all)`,
                    )
                    .join('; ') +
                `.\nSet PUSH_BLOCK_GROUP_ID=${result.groupId} through the template: azd env set PUSH_BLOCK_GROUP_ID ${result.groupId} && azd provision\n`,
        );
    }
    return 0;
}
