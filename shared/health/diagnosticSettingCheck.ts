import { z } from 'zod';

import { loadEventHubConfig } from '../settings/eventHub';
import { readSetting } from '../settings/readSetting';
import { Finding, ok, problem } from './check';
import { describeFailure, HealthContext, ReadFailure, HealthCheck } from './context';

/**
 * Is Entra streaming sign-ins to this hub? The tenant's diagnostic settings, read through Azure Resource Manager:
 * GET /providers/microsoft.aadiam/diagnosticSettings (api-version 2017-04-01; shape in Azure/azure-rest-api-specs,
 * specification/azureactivedirectory/resource-manager/Microsoft.Aadiam/stable/2017-04-01). ARM answers 403 to service
 * principals and managed identities on this API whatever their roles (Azure/azure-rest-api-specs#11085,
 * hashicorp/terraform-provider-azurerm#12986): with them the setting cannot be verified, which is not a failure.
 */
const TITLE = 'Entra diagnostic setting';
const CHECK = 'diagnostic-setting';
const API_VERSION = '2017-04-01';

const settingsList = z.object({
    value: z
        .array(
            z.object({
                name: z.string(),
                properties: z
                    .object({
                        eventHubAuthorizationRuleId: z.string().nullish(),
                        eventHubName: z.string().nullish(),
                        logs: z.array(z.object({ category: z.string(), enabled: z.boolean() })).nullish(),
                    })
                    .nullish(),
            }),
        )
        .default([]),
});
export type DiagnosticSettings = z.infer<typeof settingsList>['value'];

export interface DiagnosticReading {
    readonly namespace?: string;
    readonly eventHubName: string;
    readonly auditWanted: boolean;
    readonly settings?: DiagnosticSettings;
    readonly failure?: ReadFailure;
}

/** Azure Resource Manager of the cloud GRAPH_BASE_URL names (national clouds), unless given. */
export function armEndpointFor(graphBaseUrl: string): string | undefined {
    const host = new URL(graphBaseUrl).hostname;
    if (host === 'graph.microsoft.com' || host === 'canary.graph.microsoft.com') return 'https://management.azure.com';
    if (host === 'graph.microsoft.us' || host === 'dod-graph.microsoft.us')
        return 'https://management.usgovcloudapi.net';
    if (host === 'microsoftgraph.chinacloudapi.cn') return 'https://management.chinacloudapi.cn';
    return undefined;
}

export async function readDiagnosticSettings(ctx: HealthContext): Promise<DiagnosticReading> {
    const hub = loadEventHubConfig(ctx.env);
    // The namespace Entra sends to: the trigger's setting, else the emulator's host (which no setting can name).
    const fqns = readSetting(ctx.env, 'EventHubConnection__fullyQualifiedNamespace') ?? hub?.fullyQualifiedNamespace;
    const base = {
        ...(fqns ? { namespace: fqns.split('.')[0]! } : {}),
        eventHubName: hub?.eventHubName ?? 'entra-signins',
        auditWanted: ctx.runtime.detection.auditCategories.size > 0,
    };
    const arm = ctx.armEndpoint ?? armEndpointFor(ctx.runtime.graphConfig.baseUrl);
    if (!arm) throw new Error('no Azure Resource Manager endpoint is known for this cloud: pass --arm-endpoint');
    try {
        const token = await ctx.runtime.credential.getToken(`${arm}/.default`, {
            abortSignal: AbortSignal.timeout(ctx.timeoutMs),
        });
        const res = await fetch(`${arm}/providers/microsoft.aadiam/diagnosticSettings?api-version=${API_VERSION}`, {
            headers: { authorization: `Bearer ${token?.token ?? ''}` },
            signal: AbortSignal.timeout(ctx.timeoutMs),
        });
        const text = await res.text();
        if (!res.ok) {
            const code = /"code"\s*:\s*"([^"]+)"/.exec(text)?.[1];
            const message = /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? text.slice(0, 300);
            throw Object.assign(new Error(message), { statusCode: res.status, ...(code ? { code } : {}) });
        }
        return { ...base, settings: settingsList.parse(JSON.parse(text)).value };
    } catch (e) {
        return { ...base, failure: describeFailure(e) };
    }
}

export function evaluateDiagnosticSettings(r: DiagnosticReading): Finding[] {
    if (r.failure) {
        if (r.failure.kind === 'refused') {
            return [
                problem(
                    'warning',
                    CHECK,
                    TITLE,
                    `cannot verify: Azure Resource Manager refused to list the tenant's diagnostic settings (${r.failure.status ?? ''} ${r.failure.code ?? ''}); it refuses service principals and managed identities on this API whatever their roles`.replace(
                        /\( /,
                        '(',
                    ),
                    'Run the doctor signed in as a person (az login) who can open Entra ID > Monitoring > Diagnostic settings (Security Administrator or Global Administrator), or look there yourself.',
                ),
            ];
        }
        return [
            problem(
                'warning',
                CHECK,
                TITLE,
                `cannot verify: ${r.failure.message}`,
                'Check Entra ID > Monitoring > Diagnostic settings in the portal, or pass --arm-endpoint for a national cloud.',
            ),
        ];
    }
    if (!r.namespace) {
        return [
            problem(
                'warning',
                CHECK,
                TITLE,
                'cannot tell which hub to look for: EventHubConnection__fullyQualifiedNamespace is not set',
                'Set EventHubConnection__fullyQualifiedNamespace as in the app settings (<namespace>.servicebus.windows.net).',
            ),
        ];
    }
    const ns = r.namespace.toLowerCase();
    // One ARM call by a Security Administrator: no role at the tenant root (infra/scripts says why).
    const deploy = `infra/scripts/set-entra-diagnostic-setting.sh --rule-id <DIAGNOSTIC_SEND_RULE_ID> --hub ${r.eventHubName}`;
    const toUs = (r.settings ?? []).filter((s) =>
        (s.properties?.eventHubAuthorizationRuleId ?? '')
            .toLowerCase()
            .includes(`/providers/microsoft.eventhub/namespaces/${ns}/`),
    );
    if (toUs.length === 0) {
        return [
            problem(
                'failed',
                CHECK,
                TITLE,
                `no Entra diagnostic setting streams to the namespace ${ns} (${(r.settings ?? []).length} setting(s) in the tenant): sign-ins never reach the responder`,
                `As Security Administrator (or Global Administrator): ${deploy}`,
                { settings: (r.settings ?? []).map((s) => s.name) },
            ),
        ];
    }
    const enabled = (s: (typeof toUs)[number], category: string) =>
        (s.properties?.logs ?? []).some((l) => l.category.toLowerCase() === category.toLowerCase() && l.enabled);
    const hubOf = (s: (typeof toUs)[number]) => s.properties?.eventHubName ?? undefined;
    const right = toUs.filter((s) => hubOf(s)?.toLowerCase() === r.eventHubName.toLowerCase());
    if (right.length === 0) {
        return [
            problem(
                'failed',
                CHECK,
                TITLE,
                `setting(s) ${toUs.map((s) => `"${s.name}" → ${hubOf(s) ?? 'insights-logs-<category> hubs (no hub named)'}`).join(', ')} stream to ${ns}, but not to the hub ${r.eventHubName}`,
                `Name the hub in the setting (eventHubName=${r.eventHubName}): ${deploy}`,
            ),
        ];
    }
    const signIns = right.find((s) => enabled(s, 'SignInLogs'));
    if (!signIns) {
        return [
            problem(
                'failed',
                CHECK,
                TITLE,
                `${right.map((s) => `"${s.name}"`).join(', ')} streams to ${ns}/${r.eventHubName} without SignInLogs: push denials are never seen`,
                `Enable SignInLogs in the setting (Entra ID > Monitoring > Diagnostic settings), or redeploy it: ${deploy}`,
            ),
        ];
    }
    const findings: Finding[] = [ok(CHECK, TITLE, `"${signIns.name}" streams SignInLogs to ${ns}/${r.eventHubName}`)];
    if (r.auditWanted && !right.some((s) => enabled(s, 'AuditLogs'))) {
        findings.push(
            problem(
                'warning',
                `${CHECK}.audit`,
                'Audit logs streamed',
                `AuditLogs are not streamed to ${ns}/${r.eventHubName}: a method registered after an attack is never seen (method-registered-after-attack)`,
                `Enable AuditLogs in "${signIns.name}", or set AUDIT_CATEGORIES=none if you do not want them.`,
            ),
        );
    }
    return findings;
}

export const diagnosticSettingCheck: HealthCheck = {
    id: CHECK,
    title: TITLE,
    app: 'Azure Resource Manager refuses managed identities on this API: run mfa-responder doctor with your sign-in',
    rights: () => 'Security Administrator or Global Administrator, signed in as a person',
    run: async (ctx) => evaluateDiagnosticSettings(await readDiagnosticSettings(ctx)),
};
