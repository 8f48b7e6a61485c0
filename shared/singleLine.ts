/**
 * The one output rule for text someone else chose (an attacker's app name, user agent, UPN or address; a caller's
 * release reason; a service's error message), wherever the responder shows it: logs, notices, Sentinel rows, the
 * admin endpoints and the terminal. Free text becomes one bounded line with nothing hidden (`singleLine`); JSON keeps
 * every character but escapes the ones a terminal or a log viewer would act on (`jsonLine`); an address is shown only
 * when it is one (`address`).
 */
import { isIP } from 'node:net';

/** Bounds of who released a user and why, wherever the responder logs or stores them. */
export const MAX_NAME_LENGTH = 256;
export const MAX_REASON_LENGTH = 500;

/**
 * What a terminal, a log viewer or a renderer acts on: C0 and C1 controls (ESC starts the CSI and OSC sequences that
 * clear a screen or write the clipboard; CR and LF forge a line), format characters (U+202E and the other
 * bidirectional overrides, zero-width characters), line and paragraph separators, and lone surrogates.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * One line of at most `max` characters: every unsafe character (above) becomes a space, so that text from someone
 * else can neither start a forged line, nor drive the terminal, nor hide or reorder what is shown.
 */
export function singleLine(text: string, max: number): string {
    const flat = text.replace(UNSAFE, ' ').replace(/ {2,}/g, ' ').trim();
    const chars = Array.from(flat);
    return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * A name shown as one word (a UPN in a log line an alert parses with `\S+`): the text when it is one word of at most
 * `max` characters with nothing unsafe and no space, else `fallback` (the user's object id).
 */
export function oneWord(text: string | null | undefined, fallback: string, max = 256): string {
    if (!text || Array.from(text).length > max) return fallback;
    return /^[^\s\p{C}\p{Z}]+$/u.test(text) ? text : fallback;
}

/**
 * JSON on one line with every unsafe character escaped as \uXXXX (JSON.stringify leaves U+202E, U+2028, U+0085 and
 * the like as they are): the value reads back exactly, and a terminal or log viewer shows escapes, nothing it acts on.
 */
export function jsonLine(value: unknown): string {
    return JSON.stringify(value).replace(UNSAFE, (ch) =>
        Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
    );
}

/**
 * An IP address (v4 or v6) as it may be shown: the address itself when it is one, else a placeholder. A record's
 * "address" is whatever the sender put there; a Markdown link or a forged line in its place never reaches a reader.
 */
export function address(text: string | null | undefined, none = 'an unknown IP'): string {
    if (text === null || text === undefined || text === '') return none;
    return isIP(text) ? text : '(not an IP address)';
}

/** Addresses as they may be shown, joined: each validated (address), or `none` for an empty list. */
export function addresses(list: readonly string[], none = 'unknown IPs'): string {
    return list.length === 0 ? none : list.map((a) => address(a)).join(', ');
}
