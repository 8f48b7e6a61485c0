/**
 * What an error message may keep. A service's error text can echo what it was sent (a request body with a generated
 * password, a URL with its signature), and the responder stores, logs and notifies error messages. So every message
 * that leaves the process is passed through `redactSecrets` first: one line, bounded, with request bodies and
 * anything shaped like a secret replaced by `[redacted]`.
 */

const REDACTED = '[redacted]';

/** JSON or form keys whose values are secrets (password, passwordProfile, client_secret, sig, token, ...). */
const SECRET_KEY = String.raw`(?:password\w*|passwd|pwd|secret\w*|client_secret|\w*token|sig|signature|apikey|api_key|authorization|credentials?|sas)`;
const SECRET_PAIR = new RegExp(
    String.raw`(["']?\b${SECRET_KEY}["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\{[^}]*\}|[^\s,;&}"']+)`,
    'gi',
);
/** `code=…` and `key=…` as a query or form carries them (function keys, OAuth codes); not "error code: 403". */
const CODE_OR_KEY = /\b((?:code|key)=)[^\s&"']+/gi;
/** A JSON object or array that holds at least one quoted key: a request or response body. */
const JSON_BODY = /\{[^{}]*"[^"]*"\s*:[^{}]*(?:\{[^{}]*\}[^{}]*)*\}/g;
/** The query of a URL (signatures, codes, SAS tokens live there). */
const URL_QUERY = /(https?:\/\/[^\s?#"'<>]+)\?[^\s"'<>]*/gi;
const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A run of 12 or more characters without spaces that holds a digit and mixes at least three of lower case, upper
 * case, digits and symbols, and is not a GUID, a time or a path: the shape of a generated password, a key or a token
 * (error codes such as Authorization_RequestDenied hold no digit; AADSTS50020 holds two classes).
 */
function secretShaped(word: string): boolean {
    if (word.length < 12 || !/\d/.test(word) || GUID.test(word)) return false;
    if (/^\d{4}-\d\d-\d\dT/.test(word) || /^[\w.-]*\/[\w./-]*$/.test(word)) return false;
    const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((c) => c.test(word)).length;
    return classes >= 3;
}

/** A word as it may stay: a URL keeps its host and the path segments that are not secret-shaped (a key in a path). */
function redactWord(word: string): string {
    if (/^https?:\/\//i.test(word)) {
        const [scheme, , host, ...path] = word.split('/');
        return [scheme, '', host, ...path.map((p) => (secretShaped(p) ? REDACTED : p))].join('/');
    }
    return secretShaped(word.replace(/^[("'[]+|[)"'\].,;:]+$/g, '')) ? REDACTED : word;
}

/**
 * The message as it may be stored, logged and notified: without request bodies, URL queries, bearer tokens, JWTs,
 * values of secret-named keys, secret-shaped words, or any of `known` (values the caller knows it sent, such as a
 * generated password); on one line of at most `max` characters.
 */
export function redactSecrets(message: string, max = 300, known: readonly string[] = []): string {
    let text = message;
    for (const k of known) if (k) text = text.split(k).join(REDACTED);
    text = text
        .replace(URL_QUERY, (_, base: string) => `${base}?${REDACTED}`)
        .replace(BEARER, (_, scheme: string) => `${scheme} ${REDACTED}`)
        .replace(SECRET_PAIR, (_, key: string) => `${key}${REDACTED}`)
        .replace(CODE_OR_KEY, (_, key: string) => `${key}${REDACTED}`)
        .replace(JSON_BODY, '{…}')
        .replace(JWT, REDACTED)
        .split(/(\s+)/)
        .map(redactWord)
        .join('')
        .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ')
        .replace(/ {2,}/g, ' ')
        .trim();
    const chars = Array.from(text);
    return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
