import { IncidentView, incidentViews } from '../../shared/notices/incidentView';
import { listIncidents } from '../../shared/userRow/listIncidents';
import { parseFlags } from '../flags';
import { CliIO, write } from '../io';
import { adminRuntime } from '../adminRuntime';
import { ndjsonLine } from '../report';
import { singleLine } from '../../shared/singleLine';

interface IncidentsOptions {
    readonly openOnly: boolean;
    readonly json: boolean;
}

function parseIncidentsArgs(args: string[]): IncidentsOptions {
    const { values } = parseFlags({
        args,
        options: { open: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    });
    return { openOnly: values.open, json: values.json };
}

/** One incident on one line, for a terminal: the UPN and the reason through the output rule. */
function incidentLine(inc: IncidentView): string {
    return (
        `${inc.recordedAt}  ${singleLine(inc.userPrincipalName ?? inc.userId, 256)}  ${inc.trigger}  ${inc.denials} denied  ` +
        `containment: ${inc.containment ?? 'none'}${inc.containmentReason ? ` (${singleLine(inc.containmentReason, 1000)})` : ''}${inc.closedAt ? '  [closed]' : ''}  id ${inc.incidentId}\n`
    );
}

/** `incidents [--open] [--json]`: what the responder has seen, newest first. */
export async function incidentsCommand(args: string[], io: CliIO): Promise<number> {
    const options = parseIncidentsArgs(args);
    const rt = await adminRuntime(io);
    const listed = await listIncidents(rt.store, { openOnly: options.openOnly });
    const { unreadableRows } = listed;
    const incidents = incidentViews(listed.incidents);
    if (unreadableRows > 0) await write(io.stderr, `warning: ${unreadableRows} row(s) could not be read\n`);
    if (options.json) {
        for (const inc of incidents) await write(io.stdout, ndjsonLine(inc));
        return 0;
    }
    if (incidents.length === 0) await write(io.stdout, 'No incidents.\n');
    for (const inc of incidents) await write(io.stdout, incidentLine(inc));
    return 0;
}
