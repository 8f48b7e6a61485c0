import { parseArgs } from 'node:util';

import type { TokenCredential } from '@azure/identity';

import { loadEventHubConfig } from '../shared/settings/eventHub';
import { incidentView } from '../shared/notices/incidentView';
import { ConfigError } from '../shared/errors';
import { awaitDrill, findDrillOutcome, loadUserRow, openEpisode } from '../shared/drill/awaitDrill';
import { drillMessages, drillRecordIds, drillRecords, drillSpacingMs, newDrillId } from '../shared/drill/drillRecords';
import { sendDrill } from '../shared/drill/sendDrill';
import { describeFailure } from '../shared/health/context';
import { createRuntime, Runtime } from '../shared/runtime';
import { CliIO, UsageError, write } from './io';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Enough for any DENIAL_THRESHOLD (at most 1000); the messages go out in as many batches as they need. */
const MAX_DENIALS = 1001;
const DEFAULT_TIMEOUT_S = 180;
/** How long to wait, after the incident shows, for its notice to the SOC to be sent. */
const NOTICE_WAIT_MS = 10_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The canary's object id: a GUID as given, a UPN looked up in Graph with the operator's sign-in. */
async function resolveCanary(rt: Runtime, who: string): Promise<string | undefined> {
    if (GUID.test(who)) return who.toLowerCase();
    if (!who.includes('@')) return undefined;
    return rt.graphReads().userIdByUpn(who);
}

/**
 * `drill --user <objectId|UPN>`: a synthetic push-bombing episode through the real hub, then the time until the
 * responder recorded its incident and planned its containment. Only for canary users listed in DRILL_USER_IDS; the
 * responder plans a drill as a dry-run whatever CONTAINMENT_MODE says.
 * Exit codes: 0 the drill incident was recorded (or sent, with --no-wait), 1 it did not appear in time or was not
 * taken as a drill, 2 bad usage or a user who is not a canary, 75 the canary has an incident still open (wait),
 * 78 bad setting.
 */
export async function runDrill(args: string[], io: CliIO, credential?: TokenCredential): Promise<number> {
    const { values } = parseArgs({
        args,
        options: {
            user: { type: 'string' },
            denials: { type: 'string' },
            'no-wait': { type: 'boolean', default: false },
            timeout: { type: 'string' },
            json: { type: 'boolean', default: false },
        },
    });
    const say = (text: string) => write(io.stderr, `${text}\n`);
    const who = values.user?.trim();
    if (!who) throw new UsageError('drill needs --user <objectId|UPN> of a canary account listed in DRILL_USER_IDS');
    const rt = createRuntime({ env: io.env, ...(credential ? { credential } : {}) });
    const { policy, drillUsers } = rt.detection;
    const denials = values.denials === undefined ? policy.denialThreshold + 1 : Number(values.denials);
    if (!Number.isInteger(denials) || denials < policy.denialThreshold || denials > MAX_DENIALS) {
        throw new UsageError(
            `--denials must be a whole number from DENIAL_THRESHOLD (${policy.denialThreshold}) to ${MAX_DENIALS}: fewer opens no incident`,
        );
    }
    if (values.timeout !== undefined && !/^\d{1,5}$/.test(values.timeout)) {
        throw new UsageError('--timeout needs a number of seconds, such as 180');
    }
    const timeoutMs = (values.timeout ? Number(values.timeout) : DEFAULT_TIMEOUT_S) * 1000;
    const hub = loadEventHubConfig(io.env);
    if (!hub) {
        throw new ConfigError(
            'EventHubConnection__fullyQualifiedNamespace',
            'drill needs the hub: set EventHubConnection__fullyQualifiedNamespace (<namespace>.servicebus.windows.net) and EVENTHUB_NAME, and sign in (az login) as someone with Azure Event Hubs Data Sender on the hub; EVENTHUB_CONNECTION_STRING is for a local emulator only.',
        );
    }

    const userId = await resolveCanary(rt, who);
    if (!userId) {
        await say(`mfa-responder: no user with UPN ${who}: pass the canary's object id`);
        return 2;
    }
    if (!drillUsers.has(userId)) {
        await say(
            `mfa-responder: refused: ${who}${who === userId ? '' : ` (${userId})`} is not a canary. A drill runs only against ` +
                'accounts listed in DRILL_USER_IDS, in the function app’s settings and in this environment (the app refuses ' +
                'drill records for anyone it does not list).',
        );
        return 2;
    }

    const now = Date.now();
    // A drill within the window of an open incident of the canary would join it and open nothing.
    try {
        const open = openEpisode(await loadUserRow(rt.store, userId), now, policy.windowMs);
        if (open) {
            const until = new Date(open.incident.lastSeen + policy.windowMs).toISOString();
            await say(
                `mfa-responder: the canary has incident ${open.incident.id} open until ${until} (DENIAL_WINDOW_MINUTES after its last prompt): a drill now would join it and open nothing. Run it after ${until}.`,
            );
            return 75;
        }
    } catch (e) {
        const why = describeFailure((e as Error).cause ?? e);
        if (!values['no-wait']) {
            await say(
                `mfa-responder: cannot read the canary's state in the state table (${why.message})${why.kind === 'refused' ? ': your sign-in needs Storage Table Data Reader on it' : ''}. Check the STATE_TABLE_* settings, or send with --no-wait and watch the function's logs.`,
            );
            return 1;
        }
        await say(`warning: could not read the canary's state (${why.message}); sending anyway`);
    }

    const drillId = newDrillId(now);
    const records = drillRecords({
        drillId,
        userId,
        denials,
        at: now,
        spacingMs: drillSpacingMs(denials, policy.windowMs),
    });
    let sent: Awaited<ReturnType<typeof sendDrill>>;
    try {
        sent = await sendDrill(hub, drillMessages(records), {
            drillId,
            credential: () => rt.credential,
            timeoutMs: 30_000,
        });
    } catch (e) {
        const why = describeFailure(e);
        await say(
            `mfa-responder: the hub did not take the drill (${why.message}). ` +
                (why.kind === 'refused'
                    ? 'Your sign-in needs Azure Event Hubs Data Sender on the hub (the deployment grants it to drillSenderPrincipalId).'
                    : why.kind === 'signed-out'
                      ? 'Sign in with az login first.'
                      : 'Check EventHubConnection__fullyQualifiedNamespace and EVENTHUB_NAME, and the namespace network rules.'),
        );
        return 1;
    }
    const hubName = `${hub.fullyQualifiedNamespace}/${hub.eventHubName}`;
    if (!values.json) {
        await write(
            io.stdout,
            `Sent drill ${drillId}: ${denials} declined pushes for ${userId} to ${hubName} at ${new Date(sent.sentAt).toISOString()}.\n`,
        );
    }
    if (values['no-wait']) {
        if (values.json) {
            await write(
                io.stdout,
                `${JSON.stringify({ type: 'drill', drillId, userId, denials, sentAt: new Date(sent.sentAt).toISOString(), waited: false })}\n`,
            );
        }
        return 0;
    }

    const seen = await awaitDrill(
        rt.store,
        userId,
        { drillId, recordIds: drillRecordIds(records) },
        { deadline: sent.sentAt + timeoutMs },
    );
    if (!seen.outcome) {
        await say(
            `mfa-responder: no drill incident for ${userId} within ${timeoutMs / 1000} s. The records reached the hub; check ` +
                'that the function reads it (mfa-responder doctor: "Sign-ins arriving", "Responder keeps up"), that the app’s ' +
                `DRILL_USER_IDS lists ${userId} (it refuses anyone else's drill records: "Rejected … as drill-refused" in the ` +
                'function\'s logs), and the "Sign-in batch:" lines.' +
                (seen.lastError ? ` The state table could not be read either: ${seen.lastError.message}` : ''),
        );
        return 1;
    }
    let outcome = seen.outcome;
    // The SOC notice goes out just after the incident is stored: give it a few seconds to say how it went.
    const noticeDeadline = Math.min(sent.sentAt + timeoutMs, Date.now() + NOTICE_WAIT_MS);
    while (outcome.found.containment?.notices.some((n) => n.kind === 'incident' && n.status === 'pending')) {
        if (Date.now() >= noticeDeadline) break;
        await new Promise((r) => setTimeout(r, 500));
        const again = await loadUserRow(rt.store, userId).catch(() => undefined);
        const found = again && findDrillOutcome(again, drillId, drillRecordIds(records));
        if (found) outcome = found;
    }
    const { incident, containment } = outcome.found;
    const view = incidentView(incident, containment);
    const recordedAfter = incident.recordedAt - sent.sentAt;
    const plannedAfter = containment ? containment.plannedAt - sent.sentAt : undefined;
    const seenAfter = seen.seenAt - sent.sentAt;
    const notice = containment?.notices.find((n) => n.kind === 'incident');
    if (values.json) {
        await write(
            io.stdout,
            `${JSON.stringify({
                type: 'drill',
                drillId,
                userId,
                denials,
                sentAt: new Date(sent.sentAt).toISOString(),
                outcome: outcome.kind,
                recordedAfterMs: recordedAfter,
                plannedAfterMs: plannedAfter ?? null,
                seenAfterMs: seenAfter,
                notice: notice?.status ?? null,
                incident: view,
            })}\n`,
        );
    } else {
        await write(
            io.stdout,
            [
                `${!incident.drill ? 'NOT A DRILL: incident' : outcome.kind === 'opened' ? 'Drill incident' : 'The drill joined open incident'} ${incident.id}` +
                    ` (containment ${view.containment ?? 'not configured'}).`,
                `  recorded ${seconds(recordedAfter)} after sending (the responder's clock)`,
                `  containment planned ${plannedAfter === undefined ? 'never (containment is not configured)' : `${seconds(plannedAfter)} after sending`}`,
                `  seen here ${seconds(seenAfter)} after sending`,
                `  notice to the SOC: ${notice ? notice.status : 'none'}`,
                '',
            ].join('\n'),
        );
    }
    if (!incident.drill) {
        await say(
            // Not expected (the app refuses drill records of users it does not list, and never mixes drill and real
            // prompts), so said as what it is: a real incident holding the drill's records, to look at and release.
            `mfa-responder: the incident holding this drill's records is NOT a drill (containment: ${view.containment ?? 'none'}). ` +
                `Check the app's DRILL_USER_IDS and its version; if the canary was contained, release it: mfa-responder release ${userId} --reason "drill"`,
        );
        return 1;
    }
    if (outcome.kind === 'joined') {
        await say('mfa-responder: the drill joined an incident that was already open; run it again after the window.');
        return 1;
    }
    return 0;
}
