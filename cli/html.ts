/**
 * A tiny HTML builder that escapes by default: every value interpolated into `markup`...`` is escaped as text,
 * unless it is itself built by `markup` (or a list of such). (Not named `html`: Prettier would reformat the
 * templates as HTML, whitespace and all.) Attacker-chosen strings (app names, UPNs, addresses) can then
 * only ever be text, whatever context they land in, because they are never concatenated into markup by hand.
 */
export class Html {
    constructor(readonly text: string) {}
}

const ENTITIES: Readonly<Record<string, string>> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&#39;',
};

/**
 * Characters that reorder or hide text when displayed (bidirectional overrides and isolates, zero-width marks):
 * an attacker could make "evil.com" read as "moc.live". Shown as a visible replacement character instead.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it removes
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(value: string): string {
    return value.replace(INVISIBLE, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
    if (value instanceof Html) return value.text;
    if (typeof value === 'string') return escapeHtml(value);
    if (typeof value === 'number' || value === true) return escapeHtml(String(value));
    if (value === null || value === undefined || value === false) return '';
    return value.map(render).join('');
}

export function markup(strings: TemplateStringsArray, ...values: Value[]): Html {
    let out = strings[0]!;
    for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
    return new Html(out);
}
