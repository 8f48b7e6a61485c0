import type { TokenCredential } from '@azure/identity';

import { overallStatus } from '../../shared/health/check';
import { CHECKS, createHealthContext, HealthOptions, runChecks } from '../../shared/health/runChecks';
import { createRuntime } from '../../shared/runtime';
import type { CommandSpec } from '../commandSpec';
import { booleanFlag, GUID, parseFlags, stringFlag } from '../flags';
import { CliIO, UsageError, write } from '../io';
import { ndjsonLine } from '../report';
import { checkSignedIn, SIGN_IN_TIMEOUT_MS } from '../signedIn';
import { formatTable } from './doctorTable';

type Env = Readonly<Record<string, string | undefined>>;

interface DoctorOptions {
    readonly json: boolean;
    /** The app's managed identity, lower case, as --app-client-id, AZURE_CLIENT_ID or RESPONDER_CLIENT_ID name it. */
    readonly appClientId?: string;
    readonly armEndpoint?: string;
    /** Each read's time limit, ms. */
    readonly timeoutMs?: number;
}

export const DOCTOR_SPEC: CommandSpec = {
    name: 'doctor',
    summary:
        'Check the whole chain: settings, state table, Graph permissions, push block, diagnostic setting, sign-ins, lag.',
    flags: {
        json: { type: 'boolean', default: false, help: 'NDJSON: one line per finding' },
        'app-client-id': { type: 'string', value: 'ID', help: "the client id of the app's managed identity" },
        'arm-endpoint': { type: 'string', value: 'URL', help: 'Azure Resource Manager (default the public cloud)' },
        timeout: { type: 'string', value: 'S', help: 'seconds each read may take (default 15)' },
    },
    examples: ['az login && mfa-responder doctor', `mfa-responder doctor --json | jq -c 'select(.status != "ok")'`],
    notes: ['Exit 0 when no check failed, 1 when one did, 77 when not signed in.'],
};

function parseDoctorArgs(args: string[], env: Env): DoctorOptions {
    const { values: flags } = parseFlags(DOCTOR_SPEC, args);
    const values = {
        json: booleanFlag(flags, 'json'),
        'app-client-id': stringFlag(flags, 'app-client-id'),
        'arm-endpoint': stringFlag(flags, 'arm-endpoint'),
        timeout: stringFlag(flags, 'timeout'),
    };
    const appClientId = values['app-client-id'] ?? env.AZURE_CLIENT_ID ?? env.RESPONDER_CLIENT_ID;
    if (appClientId !== undefined && !GUID.test(appClientId.trim())) {
        throw new UsageError(
            `--app-client-id needs the client id (a GUID) of the app's managed identity, not "${appClientId}"`,
            'doctor',
        );
    }
    if (values['arm-endpoint'] !== undefined && !/^https:\/\/[^/\s]+\/?$/.test(values['arm-endpoint'])) {
        throw new UsageError(`--arm-endpoint needs an https URL such as https://management.azure.com`, 'doctor');
    }
    if (values.timeout !== undefined && !/^\d{1,3}$/.test(values.timeout)) {
        throw new UsageError('--timeout needs a number of seconds (each read), such as 15', 'doctor');
    }
    return {
        json: values.json,
        ...(appClientId ? { appClientId: appClientId.trim().toLowerCase() } : {}),
        ...(values['arm-endpoint'] ? { armEndpoint: values['arm-endpoint'].replace(/\/$/, '') } : {}),
        ...(values.timeout ? { timeoutMs: Math.max(1, Number(values.timeout)) * 1000 } : {}),
    };
}

/**
 * `doctor`: every check of the chain, as the operator's sign-in (DefaultAzureCredential) or, with AZURE_CLIENT_ID,
 * the app's identity: the runtime's credential choice. Exit 0 when nothing failed, 1 otherwise.
 */
export async function doctorCommand(
    args: string[],
    io: CliIO,
    credential?: TokenCredential,
    health: Pick<HealthOptions, 'now'> = {},
): Promise<number> {
    const { json, ...checked } = parseDoctorArgs(args, io.env);
    const runtime = createRuntime({ env: io.env, ...(credential ? { credential } : {}) });
    // Every check reads as this sign-in: without one, say so at once rather than once per check after its retries.
    await checkSignedIn(
        runtime.credential,
        `${runtime.graphConfig.baseUrl}/.default`,
        Math.min(SIGN_IN_TIMEOUT_MS, checked.timeoutMs ?? SIGN_IN_TIMEOUT_MS),
    );
    const ctx = createHealthContext({
        env: io.env,
        runtime,
        // The runtime signs in as the app's managed identity when AZURE_CLIENT_ID is set (chooseCredential).
        asApp: !credential && Boolean(io.env.AZURE_CLIENT_ID?.trim()),
        ...checked,
        ...health,
    });
    const findings = await runChecks(CHECKS, ctx);
    if (json) {
        for (const f of findings) await write(io.stdout, ndjsonLine(f));
    } else {
        const columns = (io.stdout as { columns?: number }).columns ?? 120;
        await write(io.stdout, formatTable(findings, columns));
    }
    return overallStatus(findings) === 'failed' ? 1 : 0;
}
