/** Steps a time axis may tick at: round minutes and hours, so that a label reads as a time a person would say. */
const STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * 60_000);

/**
 * Ticks at round times inside [from, to]: the smallest round step that gives at most `maxTicks` of them (a phone's
 * width fits about six labels). Times are UTC; a step of a day or more ticks at midnight.
 */
export function roundTicks(from: number, to: number, maxTicks = 6): { step: number; ticks: number[] } {
    const span = Math.max(1, to - from);
    const step = STEPS_MS.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / 86_400_000) * 86_400_000;
    const ticks: number[] = [];
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
    return { step, ticks };
}

/** A tick's label: HH:MM, with the day when the span crosses midnight. */
export function tickLabel(ms: number, withDate: boolean): string {
    const iso = new Date(ms).toISOString();
    return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}
