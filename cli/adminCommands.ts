import { parseArgs } from 'node:util';
import { userInfo } from 'node:os';

import { loadGraphConfig } from '../shared/config';
import { incidentView, listIncidents } from '../shared/containment/incidents';
import { releaseUser } from '../shared/containment/release';
import { ResponderError } from '../shared/errors';
import { createGraphClient } from '../shared/graph/graphClient';
import { GraphSetupActions } from '../shared/graph/setupActions';
import { createRuntime, Runtime } from '../shared/runtime';
import type { CliIO } from './main';
import { UsageError, write } from './output';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
    const incidents = await listIncidents(rt.store, { openOnly: values.open });
    if (values.json) {
        for (const inc of incidents) await write(io.stdout, `${JSON.stringify(inc)}\n`);
        return 0;
    }
    if (incidents.length === 0) await write(io.stdout, 'No incidents.\n');
    for (const inc of incidents) {
        const c = inc.containment as { status: string; reason: string | null } | null;
        await write(
            io.stdout,
            `${String(inc.detectedAt)}  ${String(inc.userPrincipalName ?? inc.userId)}  ${String(inc.trigger)}  ${String(inc.denials)} denied  ` +
                `containment: ${c?.status ?? 'none'}${c?.reason ? ` (${c.reason})` : ''}${inc.closedAt ? '  [closed]' : ''}  id ${String(inc.incidentId)}\n`,
        );
    }
    return 0;
}

/** Finds the user id for a GUID or a UPN. UPNs are looked up in our own state, never put into a Graph URL. */
async function resolveUser(rt: Runtime, who: string): Promise<string> {
    if (GUID.test(who)) return who.toLowerCase();
    const upn = who.toLowerCase();
    const matches: string[] = [];
    for await (const { state } of rt.store.list({ withIncidents: true })) {
        if (state.userPrincipalName?.toLowerCase() === upn) matches.push(state.userId);
    }
    if (matches.length === 1) return matches[0]!;
    throw new ResponderError(
        'UnknownUser',
        matches.length === 0
            ? `no incident for a user with UPN ${who}; pass the object id`
            : `several users have UPN ${who}; pass the object id`,
    );
}

/** `release <userId|UPN> --reason "..."`. */
export async function runRelease(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { reason: { type: 'string' }, by: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1) throw new UsageError('release needs exactly one user id or UPN');
    const reason = values.reason?.trim() ?? '';
    if (reason.length < 3)
        throw new UsageError('release needs --reason "why the user is safe" (3 characters at least)');
    const rt = await adminRuntime(io);
    const userId = await resolveUser(rt, positionals[0]!);
    const by = values.by ?? io.env.USER ?? userInfo().username;
    const result = await releaseUser(
        userId,
        { by, reason },
        {
            ...rt.containmentDeps({ log: () => undefined, warn: () => undefined, error: () => undefined }),
            graph: rt.graph(),
        },
    );
    if (values.json) {
        const state = await rt.store.read(userId);
        const inc = state?.state.incidents.find((i) => i.id === result.incidentId);
        await write(io.stdout, `${JSON.stringify({ ...result, userId, incident: inc ? incidentView(inc) : null })}\n`);
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
            json: { type: 'boolean', default: false },
        },
    });
    const graphConfig = loadGraphConfig(io.env);
    const setup = new GraphSetupActions(createGraphClient(graphConfig), {
        callTimeoutMs: graphConfig.callTimeoutMs,
        budgetMs: graphConfig.stepBudgetMs,
    });
    const result = await setup.ensurePushBlockGroup({
        groupName: values['group-name'],
        ...(values['group-id'] ? { groupId: values['group-id'] } : {}),
    });
    if (values.json) {
        await write(io.stdout, `${JSON.stringify(result)}\n`);
    } else {
        await write(
            io.stdout,
            `${result.groupCreated ? 'Created' : 'Using'} push-block group ${result.groupId}; ` +
                `${result.excluded === 'already' ? 'it was already excluded' : 'excluded it'} from the Microsoft Authenticator policy ` +
                `(${result.excludeTargets.length} exclusion(s) in all).\nSet PUSH_BLOCK_GROUP_ID=${result.groupId} on the function app.\n`,
        );
    }
    return 0;
}
