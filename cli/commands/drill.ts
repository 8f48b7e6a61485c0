import type { TokenCredential } from '@azure/identity';

import { awaitDrill, DrillOutcome, findDrillOutcome, openEpisode, loadUserRow } from '../../shared/drill/awaitDrill';
import {
    drillMessages,
    drillRecordIds,
    drillRecords,
    drillSpacingMs,
    newDrillId,
} from '../../shared/drill/drillRecords';
import { sendDrill } from '../../shared/drill/sendDrill';
import { describeFailure } from '../../shared/health/context';
import { createRuntime, Runtime } from '../../shared/runtime';
import { GUID } from '../flags';
import { CliIO, write } from '../io';
import { checkSignedIn, SIGN_IN_TIMEOUT_MS } from '../signedIn';
import { CanaryBusyError, DrillFailedError, NotACanaryError } from './drillErrors';
import { DrillOptions, drillOptions, parseDrillArgs } from './drillOptions';
import { drillReport, printDrillReport, printNotWaited, printSent, SentDrillEpisode } from './drillOutput';

/** How long to wait, after the incident shows, for its notice to the SOC to be sent. */
const NOTICE_WAIT_MS = 10_000;

/** The canary's object id: a GUID as given, a UPN looked up in Graph with the operator's sign-in. */
async function resolveCanary(rt: Runtime, who: string): Promise<string> {
    const userId = GUID.test(who)
        ? who.toLowerCase()
        : who.includes('@')
          ? await rt.graphReads().userIdByUpn(who)
          : undefined;
    if (!userId) throw new NotACanaryError(`no user with UPN ${who}: pass the canary's object id`);
    if (!rt.detection.drillUsers.has(userId)) {
        throw new NotACanaryError(
            `refused: ${who}${who === userId ? '' : ` (${userId})`} is not a canary. A drill runs only against ` +
                'accounts listed in DRILL_USER_IDS, in the function app’s settings and in this environment (the app refuses ' +
                'drill records for anyone it does not list).',
        );
    }
    return userId;
}

/** A drill within the window of an open incident of the canary would join it and open nothing: refused. */
async function checkCanaryFree(
    rt: Runtime,
    userId: string,
    options: { windowMs: number; now: number; noWait: boolean },
    io: CliIO,
): Promise<void> {
    const { windowMs } = options;
    try {
        const open = openEpisode(await loadUserRow(rt.store, userId), options.now, windowMs);
        if (open) {
            const until = new Date(open.incident.lastSeen + windowMs).toISOString();
            throw new CanaryBusyError(
                `the canary has incident ${open.incident.id} open until ${until} (DENIAL_WINDOW_MINUTES after its last prompt): a drill now would join it and open nothing. Run it after ${until}.`,
            );
        }
    } catch (e) {
        if (e instanceof CanaryBusyError) throw e;
        const why = describeFailure((e as Error).cause ?? e);
        if (!options.noWait) {
            throw new DrillFailedError(
                `cannot read the canary's state in the state table (${why.message})${why.kind === 'refused' ? ': your sign-in needs Storage Table Data Reader on it' : ''}. Check the STATE_TABLE_* settings, or send with --no-wait and watch the function's logs.`,
            );
        }
        await write(io.stderr, `warning: could not read the canary's state (${why.message}); sending anyway\n`);
    }
}

/** Sends the episode through the hub; the records sent, to recognise them in the canary's row. */
async function sendEpisode(
    rt: Runtime,
    options: DrillOptions,
    episode: { userId: string; now: number },
): Promise<{ sent: SentDrillEpisode; recordIds: string[] }> {
    const { userId, now } = episode;
    const drillId = newDrillId(now);
    const { denials } = options;
    const spacingMs = drillSpacingMs(denials, rt.detection.policy.windowMs);
    const records = drillRecords({ drillId, userId, denials, at: now, spacingMs });
    const credential = () => rt.credential;
    try {
        const { sentAt } = await sendDrill(options.hub, drillMessages(records), {
            drillId,
            credential,
            timeoutMs: 30_000,
        });
        return { sent: { drillId, userId, denials, sentAt }, recordIds: drillRecordIds(records) };
    } catch (e) {
        const why = describeFailure(e);
        throw new DrillFailedError(
            `the hub did not take the drill (${why.message}). ` +
                (why.kind === 'refused'
                    ? 'Your sign-in needs Azure Event Hubs Data Sender on the hub (the deployment grants it to drillSenderPrincipalId).'
                    : why.kind === 'signed-out'
                      ? 'Sign in with az login first.'
                      : 'Check EventHubConnection__fullyQualifiedNamespace and EVENTHUB_NAME, and the namespace network rules.'),
        );
    }
}

/** Waits for the responder to record the drill's incident, then a few seconds more for its notice to the SOC. */
async function awaitOutcome(
    rt: Runtime,
    sent: SentDrillEpisode,
    recordIds: readonly string[],
    timeoutMs: number,
): Promise<{ outcome: DrillOutcome; seenAt: number }> {
    const { drillId, userId } = sent;
    const seen = await awaitDrill(rt.store, userId, { drillId, recordIds }, { deadline: sent.sentAt + timeoutMs });
    if (!seen.outcome) {
        throw new DrillFailedError(
            `no drill incident for ${userId} within ${timeoutMs / 1000} s. The records reached the hub; check ` +
                'that the function reads it (mfa-responder doctor: "Sign-ins arriving", "Responder keeps up"), that the app’s ' +
                `DRILL_USER_IDS lists ${userId} (it refuses anyone else's drill records: "Rejected … as drill-refused" in the ` +
                'function\'s logs), and the "Sign-in batch:" lines.' +
                (seen.lastError ? ` The state table could not be read either: ${seen.lastError.message}` : ''),
        );
    }
    let outcome = seen.outcome;
    // The SOC notice goes out just after the incident is stored: give it a few seconds to say how it went.
    const noticeDeadline = Math.min(sent.sentAt + timeoutMs, Date.now() + NOTICE_WAIT_MS);
    while (outcome.found.containment?.notices.some((n) => n.kind === 'incident' && n.status === 'pending')) {
        if (Date.now() >= noticeDeadline) break;
        await new Promise((r) => setTimeout(r, 500));
        const again = await loadUserRow(rt.store, userId).catch(() => undefined);
        const found = again && findDrillOutcome(again, drillId, recordIds);
        if (found) outcome = found;
    }
    return { outcome, seenAt: seen.seenAt };
}

/**
 * `drill --user <objectId|UPN>`: a synthetic push-bombing episode through the real hub, then the time until the
 * responder recorded its incident and planned its containment. Only for canary users listed in DRILL_USER_IDS; the
 * responder plans a drill as a dry-run whatever CONTAINMENT_MODE says.
 * Exit codes: 0 the drill incident was recorded (or sent, with --no-wait), 1 it did not appear in time or was not
 * taken as a drill, 2 bad usage or a user who is not a canary, 75 the canary has an incident still open (wait),
 * 78 bad setting.
 */
export async function drillCommand(args: string[], io: CliIO, credential?: TokenCredential): Promise<number> {
    const flags = parseDrillArgs(args);
    const rt = createRuntime({ env: io.env, ...(credential ? { credential } : {}) });
    const { policy } = rt.detection;
    const options = drillOptions(flags, policy.denialThreshold, io.env);
    await checkSignedIn(
        rt.credential,
        `${rt.graphConfig.baseUrl}/.default`,
        Math.min(SIGN_IN_TIMEOUT_MS, options.timeoutMs),
    );

    const userId = await resolveCanary(rt, options.who);
    const now = Date.now();
    await checkCanaryFree(rt, userId, { windowMs: policy.windowMs, now, noWait: options.noWait }, io);
    const { sent, recordIds } = await sendEpisode(rt, options, { userId, now });
    if (!options.json) await printSent(io, sent, `${options.hub.fullyQualifiedNamespace}/${options.hub.eventHubName}`);
    if (options.noWait) {
        if (options.json) await printNotWaited(io, sent);
        return 0;
    }

    const { outcome, seenAt } = await awaitOutcome(rt, sent, recordIds, options.timeoutMs);
    const report = drillReport(sent, outcome, seenAt);
    await printDrillReport(io, options.json, sent, report);
    if (!outcome.found.incident.drill) {
        // Not expected (the app refuses drill records of users it does not list, and never mixes drill and real
        // prompts), so said as what it is: a real incident holding the drill's records, to look at and release.
        throw new DrillFailedError(
            `the incident holding this drill's records is NOT a drill (containment: ${report.view.containment ?? 'none'}). ` +
                `Check the app's DRILL_USER_IDS and its version; if the canary was contained, release it: mfa-responder release ${userId} --reason "drill"`,
        );
    }
    if (outcome.kind === 'joined') {
        throw new DrillFailedError(
            'the drill joined an incident that was already open; run it again after the window.',
        );
    }
    return 0;
}
