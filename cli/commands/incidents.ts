import type { IncidentView } from '../../shared/notices/incidentView';
import { listIncidents } from '../../shared/userRow/listIncidents';
import type { CommandSpec } from '../commandSpec';
import { booleanFlag, parseFlags } from '../flags';
import { CliIO, write } from '../io';
import { adminRuntime } from '../adminRuntime';
import { incidentJson, ndjsonLine } from '../report';
import { singleLine } from '../../shared/singleLine';

interface IncidentsOptions {
    readonly openOnly: boolean;
    readonly json: boolean;
}

export const INCIDENTS_SPEC: CommandSpec = {
    name: 'incidents',
    summary: 'List the incidents in the state table (STATE_TABLE_* settings), newest attack first.',
    flags: {
        open: { type: 'boolean', default: false, help: 'only the incidents not yet closed' },
        json: { type: 'boolean', default: false, help: 'NDJSON: one "type":"incident" line per incident' },
    },
    examples: ['mfa-responder incidents --open', 'mfa-responder incidents --json | jq -r .userPrincipalName'],
};

function parseIncidentsArgs(args: string[]): IncidentsOptions {
    const { values } = parseFlags(INCIDENTS_SPEC, args);
    return { openOnly: booleanFlag(values, 'open'), json: booleanFlag(values, 'json') };
}

const COLUMNS = ['ATTACK STARTED (UTC)', 'SEVERITY', 'STATE', 'USER', 'TRIGGER', 'DENIED', 'CONTAINMENT', 'INCIDENT'];

/**
 * One incident as a row of the table: the attack's time first, then how urgent, whether open, who and what. The UPN
 * and the reason come from records and services: through the output rule, so no cell can drive the terminal or break
 * the row.
 */
function incidentRow(inc: IncidentView): string[] {
    return [
        inc.firstSeen.slice(0, 19).replace('T', ' '),
        inc.severity,
        inc.closedAt ? 'closed' : 'open',
        singleLine(inc.userPrincipalName ?? inc.userId, 256),
        inc.trigger,
        String(inc.denials),
        `${inc.containment ?? 'none'}${inc.containmentReason ? ` (${singleLine(inc.containmentReason, 1000)})` : ''}`,
        inc.incidentId,
    ];
}

/** A table with a header row, columns padded to their widest cell (the last one left as it is). */
export function incidentTable(incidents: readonly IncidentView[]): string {
    const rows = [COLUMNS, ...incidents.map(incidentRow)];
    const widths = COLUMNS.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    return rows
        .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '))
        .join('\n');
}

/** `incidents [--open] [--json]`: what the responder has seen, the latest attack first. */
export async function incidentsCommand(args: string[], io: CliIO): Promise<number> {
    const options = parseIncidentsArgs(args);
    const rt = await adminRuntime(io);
    const listed = await listIncidents(rt.store, { openOnly: options.openOnly });
    const { unreadableRows } = listed;
    const incidents = [...listed.incidents].sort(
        (a, b) => b.incident.firstSeen - a.incident.firstSeen || a.incident.id.localeCompare(b.incident.id),
    );
    if (unreadableRows > 0) await write(io.stderr, `warning: ${unreadableRows} row(s) could not be read\n`);
    if (options.json) {
        for (const inc of incidents) await write(io.stdout, ndjsonLine(incidentJson(inc)));
        return 0;
    }
    if (incidents.length === 0) {
        await write(io.stdout, options.openOnly ? 'No open incidents.\n' : 'No incidents.\n');
        return 0;
    }
    const views = incidents.map((i) => incidentJson(i) as unknown as IncidentView);
    await write(io.stdout, `${incidentTable(views)}\n`);
    return 0;
}
