import { parseArgs } from 'node:util';

import type { TokenCredential } from '@azure/identity';

import { CheckStatus, Finding, overallStatus } from '../shared/health/check';
import { CHECKS, createHealthContext, HealthOptions, runChecks } from '../shared/health/runChecks';
import { createRuntime } from '../shared/runtime';
import { CliIO, UsageError, write } from './io';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
 * Exported for tests.
 */
export function formatTable(findings: readonly Finding[], columns = 120): string {
    const first = Math.min(34, Math.max(...findings.map((f) => f.title.length), 5));
    const second = 8;
    const rest = Math.max(30, columns - first - second - 4);
    const pad = (s: string, n: number) => s.padEnd(n);
    const out = [`${pad('CHECK', first)}  ${pad('STATUS', second)}  WHAT IS WRONG / HOW TO FIX`];
    for (const f of findings) {
        const titleLines = wrap(f.title, first);
        const text = [...wrap(f.detail, rest), ...(f.fix ? wrap(`fix: ${f.fix}`, rest) : [])];
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

/**
 * `doctor`: every check of the chain, as the operator's sign-in (DefaultAzureCredential) or, with AZURE_CLIENT_ID,
 * the app's identity: the runtime's credential choice. Exit 0 when nothing failed, 1 otherwise.
 */
export async function runDoctor(
    args: string[],
    io: CliIO,
    credential?: TokenCredential,
    health: Pick<HealthOptions, 'now'> = {},
): Promise<number> {
    const { values } = parseArgs({
        args,
        options: {
            json: { type: 'boolean', default: false },
            'app-client-id': { type: 'string' },
            'arm-endpoint': { type: 'string' },
            timeout: { type: 'string' },
        },
    });
    const appClientId = values['app-client-id'] ?? io.env.AZURE_CLIENT_ID ?? io.env.RESPONDER_CLIENT_ID;
    if (appClientId !== undefined && !GUID.test(appClientId.trim())) {
        throw new UsageError(
            `--app-client-id needs the client id (a GUID) of the app's managed identity, not "${appClientId}"`,
        );
    }
    if (values['arm-endpoint'] !== undefined && !/^https:\/\/[^/\s]+\/?$/.test(values['arm-endpoint'])) {
        throw new UsageError(`--arm-endpoint needs an https URL such as https://management.azure.com`);
    }
    if (values.timeout !== undefined && !/^\d{1,3}$/.test(values.timeout)) {
        throw new UsageError('--timeout needs a number of seconds (each read), such as 15');
    }
    const runtime = createRuntime({ env: io.env, ...(credential ? { credential } : {}) });
    const ctx = createHealthContext({
        env: io.env,
        runtime,
        // The runtime signs in as the app's managed identity when AZURE_CLIENT_ID is set (chooseCredential).
        asApp: !credential && Boolean(io.env.AZURE_CLIENT_ID?.trim()),
        ...(appClientId ? { appClientId: appClientId.trim().toLowerCase() } : {}),
        ...(values['arm-endpoint'] ? { armEndpoint: values['arm-endpoint'].replace(/\/$/, '') } : {}),
        ...(values.timeout ? { timeoutMs: Math.max(1, Number(values.timeout)) * 1000 } : {}),
        ...health,
    });
    const findings = await runChecks(CHECKS, ctx);
    if (values.json) {
        for (const f of findings) await write(io.stdout, `${JSON.stringify(f)}\n`);
    } else {
        const columns = (io.stdout as { columns?: number }).columns ?? 120;
        await write(io.stdout, formatTable(findings, columns));
    }
    return overallStatus(findings) === 'failed' ? 1 : 0;
}
