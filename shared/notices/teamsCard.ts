import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { incidentView, IncidentView } from './incidentView';
import type { Containment, ContainmentStatus, NoticeKind } from '../containment/model';
import { noticeTitle, releaseAdvice, releaseCommandFor } from './noticeText';
import { address, singleLine } from '../singleLine';

/**
 * A notice as a Microsoft Teams message: an Adaptive Card 1.4 in the envelope the Workflows trigger "When a Teams
 * webhook request is received" expects (its template loops over `attachments`; a plain JSON body makes the flow fail).
 * Office 365 connectors are retired; Workflows renders cards up to version 1.4 and refuses messages over 28 KB.
 * https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
 *
 * Everything shown comes from the one incident view. Texts an attacker or Graph can choose (app names, step details,
 * error messages, reasons) are cut to a bound and cannot form Markdown links; the card is made smaller, level by
 * level, until the whole message fits TEAMS_MESSAGE_MAX_BYTES.
 */

/** The bytes a message may take: Teams refuses more than 28 KB; this leaves room for the flow's own wrapping. */
export const TEAMS_MESSAGE_MAX_BYTES = 26_000;

type Element = Record<string, unknown>;

interface Level {
    /** IP addresses and apps listed before "and N more". */
    readonly ips: number;
    readonly apps: number;
    /** Steps listed before "and N more". */
    readonly steps: number;
    /** Characters of any free text (a detail, an error, a reason). */
    readonly text: number;
}

/** From the full card to the least one; each later level is smaller in every bound. */
const LEVELS: readonly Level[] = [
    { ips: 32, apps: 10, steps: 20, text: 400 },
    { ips: 10, apps: 5, steps: 20, text: 200 },
    { ips: 5, apps: 3, steps: 10, text: 100 },
    { ips: 3, apps: 1, steps: 5, text: 60 },
];

/**
 * Cut to `max` characters (an ellipsis says so), on one line, with no Markdown link syntax and nothing hidden: control
 * and format characters (bidirectional overrides, zero-width) become spaces, as in every other output, since app and
 * device names are chosen by whoever registered them.
 */
export function plain(text: string, max: number): string {
    return singleLine(text.replace(/\[/g, '(').replace(/\]/g, ')'), max);
}

/** "a, b, c and 4 more". */
function listed(items: readonly string[], max: number, text: number, none = 'none'): string {
    if (items.length === 0) return none;
    const shown = items.slice(0, max).map((i) => plain(i, text));
    return items.length > max ? `${shown.join(', ')} and ${items.length - max} more` : shown.join(', ');
}

const STYLE: Record<ContainmentStatus, string> = {
    contained: 'good',
    'dry-run': 'accent',
    'not-contained': 'warning',
    'needs-attention': 'attention',
    released: 'emphasis',
    pending: 'warning',
    running: 'warning',
    retrying: 'warning',
};

const fact = (title: string, value: string) => ({ title, value });

function counts(v: IncidentView): string {
    const parts = [`${v.denials} declined`, `${v.timeouts} unanswered`, `${v.fraudReports} fraud report(s)`];
    if (v.voiceDenials) parts.push(`${v.voiceDenials} phone call(s) refused`);
    if (v.smsWrongCodes) parts.push(`${v.smsWrongCodes} wrong SMS code(s)`);
    return parts.join(', ');
}

function stepOutcome(step: Record<string, unknown>, text: number): string {
    const error = step.error as { status?: number; code: string; message: string } | undefined;
    const parts = [String(step.status)];
    if (typeof step.detail === 'string' && step.detail) parts.push(plain(step.detail, text));
    if (error) parts.push(plain(`${error.status ?? ''} ${error.code}: ${error.message}`.trim(), text));
    if (typeof step.attention === 'string' && step.attention)
        parts.push(`a person must: ${plain(step.attention, text)}`);
    return parts.join(' — ');
}

function card(
    inc: Incident,
    c: Containment | undefined,
    kind: NoticeKind,
    { release, advice }: { release: string | undefined; advice: string | undefined },
    level: Level,
) {
    const v = incidentView(inc, c);
    const title = plain(noticeTitle(inc, c, kind), 2 * level.text);
    const body: Element[] = [];
    if (v.drill) {
        body.push({
            type: 'Container',
            style: 'warning',
            bleed: true,
            items: [
                {
                    type: 'TextBlock',
                    text: 'DRILL — a rehearsal on a canary user; nothing was changed',
                    weight: 'Bolder',
                    wrap: true,
                },
            ],
        });
    }
    body.push({
        type: 'Container',
        style: v.containment ? STYLE[v.containment] : 'default',
        bleed: true,
        items: [
            { type: 'TextBlock', text: title, weight: 'Bolder', size: 'Large', wrap: true },
            {
                type: 'TextBlock',
                text: `Severity ${v.severity} · incident ${v.incidentId}`,
                isSubtle: true,
                spacing: 'None',
                wrap: true,
            },
        ],
    });
    const facts = [
        fact('User', plain(v.userPrincipalName ?? '(no UPN in the sign-in logs)', 300)),
        fact('Object ID', v.userId),
        fact('Trigger', v.trigger),
        fact('Prompts', counts(v)),
        fact('Between', `${v.firstSeen} and ${v.lastSeen}`),
        fact('Detected', v.detectedAt),
        fact(
            'IP addresses',
            listed(
                v.ipAddresses.map((a) => address(a)),
                level.ips,
                level.text,
                'unknown',
            ),
        ),
        fact('Apps', listed(v.apps, level.apps, level.text, 'unknown')),
    ];
    if (v.methods) facts.push(fact('Methods registered', listed(v.methods, level.apps, level.text)));
    if (v.approval) {
        facts.push(
            fact(
                'APPROVED',
                // An address only when it is one: a Markdown link in its place never reaches the card.
                `at ${v.approval.at} from ${address(v.approval.ipAddress)}${v.approval.fromDenialIp ? ' (an attacking IP)' : ''}`,
            ),
        );
    }
    facts.push(
        fact(
            'Containment',
            v.containment
                ? `${v.containment}${v.containmentMode && v.containmentMode !== v.containment ? ` (${v.containmentMode})` : ''}`
                : 'not configured',
        ),
    );
    if (v.containmentReason) facts.push(fact('Reason', plain(v.containmentReason, level.text)));
    if (c?.release) {
        facts.push(fact('Released by', plain(`${c.release.by}: ${c.release.reason}`, level.text)));
        facts.push(fact('Undone', plain(c.release.undo, level.text)));
    }
    body.push({ type: 'FactSet', facts });
    const steps = v.steps ?? [];
    if (steps.length > 0) {
        const shown = steps.slice(0, level.steps).map((s) => fact(String(s.name), stepOutcome(s, level.text)));
        if (steps.length > level.steps) shown.push(fact('…', `and ${steps.length - level.steps} more`));
        body.push({ type: 'TextBlock', text: 'Containment steps', weight: 'Bolder', wrap: true });
        body.push({ type: 'FactSet', facts: shown });
    }
    if (release) {
        body.push({ type: 'TextBlock', text: 'To release after verifying with the user:', wrap: true });
        body.push({ type: 'TextBlock', text: release, fontType: 'Monospace', wrap: true });
        if (advice) body.push({ type: 'TextBlock', text: advice, isSubtle: true, wrap: true });
    }
    return {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        fallbackText: title,
        body,
    };
}

/** The Workflows envelope around one Adaptive Card. */
function envelope(content: Record<string, unknown>): Record<string, unknown> {
    return {
        type: 'message',
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
    };
}

/** The least card: title, user, trigger and counts, for when nothing else fits (it always does: every field is cut). */
function leastCard(inc: Incident, c: Containment | undefined, kind: NoticeKind): Record<string, unknown> {
    const v = incidentView(inc, c, { detail: false });
    const title = plain(noticeTitle(inc, c, kind), 300);
    return {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        fallbackText: title,
        body: [
            { type: 'TextBlock', text: title, weight: 'Bolder', wrap: true },
            {
                type: 'FactSet',
                facts: [
                    fact('User', plain(v.userPrincipalName ?? v.userId, 300)),
                    fact('Trigger', v.trigger),
                    fact('Prompts', counts(v)),
                    fact('Incident', v.incidentId),
                ],
            },
        ],
    };
}

/**
 * The Teams message of a notice, within TEAMS_MESSAGE_MAX_BYTES whatever the incident holds (the least card's every
 * field is cut, so it always fits). `maxBytes` lets a test squeeze the ladder.
 */
export function teamsMessage(
    inc: Incident,
    c: Containment | undefined,
    kind: NoticeKind,
    config: Pick<ContainmentConfig, 'pushBlockMode'>,
    options: { readonly maxBytes?: number } = {},
): Record<string, unknown> {
    const maxBytes = options.maxBytes ?? TEAMS_MESSAGE_MAX_BYTES;
    const release = releaseCommandFor(inc, c);
    const advice = release ? releaseAdvice(c, config) : undefined;
    for (const level of LEVELS) {
        const message = envelope(card(inc, c, kind, { release, advice }, level));
        if (Buffer.byteLength(JSON.stringify(message)) <= maxBytes) return message;
    }
    return envelope(leastCard(inc, c, kind));
}
