import { singleLine } from '../singleLine';

/**
 * The building blocks of every Teams message the responder posts (the incident card, and any other card): the
 * Workflows envelope around an Adaptive Card 1.4, texts that cannot form links or hide characters, facts, banners,
 * link buttons, and the ladder that makes a card smaller, level by level, until the message fits.
 * https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
 */

/** The bytes a message may take: Teams refuses more than 28 KB; this leaves room for the flow's own wrapping. */
export const TEAMS_MESSAGE_MAX_BYTES = 26_000;

export type CardElement = Record<string, unknown>;

/** One rung of the ladder: how much of each attacker-growable list and text a card shows. */
export interface CardLevel {
    /** IP addresses and apps listed before "and N more". */
    readonly ips: number;
    readonly apps: number;
    /** Steps listed before "and N more". */
    readonly steps: number;
    /** Characters of any free text (a detail, an error, a reason). */
    readonly text: number;
}

/** From the full card to the least one; each later level is smaller in every bound. */
export const CARD_LEVELS: readonly CardLevel[] = [
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
export function listed(items: readonly string[], max: number, text: number, none = 'none'): string {
    if (items.length === 0) return none;
    const shown = items.slice(0, max).map((i) => plain(i, text));
    return items.length > max ? `${shown.join(', ')} and ${items.length - max} more` : shown.join(', ');
}

export const fact = (title: string, value: string) => ({ title, value });

export const textBlock = (text: string, options: Record<string, unknown> = {}): CardElement => ({
    type: 'TextBlock',
    text,
    wrap: true,
    ...options,
});

/** A full-width coloured band: what kind of card this is, seen before anything is read. */
export function banner(style: string, items: readonly CardElement[]): CardElement {
    return { type: 'Container', style, bleed: true, items };
}

/** A button that opens a page (a portal blade, a runbook): https only, built by this code, never from log text. */
export function openUrl(title: string, url: string): CardElement {
    return { type: 'Action.OpenUrl', title, url };
}

export function adaptiveCard(body: readonly CardElement[], actions: readonly CardElement[], fallbackText: string) {
    return {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        fallbackText,
        body,
        ...(actions.length > 0 ? { actions } : {}),
    };
}

/** The Workflows envelope around one Adaptive Card (its template loops over `attachments`). */
export function teamsEnvelope(content: Record<string, unknown>): Record<string, unknown> {
    return {
        type: 'message',
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
    };
}

/**
 * The first card of the ladder whose message fits `maxBytes`, else the least card (whose every field is cut, so it
 * always fits).
 */
export function fitCard(
    build: (level: CardLevel) => Record<string, unknown>,
    least: () => Record<string, unknown>,
    maxBytes = TEAMS_MESSAGE_MAX_BYTES,
): Record<string, unknown> {
    for (const level of CARD_LEVELS) {
        const message = teamsEnvelope(build(level));
        if (Buffer.byteLength(JSON.stringify(message)) <= maxBytes) return message;
    }
    return teamsEnvelope(least());
}
