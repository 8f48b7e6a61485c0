import type { CheckStatus, Finding } from '../../shared/health/check';
import { singleLine } from '../../shared/singleLine';

const MARK: Record<CheckStatus, string> = { ok: 'ok', warning: 'warning', failed: 'FAILED' };

/** Breaks text into lines of at most `width` characters at spaces; a longer word gets a line of its own. */
function wrap(text: string, width: number): string[] {
    const lines: string[] = [];
    let line = '';
    for (const word of text.split(/\s+/).filter(Boolean)) {
        if (line && line.length + 1 + word.length > width) {
            lines.push(line);
            line = '';
        }
        // A word longer than the column (a URL, a command) stays whole, so that it can be copied.
        line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
    return lines.length > 0 ? lines : [''];
}

/**
 * The doctor's table: check, status, what is wrong (or what was seen) and how to fix it, wrapped to the terminal.
 */
export function formatTable(findings: readonly Finding[], columns = 120): string {
    const first = Math.min(34, Math.max(...findings.map((f) => f.title.length), 5));
    const second = 8;
    const rest = Math.max(30, columns - first - second - 4);
    const pad = (s: string, n: number) => s.padEnd(n);
    const out = [`${pad('CHECK', first)}  ${pad('STATUS', second)}  WHAT IS WRONG / HOW TO FIX`];
    for (const f of findings) {
        // A finding can name users and reasons from sign-in records: the output rule before the terminal.
        const titleLines = wrap(singleLine(f.title, 200), first);
        const text = [
            ...wrap(singleLine(f.detail, 4000), rest),
            ...(f.fix ? wrap(`fix: ${singleLine(f.fix, 4000)}`, rest) : []),
        ];
        for (let i = 0; i < Math.max(titleLines.length, text.length); i++) {
            out.push(
                `${pad(titleLines[i] ?? '', first)}  ${pad(i === 0 ? MARK[f.status] : '', second)}  ${text[i] ?? ''}`.trimEnd(),
            );
        }
    }
    const count = (s: CheckStatus) => findings.filter((f) => f.status === s).length;
    out.push('', `${count('ok')} ok, ${count('warning')} warning(s), ${count('failed')} failed`);
    return `${out.join('\n')}\n`;
}
