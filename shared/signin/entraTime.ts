/** Time texts longer than this, in UTF-16 units, are not read as times (Entra's are far shorter). */
export const MAX_TIME_TEXT = 64;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
/**
 * Month/day/year times: Elastic's fixtures' "11/14/2025 1:48:53 AM", Log Analytics' "Export to CSV"
 * "2/25/2025, 9:19:25.391 AM" (a comma, milliseconds, UTC), and .NET's general format with a zone,
 * "1/9/2007 10:41:00 AM +01:00".
 */
const US_TIME =
    /^(\d{1,2})\/(\d{1,2})\/(\d{4}),? (\d{1,2}):(\d{2}):(\d{2})(\.\d{1,9})?(?: ?([AP]M))?(?: ?(Z|[+-]\d{2}:?\d{2}))?$/i;

/** A zone's offset in ms: "+01:00" is 3,600,000; "Z" or none is 0. */
function offsetMs(zone: string | undefined): number | undefined {
    if (zone === undefined || /^z$/i.test(zone)) return 0;
    const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    if (!m || Number(m[2]) > 14 || Number(m[3]) > 59) return undefined;
    return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}

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
 * Parses Entra's time strings to ms. ISO 8601 with up to 7 fractional digits (JavaScript keeps 3) and the
 * month/day/year forms above (Elastic's fixtures show one on the top-level `time`). A time without a zone is UTC, as
 * Entra and Log Analytics' exports write it.
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
        const [, mo, d, y, h, mi, sec, fraction, ampm, zone] = us;
        const offset = offsetMs(zone);
        if (offset === undefined) return undefined;
        let hour = Number(h);
        if (ampm) {
            if (hour < 1 || hour > 12) return undefined;
            hour = (hour % 12) + (ampm.toUpperCase() === 'PM' ? 12 : 0);
        }
        if (!isRealDate(Number(y), Number(mo), Number(d)) || hour > 23 || Number(mi) > 59 || Number(sec) > 59)
            return undefined;
        const ms = fraction ? Math.floor(Number(`0${fraction}`) * 1000) : 0;
        return Date.UTC(Number(y), Number(mo) - 1, Number(d), hour, Number(mi), Number(sec), ms) - offset;
    }
    return undefined;
}
