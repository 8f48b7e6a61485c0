import type { Prompt, UserState } from './userState';

/** Forgets prompts (retention, caps, size budget); an incident that loses one keeps its counters as they are. */
export function forgetPrompts(state: UserState, keep: (p: Prompt, index: number) => boolean): number {
    const kept: Prompt[] = [];
    let forgotten = 0;
    state.prompts.forEach((p, i) => {
        if (keep(p, i)) {
            kept.push(p);
            return;
        }
        forgotten++;
        if (p.incidentId === undefined) return;
        const inc = state.incidents.find((x) => x.id === p.incidentId);
        if (inc) inc.partial = true;
    });
    state.prompts = kept;
    return forgotten;
}
