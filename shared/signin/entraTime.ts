/** Time texts longer than this, in UTF-16 units, are not read as times (Entra's are far shorter). */
export const MAX_TIME_TEXT = 64;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const US_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ?([AP]M))?$/i;

/** Date.parse and Date.UTC roll 2024-02-30 over to March; a date that rolls over was never valid. */
function isRealDate(y: number, mo: number, d: number): boolean {
    if (mo < 1 || mo > 12 || d < 1) return false;
    const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    const days = mo === 2 ? (leap ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
    return d <= days;
}

const digits = (s: string, from: number, to: number): number => {
    let n = 0;
    for (let i = from; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 48);
    return n;
};

/**
 * Parses Entra's time strings to ms. ISO 8601 with up to 7 fractional digits (JavaScript keeps 3) and, because
 * Elastic's fixtures show it on the top-level `time`, the US form "11/14/2025 1:48:53 AM" (read as UTC). A time
 * without a zone is UTC, as Entra writes it.
 */
export function parseEntraTime(text: string): number | undefined {
    if (text.length > MAX_TIME_TEXT) return undefined;
    const s = text.trim();
    if (ISO_TIME.test(s)) {
        if (!isRealDate(digits(s, 0, 4), digits(s, 5, 7), digits(s, 8, 10))) return undefined;
        const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(s);
        const ms = Date.parse(hasZone ? s : `${s}Z`);
        return Number.isFinite(ms) ? ms : undefined;
    }
    const us = US_TIME.exec(s);
    if (us) {
        const [, mo, d, y, h, mi, sec, ampm] = us;
        let hour = Number(h);
        if (ampm) {
            if (hour < 1 || hour > 12) return undefined;
            hour = (hour % 12) + (ampm.toUpperCase() === 'PM' ? 12 : 0);
        }
        if (!isRealDate(Number(y), Number(mo), Number(d)) || hour > 23 || Number(mi) > 59 || Number(sec) > 59)
            return undefined;
        return Date.UTC(Number(y), Number(mo) - 1, Number(d), hour, Number(mi), Number(sec));
    }
    return undefined;
}
