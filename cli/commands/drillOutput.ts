import { IncidentView, incidentView } from '../../shared/notices/incidentView';
import type { DrillOutcome } from '../../shared/drill/awaitDrill';
import { CliIO, write } from '../io';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A drill the hub took. */
export interface SentDrillEpisode {
    readonly drillId: string;
    readonly userId: string;
    readonly denials: number;
    /** Wall clock just before the send, ms: every time below is counted from it. */
    readonly sentAt: number;
}

/** What the drill measured, as both outputs say it. */
export interface DrillReport {
    readonly outcome: DrillOutcome;
    readonly view: IncidentView;
    readonly recordedAfterMs: number;
    /** Undefined when containment is not configured. */
    readonly plannedAfterMs: number | undefined;
    readonly seenAfterMs: number;
    /** The status of the incident's notice to the SOC, if it has one. */
    readonly notice: string | undefined;
}

export function drillReport(sent: SentDrillEpisode, outcome: DrillOutcome, seenAt: number): DrillReport {
    const { incident, containment } = outcome.found;
    return {
        outcome,
        view: incidentView(incident, containment),
        recordedAfterMs: incident.recordedAt - sent.sentAt,
        plannedAfterMs: containment ? containment.plannedAt - sent.sentAt : undefined,
        seenAfterMs: seenAt - sent.sentAt,
        notice: containment?.notices.find((n) => n.kind === 'incident')?.status,
    };
}

/** The line a person sees once the hub took the drill (`--json` says it all at the end instead). */
export async function printSent(io: CliIO, sent: SentDrillEpisode, hubName: string): Promise<void> {
    await write(
        io.stdout,
        `Sent drill ${sent.drillId}: ${sent.denials} declined pushes for ${sent.userId} to ${hubName} at ${new Date(sent.sentAt).toISOString()}.\n`,
    );
}

/** `--no-wait --json`: the drill as sent. */
export async function printNotWaited(io: CliIO, sent: SentDrillEpisode): Promise<void> {
    const { drillId, userId, denials } = sent;
    await write(
        io.stdout,
        `${JSON.stringify({ type: 'drill', drillId, userId, denials, sentAt: new Date(sent.sentAt).toISOString(), waited: false })}\n`,
    );
}

function drillJson(sent: SentDrillEpisode, r: DrillReport): string {
    return `${JSON.stringify({
        type: 'drill',
        drillId: sent.drillId,
        userId: sent.userId,
        denials: sent.denials,
        sentAt: new Date(sent.sentAt).toISOString(),
        outcome: r.outcome.kind,
        recordedAfterMs: r.recordedAfterMs,
        plannedAfterMs: r.plannedAfterMs ?? null,
        seenAfterMs: r.seenAfterMs,
        notice: r.notice ?? null,
        incident: r.view,
    })}\n`;
}

function drillText(r: DrillReport): string {
    const { incident } = r.outcome.found;
    return [
        `${!incident.drill ? 'NOT A DRILL: incident' : r.outcome.kind === 'opened' ? 'Drill incident' : 'The drill joined open incident'} ${incident.id}` +
            ` (containment ${r.view.containment ?? 'not configured'}).`,
        `  recorded ${seconds(r.recordedAfterMs)} after sending (the responder's clock)`,
        `  containment planned ${r.plannedAfterMs === undefined ? 'never (containment is not configured)' : `${seconds(r.plannedAfterMs)} after sending`}`,
        `  seen here ${seconds(r.seenAfterMs)} after sending`,
        `  notice to the SOC: ${r.notice ?? 'none'}`,
        '',
    ].join('\n');
}

/** The drill's incident and its times: one JSON line, or a few lines for a person. */
export async function printDrillReport(
    io: CliIO,
    json: boolean,
    sent: SentDrillEpisode,
    r: DrillReport,
): Promise<void> {
    await write(io.stdout, json ? drillJson(sent, r) : drillText(r));
}
