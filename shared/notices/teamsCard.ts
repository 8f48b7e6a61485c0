import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { incidentView, IncidentView } from './incidentView';
import type { Containment, NoticeKind } from '../containment/model';
import {
    adaptiveCard,
    banner,
    CardElement,
    CardLevel,
    fact,
    fitCard,
    listed,
    openUrl,
    plain,
    textBlock,
} from './cardParts';
import { manualSteps } from './manualSteps';
import { noticeTitle, releaseAdvice, releaseCommandFor } from './noticeText';
import { entraAuthMethodsUrl, entraSignInLogsUrl, sentinelIncidentsUrl } from './portalLinks';
import { address } from '../singleLine';

export { plain, TEAMS_MESSAGE_MAX_BYTES } from './cardParts';

/**
 * A notice as a Microsoft Teams message: an Adaptive Card 1.4 an on-call analyst can act on. Its colour says how
 * urgent it is (an approval or a fraud report is attention whatever the containment did); its buttons open the
 * user's sign-in logs and authentication methods in the Entra admin center, the Sentinel incidents and the release
 * guide; a dry-run or needs-attention card lists what a person does by hand; times read as offsets from the attack's
 * start. Everything shown comes from the one incident view, every text an attacker or Graph chooses is cut and cannot
 * form a link, and the message fits Teams' 28 KB (./cardParts.ts).
 */

type CardConfig = Pick<ContainmentConfig, 'pushBlockMode' | 'pushBlockGroupId' | 'sentinelWorkspaceId' | 'runbookUrl'>;

/** Colour by urgency: a person must act now (approval, fraud report, needs-attention) or soon; a drill and a release apart. */
function urgencyStyle(v: IncidentView, kind: NoticeKind): string {
    if (v.drill) return 'accent';
    if (kind === 'released' || v.containment === 'released') return 'good';
    if (v.severity === 'High' || kind === 'approval' || kind === 'needs-attention') return 'attention';
    if (v.containment === 'needs-attention') return 'attention';
    return 'warning';
}

/** "+2 min 45 s" after `from`. */
function offset(ms: number, from: number): string {
    const s = Math.round((ms - from) / 1000);
    if (s <= 0) return 'the start';
    const m = Math.floor(s / 60);
    return `+${m > 0 ? `${m} min` : ''}${m > 0 && s % 60 ? ' ' : ''}${s % 60 || m === 0 ? `${s % 60} s` : ''}`;
}

const clock = (iso: string) => `${iso.slice(11, 19)} UTC`;

/** The prompts, zero counts left out. */
function counts(v: IncidentView): string {
    const parts = [
        [v.denials, 'declined'],
        [v.timeouts, 'unanswered'],
        [v.fraudReports, 'fraud report(s)'],
        [v.voiceDenials, 'phone call(s) refused'],
        [v.smsWrongCodes, 'wrong SMS code(s)'],
    ] as const;
    return (
        parts
            .filter(([n]) => n > 0)
            .map(([n, what]) => `${n} ${what}`)
            .join(', ') || 'none'
    );
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

function timeFacts(v: IncidentView): Array<{ title: string; value: string }> {
    const start = Date.parse(v.firstSeen);
    const at = (iso: string) => `${clock(iso)} (${offset(Date.parse(iso), start)})`;
    return [
        fact('Attack started', `${v.firstSeen.slice(0, 10)} ${clock(v.firstSeen)}`),
        fact('Detected', at(v.detectedAt)),
        fact('Last prompt', at(v.lastSeen)),
        ...(v.approval
            ? [
                  fact(
                      'APPROVED',
                      // An address only when it is one: a Markdown link in its place never reaches the card.
                      `${at(v.approval.at)} from ${address(v.approval.ipAddress)}${v.approval.fromDenialIp ? ' (an attacking IP)' : ''}`,
                  ),
              ]
            : []),
    ];
}

function facts(v: IncidentView, c: Containment | undefined, level: CardLevel): CardElement {
    const list = [
        fact('User', plain(v.userPrincipalName ?? '(no UPN in the sign-in logs)', 300)),
        fact('Object ID', v.userId),
        fact('Trigger', v.trigger),
        fact('Prompts', counts(v)),
        ...timeFacts(v),
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
    if (v.methods) list.push(fact('Methods registered', listed(v.methods, level.apps, level.text)));
    const mode = v.containmentMode && v.containmentMode !== v.containment ? ` (${v.containmentMode})` : '';
    list.push(fact('Containment', v.containment ? `${v.containment}${mode}` : 'not configured'));
    if (v.containmentReason) list.push(fact('Reason', plain(v.containmentReason, level.text)));
    if (c?.release) {
        list.push(fact('Released by', plain(`${c.release.by}: ${c.release.reason}`, level.text)));
        list.push(fact('Undone', plain(c.release.undo, level.text)));
    }
    return { type: 'FactSet', facts: list };
}

/** The bands at the top: DRILL or RELEASED when it is one, then the title in the colour of its urgency. */
function header(v: IncidentView, kind: NoticeKind, title: string): CardElement[] {
    const bands: CardElement[] = [];
    if (v.drill) {
        bands.push(
            banner('accent', [
                textBlock('DRILL — a rehearsal on a canary user; nothing was changed', { weight: 'Bolder' }),
            ]),
        );
    } else if (kind === 'released') {
        bands.push(banner('good', [textBlock('RELEASED — the push block is undone', { weight: 'Bolder' })]));
    }
    bands.push(
        banner(urgencyStyle(v, kind), [
            textBlock(title, { weight: 'Bolder', size: 'Large' }),
            textBlock(`Severity ${v.severity} · incident ${v.incidentId}`, { isSubtle: true, spacing: 'None' }),
        ]),
    );
    return bands;
}

/** What a person does next: the manual steps (dry-run, needs-attention), then the release command. */
function todo(inc: Incident, c: Containment | undefined, v: IncidentView, config: CardConfig, level: CardLevel) {
    const out: CardElement[] = [];
    const manual = manualSteps(inc, c, config, plain(v.userPrincipalName ?? v.userId, 200));
    if (manual.length > 0) {
        const why =
            c?.status === 'dry-run' ? 'dry-run: the responder changed nothing' : 'the responder could not finish';
        out.push(textBlock(`To do by hand (${why}):`, { weight: 'Bolder' }));
        const shown = manual.slice(0, level.steps).map((m, i) => textBlock(`${i + 1}. ${plain(m, 2 * level.text)}`));
        if (manual.length > level.steps) shown.push(textBlock(`and ${manual.length - level.steps} more`));
        out.push(...shown);
    }
    const release = releaseCommandFor(inc, c);
    if (release) {
        out.push(textBlock('To release after verifying with the user:'));
        out.push(textBlock(release, { fontType: 'Monospace' }));
        const advice = releaseAdvice(c, config);
        if (advice) out.push(textBlock(advice, { isSubtle: true }));
    }
    return out;
}

/** Buttons: the user's sign-in logs and methods, the Sentinel incidents and the release guide when configured. */
function actions(v: IncidentView, config: CardConfig): CardElement[] {
    return [
        openUrl('Sign-in logs', entraSignInLogsUrl(v.userId)),
        openUrl('Authentication methods', entraAuthMethodsUrl(v.userId)),
        ...(config.sentinelWorkspaceId
            ? [openUrl('Sentinel incidents', sentinelIncidentsUrl(config.sentinelWorkspaceId))]
            : []),
        ...(config.runbookUrl ? [openUrl('How to release', config.runbookUrl)] : []),
    ];
}

function card(inc: Incident, c: Containment | undefined, kind: NoticeKind, config: CardConfig, level: CardLevel) {
    const v = incidentView(inc, c);
    const title = plain(noticeTitle(inc, c, kind), 2 * level.text);
    const body: CardElement[] = [...header(v, kind, title), facts(v, c, level)];
    const steps = v.steps ?? [];
    if (steps.length > 0) {
        const shown = steps.slice(0, level.steps).map((s) => fact(String(s.name), stepOutcome(s, level.text)));
        if (steps.length > level.steps) shown.push(fact('…', `and ${steps.length - level.steps} more`));
        body.push(textBlock('Containment steps', { weight: 'Bolder' }));
        body.push({ type: 'FactSet', facts: shown });
    }
    body.push(...todo(inc, c, v, config, level));
    return adaptiveCard(body, actions(v, config), title);
}

/** The least card: title, user, trigger and counts, for when nothing else fits (it always does: every field is cut). */
function leastCard(inc: Incident, c: Containment | undefined, kind: NoticeKind, config: CardConfig) {
    const v = incidentView(inc, c, { detail: false });
    const title = plain(noticeTitle(inc, c, kind), 300);
    return adaptiveCard(
        [
            banner(urgencyStyle(v, kind), [textBlock(title, { weight: 'Bolder' })]),
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
        actions(v, config),
        title,
    );
}

/**
 * The Teams message of a notice, within TEAMS_MESSAGE_MAX_BYTES whatever the incident holds (the least card's every
 * field is cut, so it always fits). `maxBytes` lets a test squeeze the ladder.
 */
export function teamsMessage(
    inc: Incident,
    c: Containment | undefined,
    kind: NoticeKind,
    config: CardConfig,
    options: { readonly maxBytes?: number } = {},
): Record<string, unknown> {
    return fitCard(
        (level) => card(inc, c, kind, config, level),
        () => leastCard(inc, c, kind, config),
        options.maxBytes,
    );
}
