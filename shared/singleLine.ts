/** Bounds of who released a user and why, wherever the responder logs or stores them. */
export const MAX_NAME_LENGTH = 256;
export const MAX_REASON_LENGTH = 500;

/**
 * One line of at most `max` characters: control, format (bidirectional overrides, zero-width) and line or paragraph
 * separator characters become spaces, so that text from a caller can neither start a forged log line nor hide text.
 */
export function singleLine(text: string, max: number): string {
    const flat = text
        .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ')
        .replace(/ {2,}/g, ' ')
        .trim();
    const chars = Array.from(flat);
    return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}
